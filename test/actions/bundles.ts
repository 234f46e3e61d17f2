import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLASS_NAMES } from '../../src/cifar/classes.js';
import { classificationMetrics } from '../../src/evaluate/metrics.js';
import { predictionRows } from '../../src/evaluate/predictions.js';
import { toMetricsFile, writeConfusionFiles, writeMetricsJson, writePredictionsCsv } from '../../src/evaluate/report-files.js';
import { testSetOf } from '../../src/data/test-set.js';
import { runIdFor, type RunManifest } from '../../src/experiments/bundle.js';
import { Random } from '../../src/util/random.js';

/**
 * Result bundles as a matrix cell leaves them, written through the evaluate code from seeded
 * synthetic predictions: each test image is predicted right with probability `accuracy`.
 */
export interface SyntheticRun {
  seed: number;
  versions: string;
  accuracy: number;
  /** Test images (ids `test-00000`…, classes in turn). */
  images?: number;
  /** Ids every run gets wrong, whatever `accuracy` says (hard images). */
  alwaysWrong?: string[];
  /** Varies the random draws, so two sets of runs with the same seeds differ like two code versions. */
  salt?: number;
}

export async function writeSyntheticBundle(parent: string, run: SyntheticRun, folder = `bundle-${runIdFor(run.seed, run.versions)}`): Promise<string> {
  const dir = join(parent, folder);
  await mkdir(dir, { recursive: true });
  const n = run.images ?? 200;
  const random = new Random(run.seed * 7919 + run.versions.length + (run.salt ?? 0) * 104729);
  const k = CLASS_NAMES.length;
  const ids = Array.from({ length: n }, (_, i) => `test-${String(i).padStart(5, '0')}`);
  const labels = ids.map((_, i) => i % k);
  const predicted = labels.map((label, i) => {
    const wrong = run.alwaysWrong?.includes(ids[i]!) || random.next() >= run.accuracy;
    return wrong ? (label + 1 + Math.floor(random.next() * (k - 1))) % k : label;
  });
  const probabilities = new Float32Array(n * k);
  predicted.forEach((p, i) => {
    for (let c = 0; c < k; c++) probabilities[i * k + c] = c === p ? 0.73 : 0.03;
  });
  const metrics = classificationMetrics({ trueLabels: labels, predictedLabels: predicted, classes: CLASS_NAMES, probabilities });
  const runId = runIdFor(run.seed, run.versions);
  await writeMetricsJson(join(dir, 'metrics.json'), toMetricsFile(metrics, { backend: 'wasm', data_version: run.versions, seed: run.seed }));
  await writeConfusionFiles(dir, { classes: [...CLASS_NAMES], matrix: metrics.confusion });
  await writePredictionsCsv(join(dir, 'predictions.csv'), predictionRows(ids, labels, probabilities, CLASS_NAMES));
  const manifest: RunManifest = {
    run_id: runId,
    seed: run.seed,
    versions: run.versions,
    partitions: run.versions.split('+'),
    overrides: [],
    git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false },
    data: Object.fromEntries(run.versions.split('+').map((p) => [p, `${createHash('md5').update(p).digest('hex')}.dir`])),
    backend: 'wasm',
    host: { name: 'runner', platform: 'linux', arch: 'x64', cpus: 4, cpu_model: 'test', node: process.version },
    durations: { prepare: 1, train: 10, evaluate: 1, total: 12 },
    started: '2026-01-01T00:00:00.000Z',
    finished: '2026-01-01T00:00:12.000Z',
    test_set: testSetOf(ids),
  };
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}
