import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { hashPath } from '../../src/dvc/index.js';
import { listBundles, readBundlePredictions } from '../../src/experiments/bundle.js';
import { findHardImages, formatHardImagesCsv, hardImagesReport, readMembership } from '../../src/experiments/hard-images.js';
import { expandMatrix, runMatrix, scheduleCells } from '../../src/experiments/matrix.js';
import { summarizeRuns, summaryMarkdown } from '../../src/experiments/summary.js';
import { testSetOf } from '../../src/data/test-set.js';
import { createSynthWorkspace, withTempDir } from '../fixtures/synth-workspace.js';
import { fakeIsTest, fakeWrong } from './stage-cli.js';

const STAGE_CLI = fileURLToPath(new URL('./stage-cli.js', import.meta.url));
const SEEDS = [42, 100, 2025];
const VERSIONS = ['v1', 'v2', 'v3', 'v1+v2', 'v1+v2+v3'];
const PARAMS = 'data:\n  versions: v1\ntrain:\n  seed: 42\n  epochs: 1\n';

async function workspace(root: string): Promise<void> {
  await createSynthWorkspace(root, { imagesPerClass: 30, partitions: 3, partitionSize: 50, seed: 3 });
  await writeFile(join(root, 'params.yaml'), PARAMS);
}

test('cells start largest first (most partitions), ties in matrix order', () => {
  assert.deepEqual(
    scheduleCells(expandMatrix([42, 100], ['v1', 'v2+v3', 'v1+v2+v3', 'v3'])).map((c) => c.runId),
    ['s42-v1+v2+v3', 's100-v1+v2+v3', 's42-v2+v3', 's100-v2+v3', 's42-v1', 's100-v1', 's42-v3', 's100-v3'],
  );
});

