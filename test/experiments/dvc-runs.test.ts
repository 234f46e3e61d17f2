/**
 * DVC experiments (git refs under refs/exps) in `exp show`: recorded without touching the work
 * tree, the index or HEAD; listed beside the bundles unless they are a bundle's own record.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { listExperiments, readFileAt, recordExperiment } from '../../src/dvc/index.js';
import { listBundles } from '../../src/experiments/bundle.js';
import { dvcExperimentRuns } from '../../src/experiments/dvc-runs.js';
import { summarizeRuns } from '../../src/experiments/summary.js';
import { writeSyntheticBundle } from '../actions/bundles.js';
import { tempDir, writeTree } from '../dvc/helpers.js';
import { git } from '../dvc/realdvc.js';

test('experiments recorded in git are listed by exp show beside the bundles; a bundle’s own record is not listed twice', async (t) => {
  const root = await tempDir(t, 'dvc-runs-');
  const params = 'data:\n  versions: v1\ntrain:\n  seed: 42\n';
  await writeTree(root, { 'params.yaml': params, 'staged.txt': 'staged\n' });
  await git(root, 'init', '-q', '-b', 'main');
  await git(root, 'add', 'params.yaml');
  await git(root, 'commit', '-q', '-m', 'baseline');
  await git(root, 'add', 'staged.txt');
  const head = (await git(root, 'rev-parse', 'HEAD')).trim();
  const statusBefore = await git(root, 'status', '--porcelain');

  const bundle = await writeSyntheticBundle(await tempDir(t, 'dvc-runs-bundle-'), { seed: 100, versions: 'v1', accuracy: 0.6 });
  const metrics = await readFile(join(bundle, 'metrics.json'), 'utf8');
  const predictions = await readFile(join(bundle, 'predictions.csv'), 'utf8');
  const result = { 'reports/metrics.json': metrics, 'reports/predictions.csv': predictions };
  const made = await recordExperiment(root, { name: 'dusty-sash', files: { 'params.yaml': params.replace('seed: 42', 'seed: 100'), ...result } });
  assert.equal(made, `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/dusty-sash`);
  await recordExperiment(root, { name: 's42-v1', files: { 'params.yaml': params, ...result } });
  await recordExperiment(root, { name: 'no-metrics', files: { 'params.yaml': params } });
  await recordExperiment(root, { name: 'no-predictions', files: { 'params.yaml': params, 'reports/metrics.json': metrics } });

  assert.equal((await git(root, 'rev-parse', 'HEAD')).trim(), head, 'HEAD stays');
  assert.equal(await git(root, 'status', '--porcelain'), statusBefore, 'work tree and index stay');
  const exps = await listExperiments(root);
  assert.deepEqual(
    exps.map((e) => [e.name, e.baseline]),
    [
      ['dusty-sash', head],
      ['no-metrics', head],
      ['no-predictions', head],
      ['s42-v1', head],
    ],
  );
  assert.equal(await readFileAt(root, exps[0]!.commit, 'staged.txt'), undefined, 'the experiment commit is the baseline plus its files, not the index');

  const skipped: string[] = [];
  const runs = await dvcExperimentRuns(root, new Set(['s42-v1']), (line) => skipped.push(line));
  assert.deepEqual(
    runs.map((r) => [r.runId, r.manifest.seed, r.manifest.versions]),
    [['dusty-sash (dvc exp)', 100, 'v1']],
  );
  assert.match(skipped.join('\n'), /no-metrics .*no reports\/metrics\.json.* in its commit/);
  // Without its predictions an experiment's test set is unknown, so its metrics could not be compared.
  assert.match(skipped.join('\n'), /no-predictions .*no reports\/predictions\.csv in its commit/);
  const summary = summarizeRuns(runs);
  assert.equal(summary.runs[0]!.accuracy, (JSON.parse(metrics) as { accuracy: number }).accuracy);
  assert.deepEqual(summary.testSets, [{ testSet: (await listBundles(join(bundle, '..')))[0]!.testSet, runs: ['dusty-sash (dvc exp)'] }]);

  // Recording again replaces the experiment of that name.
  await recordExperiment(root, { name: 'dusty-sash', files: { 'params.yaml': params.replace('seed: 42', 'seed: 7'), ...result } });
  assert.deepEqual(
    (await dvcExperimentRuns(root, new Set(['s42-v1']))).map((r) => r.manifest.seed),
    [7],
  );
});

test('outside git nothing is recorded and nothing is listed', async (t) => {
  const root = await tempDir(t, 'dvc-runs-nogit-');
  let asked = false;
  const ref = await recordExperiment(root, {
    name: 'x',
    files: async () => {
      asked = true;
      return {};
    },
  });
  assert.equal(ref, undefined);
  assert.equal(asked, false);
  assert.deepEqual(await listExperiments(root), []);
});
