import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { listBundles, readBundlePredictions } from '../../src/experiments/bundle.js';
import { findHardImages, readMembership } from '../../src/experiments/hard-images.js';
import { runMatrix } from '../../src/experiments/matrix.js';
import { summarizeRuns } from '../../src/experiments/summary.js';
import { createSynthWorkspace, withTempDir } from '../fixtures/synth-workspace.js';

/** The real stages (prepare, tfjs training, evaluate) with a tiny model on synthetic data. */
const PARAMS = `data:
  versions: v1
prepare:
  seed: 42
train:
  seed: 42
  arch: fast
  width: 0.125
  epochs: 1
  batch_size: 32
  backend: auto
evaluate:
  pictures: false
`;

const SEEDS = [42, 100, 2025];
const VERSIONS = ['v1', 'v2', 'v3', 'v1+v2', 'v1+v2+v3'];

test('the whole matrix runs end to end with the real stages and a tiny model: ledger, summary and hard images match the predictions', async () => {
  await withTempDir('e2e-matrix-', async (root) => {
    await createSynthWorkspace(root, { imagesPerClass: 30, partitions: 3, partitionSize: 50, seed: 11 });
    await writeFile(join(root, 'params.yaml'), PARAMS);
    const result = await runMatrix({ root, seeds: SEEDS, versions: VERSIONS, jobs: 2 });
    assert.deepEqual(
      result.failed.map((f) => `${f.runId}: ${f.error.message}`),
      [],
    );
    const bundles = await listBundles(join(root, 'results/experiments'));
    assert.equal(bundles.length, 15);

    const ledger = parse(await readFile(join(root, 'results/experiments.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const runs = [];
    const accuracy = new Map<string, number>();
    for (const b of bundles) {
      const predictions = await readBundlePredictions(b);
      assert.equal(predictions.length, b.metrics.test_images);
      const acc = predictions.filter((p) => p.predictedClass === p.trueClass).length / predictions.length;
      accuracy.set(b.runId, acc);
      assert.ok(Math.abs(b.metrics.accuracy - acc) < 1e-6, `${b.runId}: metrics.json agrees with predictions.csv`);
      assert.equal(ledger.find((r) => r['run_id'] === b.runId)!['accuracy'], acc.toFixed(4));
      assert.ok(['tensorflow', 'wasm', 'cpu'].includes(b.manifest.backend));
      runs.push({ runId: b.runId, versions: b.manifest.versions, predictions });
    }
    for (const v of summarizeRuns(bundles).versions) {
      const mean = SEEDS.reduce((a, s) => a + accuracy.get(`s${s}-${v.versions}`)!, 0) / SEEDS.length;
      assert.ok(Math.abs(v.accuracy.mean - mean) < 1e-6, v.versions);
      assert.equal(v.accuracy.n, 3);
    }

    const membership = await readMembership(join(root, 'data/partitions'));
    const hard = findHardImages(runs, { threshold: 1, minRuns: 2, membership });
    const tally = new Map<string, { held: number; wrong: number }>();
    for (const r of runs) {
      for (const p of r.predictions) {
        const t = tally.get(p.id) ?? { held: 0, wrong: 0 };
        t.held++;
        if (p.predictedClass !== p.trueClass) t.wrong++;
        tally.set(p.id, t);
      }
    }
    const expected = [...tally.entries()].filter(([, t]) => t.held >= 2 && t.wrong === t.held).map(([id]) => id);
    assert.deepEqual(hard.images.map((i) => i.id).sort(), expected.sort());
  });
});
