import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { evaluate, readRunIdentity, scoreSplit } from '../../src/evaluate/evaluate.js';
import { readConfusionJson, readMetricsJson, readPredictionsCsv } from '../../src/evaluate/report-files.js';
import { UserError } from '../../src/util/errors.js';
import { readTiming } from '../../src/util/timing.js';
import { colourSource, colourSplit, evaluateWorkspace } from './workspace.js';

describe('evaluate stage (scoring)', () => {
  const dirs: string[] = [];
  after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const options = (dir: string) => ({ params: join(dir, 'params.yaml'), prepared: join(dir, 'data/prepared'), out: join(dir, 'reports'), quiet: true });

  it('scores the prepared test split and writes metrics, confusion and predictions', async () => {
    // 30 images; test-00003 looks like a cat but is labelled deer, test-00014 looks like a deer but
    // is labelled dog: exactly two mistakes.
    const dir = await evaluateWorkspace(colourSplit(3, [3, 14]));
    dirs.push(dir);
    const source = colourSource();
    const result = await evaluate(options(dir), source);
    assert.deepEqual(source.batches, [8, 8, 8, 6], 'batches of evaluate.batch_size');

    const metrics = await readMetricsJson(join(dir, 'reports/metrics.json'));
    assert.deepEqual(metrics, result.metrics);
    assert.equal(metrics.accuracy, Number((28 / 30).toFixed(6)));
    assert.equal(metrics.loss, Number(((-Math.log(0.7) * 28) / 30 - (Math.log(0.3 / 9) * 2) / 30).toFixed(6)));
    assert.equal(metrics.test_images, 30);
    assert.equal(metrics.backend, 'colour-test');
    assert.equal(metrics.data_version, 'v1+v2', 'from info.json');
    assert.equal(metrics.seed, 42);
    assert.ok(!('images_per_second' in metrics), 'wall-clock facts stay out of metrics.json (dvc.lock hashes it)');
    const timing = await readTiming(join(dir, 'reports/timing.json'));
    assert.deepEqual(timing?.evaluate, result.timing, 'the timing file beside the reports has them');
    assert.equal(result.timing.backend, 'colour-test');
    assert.ok(result.timing.images_per_second > 0 && result.timing.seconds >= 0);
    assert.deepEqual(metrics.per_class.cat, { precision: 0.666667, recall: 1, f1: 0.8, support: 2 });
    assert.deepEqual(metrics.per_class.deer, { precision: 0.666667, recall: 0.666667, f1: 0.666667, support: 3 });
    assert.deepEqual(metrics.per_class.dog, { precision: 1, recall: 0.75, f1: 0.857143, support: 4 });

    const confusion = await readConfusionJson(join(dir, 'reports/confusion.json'));
    assert.equal(confusion.matrix[4]![3], 1, 'test-00003: true deer, predicted cat');
    assert.equal(confusion.matrix[5]![4], 1, 'test-00014: true dog, predicted deer');
    assert.equal(
      confusion.matrix.flat().reduce((a, b) => a + b, 0),
      30,
    );

    const rows = await readPredictionsCsv(join(dir, 'reports/predictions.csv'));
    assert.equal(rows.length, 30);
    assert.deepEqual(
      rows.filter((r) => r.trueClass !== r.predictedClass).map((r) => [r.id, r.trueClass, r.predictedClass, r.confidence]),
      [
        ['test-00003', 'deer', 'cat', 0.7],
        ['test-00014', 'dog', 'deer', 0.7],
      ],
    );
    assert.deepEqual(
      result.files.map((f) => f.slice(dir.length + 1)),
      ['reports/predictions.csv', 'reports/confusion.json', 'reports/confusion.csv', 'reports/metrics.json'],
    );
  });

  it('gives the same files on a re-run', async () => {
    const dir = await evaluateWorkspace(colourSplit(2, [1]));
    dirs.push(dir);
    await evaluate(options(dir), colourSource());
    const first = await readFile(join(dir, 'reports/predictions.csv'), 'utf8');
    const confusion = await readFile(join(dir, 'reports/confusion.csv'), 'utf8');
    await evaluate(options(dir), colourSource());
    assert.equal(await readFile(join(dir, 'reports/predictions.csv'), 'utf8'), first);
    assert.equal(await readFile(join(dir, 'reports/confusion.csv'), 'utf8'), confusion);
  });

  it('writes nothing when scoring fails', async () => {
    const dir = await evaluateWorkspace(colourSplit(1));
    dirs.push(dir);
    const failing = { backend: 'x', predict: async () => Promise.reject(new Error('backend crashed')) };
    await assert.rejects(evaluate(options(dir), failing), /backend crashed/);
    await assert.rejects(readFile(join(dir, 'reports/metrics.json')), { code: 'ENOENT' });
  });

  it('rejects an unknown evaluate key and an empty split with a message naming the fix', async () => {
    const dir = await evaluateWorkspace(colourSplit(1), 'evaluate:\n  splt: test\n');
    dirs.push(dir);
    await assert.rejects(evaluate(options(dir), colourSource()), (e: unknown) => e instanceof UserError && /unknown key "evaluate\.splt"/.test(e.message));
    const empty = await evaluateWorkspace({ ids: [], labels: new Uint8Array(0), pixels: new Uint8Array(0) });
    dirs.push(empty);
    await assert.rejects(evaluate(options(empty), colourSource()), /the "test" split in .* is empty/);
  });

  it("reports the model's training seed, else the split seed, with the data version of info.json", async () => {
    const dir = await evaluateWorkspace(colourSplit(1));
    dirs.push(dir);
    const prepared = join(dir, 'data/prepared');
    assert.deepEqual(await readRunIdentity(prepared, 7), { data_version: 'v1+v2', seed: 7 });
    assert.deepEqual(await readRunIdentity(prepared), { data_version: 'v1+v2', seed: 42 });
    await rm(join(prepared, 'info.json'));
    await assert.rejects(readRunIdentity(prepared), /info\.json .*run `cifar10 prepare` first/);
  });

  it('rejects probabilities that do not match the split', () => {
    assert.throws(() => scoreSplit(colourSplit(1), new Float32Array(5)), /do not match/);
  });
});