test('the 3 seeds × 5 versions matrix with 2 jobs gives 15 bundles whose ledger, summary and hard images agree with the per-run predictions', async () => {
  await withTempDir('matrix-test-', async (root) => {
    await workspace(root);
    const result = await runMatrix({ root, seeds: SEEDS, versions: VERSIONS, jobs: 2, stageRunner: STAGE_CLI });
    assert.equal(result.ran.length, 15);
    assert.deepEqual(result.failed, []);
    const bundles = await listBundles(join(root, 'results/experiments'));
    assert.deepEqual(bundles.map((b) => b.runId).sort(), VERSIONS.flatMap((v) => SEEDS.map((s) => `s${s}-${v}`)).sort());

    const membership = await readMembership(join(root, 'data/partitions'));
    const accuracyFromPredictions = new Map<string, number>();
    const runs = [];
    for (const b of bundles) {
      const predictions = await readBundlePredictions(b);
      // The common test set: every partition's test images, whatever the run's version spec.
      const expectedIds = [...membership.keys()].filter((id) => fakeIsTest(id));
      assert.deepEqual(predictions.map((p) => p.id).sort(), expectedIds.sort(), `${b.runId} was scored on every partition's test images`);
      assert.deepEqual(b.testSet, testSetOf(expectedIds), `${b.runId} records the test set's fingerprint and size`);
      assert.deepEqual(Object.keys(b.manifest.data).sort(), ['v1', 'v2', 'v3'], 'a cell depends on every partition');
      for (const p of predictions) assert.equal(p.predictedClass !== p.trueClass, fakeWrong(p.id, b.manifest.seed));
      accuracyFromPredictions.set(b.runId, predictions.filter((p) => p.predictedClass === p.trueClass).length / predictions.length);
      runs.push({ runId: b.runId, predictions });
      assert.equal(b.metrics.accuracy.toFixed(6), accuracyFromPredictions.get(b.runId)!.toFixed(6));
      for (const p of b.manifest.partitions) assert.equal(b.manifest.data[p], (await hashPath(join(root, 'data/partitions', p))).md5);
      assert.ok(b.manifest.durations['train']! >= 0 && b.manifest.durations['total']! > 0);
      assert.equal(b.manifest.backend, 'fake');
      assert.equal(b.timing?.train?.images_per_second, 100, "the stages' timing file travels in the bundle");
    }

    const ledger = parse(await readFile(join(root, 'results/experiments.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.equal(ledger.length, 15);
    for (const row of ledger) assert.equal(row['accuracy'], accuracyFromPredictions.get(row['run_id']!)!.toFixed(4));
    for (const row of ledger) assert.equal(row['train_images_per_second'], '100.0', "from the bundle's timing.json");

    const summary = summarizeRuns(bundles);
    assert.deepEqual(
      summary.versions.map((v) => v.versions),
      VERSIONS,
    );
    for (const v of summary.versions) {
      const accs = SEEDS.map((s) => accuracyFromPredictions.get(`s${s}-${v.versions}`)!);
      const mean = accs.reduce((a, b) => a + b, 0) / 3;
      const sd = Math.sqrt(accs.reduce((a, x) => a + (x - mean) ** 2, 0) / 2);
      assert.ok(Math.abs(v.accuracy.mean - mean) < 1e-6 && Math.abs(v.accuracy.sd! - sd) < 1e-6, v.versions);
    }
    // What `exp show` prints: one test set for all 15 runs, named in the caption.
    const shown = summaryMarkdown(summary);
    assert.match(
      shown,
      new RegExp(
        `_All 15 runs were scored on one test set: ${bundles[0]!.testSet.size} images, fingerprint ${bundles[0]!.testSet.fingerprint.slice(0, 12)}\\._`,
      ),
    );
    const best = [...accuracyFromPredictions.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
    assert.equal(summary.bestRun, best);

    const hard = findHardImages(runs, { threshold: 1, minRuns: 2, membership });
    const heldOut = new Map<string, string[]>();
    for (const r of runs) for (const p of r.predictions) heldOut.set(p.id, [...(heldOut.get(p.id) ?? []), r.runId]);
    const expected = [...heldOut.entries()]
      .filter(([id, rs]) => rs.length >= 2 && rs.every((runId) => fakeWrong(id, Number(runId.slice(1, runId.indexOf('-'))))))
      .map(([id]) => id);
    assert.ok(expected.length > 5, 'the fixture has hard images to find');
    assert.deepEqual(hard.images.map((i) => i.id).sort(), expected.sort());
    for (const image of hard.images) {
      assert.equal(image.runsWrong, image.runsHeldOut);
      assert.equal(image.runsHeldOut, 15, 'every hard-image candidate is judged by every run');
      assert.deepEqual(image.versions, membership.get(image.id));
      assert.equal(image.mostFrequentWrong, nextClass(image.className), 'the fake model always answers the next class');
    }
    const csv = parse(formatHardImagesCsv(hard.images), { columns: true }) as Record<string, string>[];
    assert.equal(csv.length, expected.length);
    const report = await hardImagesReport({
      resultsDir: join(root, 'results/experiments'),
      partitionsDir: join(root, 'data/partitions'),
      imagesDir: join(root, 'data/cifar10'),
      out: join(root, 'results/hard_images'),
      threshold: 1,
      minRuns: 2,
      limit: 8,
    });
    assert.equal(report.images.length, expected.length);
    assert.ok(report.images.every((i) => i.runsHeldOut === 15));
    assert.equal(report.sheet?.shown, 8, 'the contact sheet ("wrong in 15 of 15" under each image) is drawn from the partitions\' PNGs');
    assert.equal(
      Object.values(hard.perClass).reduce((a, b) => a + b, 0),
      expected.length,
    );

    const again = await runMatrix({ root, seeds: SEEDS, versions: VERSIONS, jobs: 2, stageRunner: STAGE_CLI });
    assert.equal(again.ran.length, 0, 'a finished matrix is skipped on resume');
    assert.equal(again.skipped.length, 15);
    const changed = await runMatrix({ root, seeds: [42], versions: ['v1'], jobs: 1, stageRunner: STAGE_CLI, overrides: ['train.epochs=2'] });
    assert.equal(changed.ran.length, 1, 'a cell whose params changed runs again');
    await writeFile(join(root, 'data/partitions/v2/README.txt'), 'a partition that changed since its runs\n');
    const newData = await runMatrix({ root, seeds: [100], versions: ['v1', 'v2', 'v1+v2'], jobs: 2, stageRunner: STAGE_CLI });
    assert.deepEqual(
      newData.ran.map((r) => r.runId).sort(),
      ['s100-v1', 's100-v1+v2', 's100-v2'],
      'a partition whose hash changed re-runs every cell: its test split is in every test set',
    );
    assert.deepEqual(newData.skipped, []);
  });
});

function nextClass(name: string): string {
  const classes = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  return classes[(classes.indexOf(name) + 1) % 10]!;
}

test('a failing cell is reported, the others finish, and the next run retries only it', async () => {
  await withTempDir('matrix-test-', async (root) => {
    await workspace(root);
    const result = await runMatrix({
      root,
      seeds: [42, 100],
      versions: ['v1', 'v2'],
      jobs: 2,
      stageRunner: STAGE_CLI,
      env: { ...process.env, FAKE_FAIL_SEED: '100' },
    });
    assert.deepEqual(result.failed.map((f) => f.runId).sort(), ['s100-v1', 's100-v2']);
    assert.match(result.failed[0]!.error.message, /stage "train" failed .*fake training diverged/s);
    assert.deepEqual(result.ran.map((r) => r.runId).sort(), ['s42-v1', 's42-v2']);
    assert.deepEqual((await readdir(join(root, 'results/experiments'))).sort(), ['s42-v1', 's42-v2'], 'no partial bundle of a failed cell');
    const ledger = parse(await readFile(join(root, 'results/experiments.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual(
      ledger.map((r) => r['run_id']),
      ['s42-v1', 's42-v2'],
    );
    const retry = await runMatrix({ root, seeds: [42, 100], versions: ['v1', 'v2'], jobs: 2, stageRunner: STAGE_CLI });
    assert.deepEqual(retry.ran.map((r) => r.runId).sort(), ['s100-v1', 's100-v2']);
  });
});

test('an interrupted matrix keeps only complete bundles and says how to resume', async () => {
  await withTempDir('matrix-test-', async (root) => {
    await workspace(root);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1500);
    await assert.rejects(
      runMatrix({
        root,
        seeds: [42, 100],
        versions: ['v1'],
        jobs: 2,
        stageRunner: STAGE_CLI,
        env: { ...process.env, FAKE_TRAIN_MS: '4000' },
        signal: controller.signal,
      }),
      /interrupted: 0 of 2 cell\(s\) are complete .*run the same command again to resume/,
    );
    assert.deepEqual(await readdir(join(root, 'results/experiments')).catch(() => []), []);
  });
});

test('a broken .dvc file of a partition stops the matrix with its name instead of being hashed around', async () => {
  await withTempDir('matrix-test-', async (root) => {
    await workspace(root);
    await writeFile(join(root, 'data/partitions/v1.dvc'), 'outs: [\n');
    await assert.rejects(runMatrix({ root, seeds: [42], versions: ['v1'], jobs: 1, stageRunner: STAGE_CLI }), /v1\.dvc/);
  });
});
