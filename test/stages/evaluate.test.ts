import assert from 'node:assert/strict';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { evaluateRun } from '../../src/stages/evaluate.js';
import { readTiming } from '../../src/util/timing.js';
import { colourSource, colourSplit, evaluateWorkspace } from '../evaluate/workspace.js';
import { assertPicture } from '../report/png-assert.js';

const LOG = 'epoch\tloss\tacc\tval_loss\tval_acc\tlr\n1\t1.9\t0.3\t1.8\t0.35\t0.003\n2\t1.4\t0.5\t1.5\t0.48\t0.003\n';

describe('evaluate stage with pictures and report', () => {
  const dirs: string[] = [];
  after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const options = (dir: string) => ({ params: join(dir, 'params.yaml'), prepared: join(dir, 'data/prepared'), out: join(dir, 'reports'), quiet: true });

  it('writes the data files, four pictures and a report.md that links them', async () => {
    const dir = await evaluateWorkspace(colourSplit(3, [3, 14, 20]), 'evaluate:\n  misclassified: 2\n  min_accuracy: 0.95\n');
    dirs.push(dir);
    await mkdir(join(dir, 'reports'));
    await writeFile(join(dir, 'reports/train_log.tsv'), LOG);
    const result = await evaluateRun(options(dir), colourSource());
    assert.deepEqual(result.files.map((f) => f.slice(dir.length + 9)).sort(), [
      'confusion.csv',
      'confusion.json',
      'confusion.png',
      'confusion_normalized.png',
      'learning_curves.png',
      'metrics.json',
      'misclassified.png',
      'predictions.csv',
      'report.md',
    ]);
    for (const name of ['confusion.png', 'confusion_normalized.png', 'learning_curves.png', 'misclassified.png']) {
      await assertPicture(await readFile(join(dir, 'reports', name)), { minWidth: 150, maxWidth: 1500, minHeight: 100, maxHeight: 1500, maxBytes: 300_000 });
    }
    const markdown = await readFile(join(dir, 'reports/report.md'), 'utf8');
    assert.match(markdown, /❌ \*\*90\.0%\*\* accuracy on 30 test images \(`v1\+v2`, seed 42\), below the 95\.0% bar/);
    assert.match(markdown, /### Training\n\n[^\n]+\n[^\n]+\n\|\s+2 \|\s+48\.0% \(2\) \|/);
    for (const name of ['confusion.png', 'confusion_normalized.png', 'learning_curves.png', 'misclassified.png'])
      assert.ok(markdown.includes(`](${name})`), name);
    assert.doesNotMatch(markdown, /images\/s|train time/, 'report.md holds no wall-clock facts (dvc.lock hashes it)');
    assert.deepEqual((await readTiming(join(dir, 'reports/timing.json')))?.evaluate, result.timing, 'they are in the timing file');
  });

  it('skips the pictures when evaluate.pictures is false, and the learning curves without a log', async () => {
    const dir = await evaluateWorkspace(colourSplit(1), 'evaluate:\n  pictures: false\n');
    dirs.push(dir);
    const result = await evaluateRun(options(dir), colourSource());
    assert.ok(result.files.every((f) => !f.endsWith('.png')));
    await assert.rejects(access(join(dir, 'reports/confusion.png')));
    assert.doesNotMatch(await readFile(join(dir, 'reports/report.md'), 'utf8'), /### Pictures|### Training/);
  });

  it('fails before writing anything when an explicit training log is missing', async () => {
    const dir = await evaluateWorkspace(colourSplit(1));
    dirs.push(dir);
    await assert.rejects(evaluateRun({ ...options(dir), trainLog: join(dir, 'nope.tsv') }, colourSource()), /cannot read training log .*nope\.tsv/);
    await assert.rejects(access(join(dir, 'reports/metrics.json')));
  });
});
