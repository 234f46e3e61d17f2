import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { predictionRows } from '../../src/evaluate/predictions.js';
import {
  formatConfusionCsv,
  parsePredictionsCsv,
  readConfusionJson,
  readMetricsJson,
  readPredictionsCsv,
  toMetricsFile,
  writeConfusionFiles,
  writeMetricsJson,
  writePredictionsCsv,
} from '../../src/evaluate/report-files.js';
import { classificationMetrics } from '../../src/evaluate/metrics.js';
import { UserError } from '../../src/util/errors.js';
import { CLASSES, IDS, LABELS, PROBABILITIES } from './fixtures.js';

describe('report files', () => {
  const rows = predictionRows(IDS, LABELS, PROBABILITIES, CLASSES);
  const dirs: string[] = [];
  after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('writes predictions.csv with the id,true,predicted,confidence,top3 columns and reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'predictions-'));
    dirs.push(dir);
    const path = join(dir, 'predictions.csv');
    await writePredictionsCsv(path, rows);
    const text = await readFile(path, 'utf8');
    assert.equal(text.split('\n')[0], 'id,true,predicted,confidence,top3');
    assert.equal(text.split('\n')[1], 'test-0,cat,cat,0.6100,cat:0.6100|dog:0.2200|frog:0.1700');
    const back = await readPredictionsCsv(path);
    assert.deepEqual(
      back.map((r) => [r.id, r.trueClass, r.predictedClass, r.confidence, r.top.length]),
      rows.map((r) => [r.id, r.trueClass, r.predictedClass, Number(r.confidence.toFixed(4)), 3]),
    );
  });

  it('names the file and line of a malformed predictions row', () => {
    assert.throws(
      () => parsePredictionsCsv('id,true,predicted,confidence,top3\na,cat,dog,high,\n', 'p.csv'),
      (e: unknown) => e instanceof UserError && /p\.csv:2: confidence "high"/.test(e.message),
    );
    assert.throws(() => parsePredictionsCsv('id,true,confidence\na,cat,0.5\n', 'p.csv'), /p\.csv:2: missing "predicted"/);
  });

  it('writes metrics.json in the agreed shape and confusion files with rows as true classes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metrics-'));
    dirs.push(dir);
    const metrics = classificationMetrics({ trueLabels: LABELS, predictedLabels: [0, 2, 1, 1], classes: CLASSES, probabilities: PROBABILITIES });
    const file = toMetricsFile(metrics, { backend: 'cpu', data_version: 'v1+v2', seed: 7 });
    await writeMetricsJson(join(dir, 'metrics.json'), file);
    const back = await readMetricsJson(join(dir, 'metrics.json'));
    assert.deepEqual(Object.keys(back), ['accuracy', 'loss', 'macro', 'weighted', 'per_class', 'test_images', 'backend', 'data_version', 'seed']);
    assert.equal(back.accuracy, 0.5);
    assert.equal(back.test_images, 4);
    assert.deepEqual(back.per_class.dog, { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });

    await writeConfusionFiles(dir, { classes: CLASSES, matrix: metrics.confusion });
    assert.deepEqual((await readConfusionJson(join(dir, 'confusion.json'))).matrix, [
      [1, 0, 0],
      [0, 1, 1],
      [0, 1, 0],
    ]);
    assert.equal(await readFile(join(dir, 'confusion.csv'), 'utf8'), formatConfusionCsv({ classes: CLASSES, matrix: metrics.confusion }));
    assert.equal(formatConfusionCsv({ classes: CLASSES, matrix: metrics.confusion }), 'true,cat,dog,frog\ncat,1,0,0\ndog,0,1,1\nfrog,0,1,0\n');
  });

  it('rejects a metrics file that is not one, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metrics-bad-'));
    dirs.push(dir);
    await writeFile(join(dir, 'metrics.json'), '{"acc": 1}');
    await assert.rejects(readMetricsJson(join(dir, 'metrics.json')), (e: unknown) => e instanceof UserError && e.message.includes(join(dir, 'metrics.json')));
    await assert.rejects(readConfusionJson(join(dir, 'missing.json')), /run `cifar10 evaluate` first/);
  });
});
