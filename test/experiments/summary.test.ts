import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricsFile } from '../../src/evaluate/report-files.js';
import { listBundles, type RunManifest } from '../../src/experiments/bundle.js';
import { compareRunSets, comparisonMarkdown, TestSetMismatchError } from '../../src/experiments/comparison.js';
import { stats, summarizeRuns, summaryMarkdown } from '../../src/experiments/summary.js';
import { writeSyntheticBundle } from '../actions/bundles.js';
import { withTempDir } from '../fixtures/synth-workspace.js';
import { testSetOf } from '../../src/data/test-set.js';

const COMMON = testSetOf(Array.from({ length: 1000 }, (_, i) => `test-${String(i).padStart(5, '0')}`));

function run(seed: number, versions: string, accuracy: number, f1 = accuracy - 0.01) {
  return {
    runId: `s${seed}-${versions}`,
    manifest: { seed, versions } as RunManifest,
    metrics: { accuracy, macro: { precision: 0, recall: 0, f1 }, test_images: 1000 } as MetricsFile,
    testSet: COMMON,
  };
}

test('stats gives the mean and the sample standard deviation, none for one value', () => {
  assert.deepEqual(stats([0.5]), { n: 1, mean: 0.5 });
  const s = stats([0.6, 0.7, 0.8]);
  assert.ok(Math.abs(s.mean - 0.7) < 1e-12 && Math.abs(s.sd! - 0.1) < 1e-12);
});

test('runs are summarised per version over seeds, with the best run marked', () => {
  const runs = [run(42, 'v1+v2', 0.7), run(100, 'v1+v2', 0.74), run(42, 'v1', 0.6), run(100, 'v1', 0.64), run(2025, 'v1', 0.62)];
  const summary = summarizeRuns(runs);
  assert.deepEqual(
    summary.versions.map((v) => [v.versions, v.seeds, v.bestRun]),
    [
      ['v1', [42, 100, 2025], 's100-v1'],
      ['v1+v2', [42, 100], 's100-v1+v2'],
    ],
  );
  assert.ok(Math.abs(summary.versions[0]!.accuracy.mean - 0.62) < 1e-12 && Math.abs(summary.versions[0]!.accuracy.sd! - 0.02) < 1e-12);
  assert.ok(Math.abs(summary.versions[1]!.macroF1.mean - 0.71) < 1e-12);
  assert.equal(summary.bestRun, 's100-v1+v2');
  const md = summaryMarkdown(summary);
  assert.match(md, new RegExp(`_All 5 runs were scored on one test set: 1,000 images, fingerprint ${COMMON.fingerprint.slice(0, 12)}\\._`));
  assert.match(md, /\| v1 +\| +3 \| 42, 100, 2025 \| +62\.0% ± 2\.0% \| +0\.610 ± 0\.020 \| s100-v1 +\|/);
  assert.match(md, /\*\*s100-v1\+v2\*\* ★/);
  assert.equal((md.match(/★/g) ?? []).length, 3, 'the best run is starred in the per-version table, the run table and the heading');
});

test("comparisons use Welch's t-test: p, the 95% interval and the detectable difference, and no verdict from fewer than 2 runs a side", () => {
  const a = [run(42, 'v1', 0.6), run(100, 'v1', 0.62), run(2025, 'v1', 0.64)];
  const close = [run(42, 'v2', 0.61), run(100, 'v2', 0.63), run(2025, 'v2', 0.65)];
  const far = [run(42, 'v2', 0.7), run(100, 'v2', 0.72), run(2025, 'v2', 0.74)];
  const same = compareRunSets(a, close, { a: 'v1', b: 'v2' });
  assert.equal(same.metrics[0]!.verdict, 'no detectable change');
  // sd 0.02 each side, n = 3: SE = 0.01633, df = 4; detectable = (2.776 + 0.941) · SE = 6.1 pp
  assert.ok(Math.abs(same.metrics[0]!.test!.mdd - 0.0607) < 5e-4, String(same.metrics[0]!.test!.mdd));
  assert.match(
    same.text,
    /^v2 vs v1, accuracy \+1\.0 pp \(p = 0\.573, 95% interval -3\.5 to \+5\.5 pp, n = 3 vs 3\): no detectable change \(could be ±6\.1 pp\)$/,
  );
  assert.doesNotMatch(comparisonMarkdown(same), /no real difference/);
  const better = compareRunSets(a, far, { a: 'v1', b: 'v2' });
  assert.equal(better.metrics[0]!.verdict, 'better');
  assert.equal(compareRunSets(far, a).metrics[0]!.verdict, 'worse');
  assert.match(
    comparisonMarkdown(better),
    /\| accuracy +\| +62\.0% ± 2\.0% \| +72\.0% ± 2\.0% \| +\+10\.0 pp \| +\+5\.5 to \+14\.5 pp \| +0\.004 \| +±6\.1 pp \| better +\|/,
  );
  assert.match(comparisonMarkdown(better), /"detectable" is the smallest \|Δ\| these runs detect 80% of the time at α = 0\.05/);
  const single = compareRunSets([a[0]!], far);
  assert.equal(single.metrics[0]!.verdict, 'not enough runs');
  assert.match(single.text, /fewer than 2 runs per side/);
});

test('runs scored on different test sets are not compared, and exp show says they do not compare', () => {
  const old = { ...run(42, 'v1', 0.7), testSet: testSetOf(['test-00001', 'test-00002']) };
  const a = [old, { ...run(100, 'v1', 0.71), testSet: old.testSet }];
  const b = [run(42, 'v1', 0.72), run(100, 'v1', 0.73)];
  assert.throws(
    () => compareRunSets(a, b, { a: 'main', b: 'this PR' }),
    (error: unknown) =>
      error instanceof TestSetMismatchError &&
      /^cannot compare this PR with main: their runs were scored on different test sets \(main: 2 images, fingerprint [0-9a-f]{12} \(s42-v1, s100-v1\); this PR: 1,000 images, fingerprint [0-9a-f]{12} \(s42-v1, s100-v1\)\), so their accuracies measure different things; re-run/.test(
        error.message,
      ),
  );
  assert.match(summaryMarkdown(summarizeRuns([...a, ...b])), /⚠️ _The runs were scored on 2 different test sets, so their metrics do not compare/);
});

test('a run found in two folders (bundle-<id>/ beside <id>/) is an error naming both, not a run counted twice', async () => {
  await withTempDir('bundles-', async (results) => {
    await writeSyntheticBundle(results, { seed: 42, versions: 'v1', accuracy: 0.5 }, 's42-v1');
    await writeSyntheticBundle(results, { seed: 100, versions: 'v1', accuracy: 0.5 }, 's100-v1');
    assert.deepEqual(
      (await listBundles(results)).map((b) => b.runId),
      ['s100-v1', 's42-v1'],
    );
    await writeSyntheticBundle(results, { seed: 42, versions: 'v1', accuracy: 0.5 });
    await assert.rejects(listBundles(results), /bundle-s42-v1 and .*s42-v1 both hold run s42-v1/);
  });
});
