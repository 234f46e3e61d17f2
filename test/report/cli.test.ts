import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeConfusionFiles, writeMetricsJson } from '../../src/evaluate/report-files.js';
import { colourSplit, evaluateWorkspace, saveColourModel } from '../evaluate/workspace.js';
import { writeTiming } from '../../src/util/timing.js';
import { sampleConfusion, sampleMetrics, sampleTiming } from './fixtures.js';
import { assertPicture } from './png-assert.js';

const CLI = join(process.cwd(), 'dist/src/cli.js');

function run(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    if (options.env && 'GITHUB_STEP_SUMMARY' in options.env && options.env.GITHUB_STEP_SUMMARY === undefined) delete env.GITHUB_STEP_SUMMARY;
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('cifar10 report', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-cli-'));
    const confusion = sampleConfusion();
    await writeMetricsJson(join(dir, 'reports/metrics.json'), sampleMetrics(confusion));
    await writeConfusionFiles(join(dir, 'reports'), confusion);
    await writeFile(join(dir, 'reports/train_log.tsv'), 'epoch\tloss\tacc\tval_loss\tval_acc\tlr\n1\t1.5\t0.45\t1.4\t0.5\t0.003\n');
    await writeTiming(join(dir, 'reports/timing.json'), sampleTiming(1));
    await writeFile(join(dir, 'reports/confusion.png'), 'stands in for a picture');
    await writeFile(join(dir, 'params.yaml'), 'evaluate:\n  min_accuracy: 0.9\n');
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('prints the run report, taking the accuracy bar from params.yaml', async () => {
    const { code, stdout, stderr } = await run(['report'], { cwd: dir });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^## CIFAR-10 evaluation\n\n❌ \*\*\d+\.\d%\*\* accuracy .* below the 90\.0% bar/);
    assert.match(stdout, /### Training/);
    assert.match(stdout, /\| wasm +\| +2,512 \|/, 'scoring speed from reports/timing.json');
    assert.match(stdout, /\| +30 s \| +523 \|/, 'training time and speed from reports/timing.json');
    assert.doesNotMatch(stdout, /!\[/, 'printed markdown links no local pictures');
  });

  it('writes the markdown with links to the pictures that exist, relative to the file', async () => {
    const { code, stdout, stderr } = await run(['report', '--md', 'docs/run.md', '--min-accuracy', '0.8', '--title', 'PR 12'], { cwd: dir });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /wrote docs\/run\.md/);
    const markdown = await readFile(join(dir, 'docs/run.md'), 'utf8');
    assert.match(markdown, /^## PR 12\n\n✅ /);
    assert.match(markdown, /!\[Confusion matrix\]\(\.\.\/reports\/confusion\.png\)/);
    assert.doesNotMatch(markdown, /learning_curves\.png/, 'no link to a picture that is not there');
  });

  it('appends to the job summary, and explains when it is not in a GitHub job', async () => {
    const summary = join(dir, 'summary.md');
    await writeFile(summary, '# earlier step\n');
    const ok = await run(['report', '--summary'], { cwd: dir, env: { GITHUB_STEP_SUMMARY: summary } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(await readFile(summary, 'utf8'), /^# earlier step\n## CIFAR-10 evaluation/);
    const missing = await run(['report', '--summary'], { cwd: dir, env: { GITHUB_STEP_SUMMARY: undefined } });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: --summary: \$GITHUB_STEP_SUMMARY is not set/);
  });

  it('tells the user to evaluate first when the reports are missing', async () => {
    const { code, stderr } = await run(['report', '--reports', 'nowhere'], { cwd: dir });
    assert.equal(code, 1);
    assert.match(stderr, /nowhere\/metrics\.json.*run `cifar10 evaluate` first/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace for a user error');
  });

  it('rejects an accuracy bar that is not a share', async () => {
    const { code, stderr } = await run(['report', '--min-accuracy', '70'], { cwd: dir });
    assert.equal(code, 1);
    assert.match(stderr, /must be a share between 0 and 1/);
  });
});

describe('cifar10 evaluate', () => {
  let dir: string;
  before(async () => {
    dir = await evaluateWorkspace(colourSplit(3, [3, 14]));
    await saveColourModel(join(dir, 'models/model'), { seed: 5 });
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('scores the trained model and writes every report file, which `report` then reads', async () => {
    const { code, stdout, stderr } = await run(['evaluate', '--backend', 'cpu', '--quiet'], { cwd: dir });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /^backend: cpu /m);
    assert.match(stdout, /^30 test images: accuracy 93\.3%, loss \d\.\d{4}, macro F1 0\.\d{3} \(cpu, \d+ images\/s, data v1\+v2, seed 5\)/);
    for (const file of ['metrics.json', 'confusion.json', 'confusion.csv', 'predictions.csv', 'report.md'])
      assert.match(stdout, new RegExp(`wrote reports/${file.replace('.', '\\.')}`));
    await assertPicture(await readFile(join(dir, 'reports/misclassified.png')), { minWidth: 100, maxWidth: 1200, minHeight: 100, maxHeight: 600 });
    const report = await run(['report'], { cwd: dir });
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /📊 \*\*93\.3%\*\* accuracy on 30 test images/);
  });

  it('says how to get a model when there is none', async () => {
    const { code, stderr } = await run(['evaluate', '--backend', 'cpu', '--model', 'models/none'], { cwd: dir });
    assert.equal(code, 1);
    assert.match(stderr, /models\/none\/model\.json .*run `cifar10 train` first/);
  });
});
