import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { CLASS_NAMES } from '../../src/cifar/classes.js';
import { testSetOf } from '../../src/data/test-set.js';
import type { MetricsFile } from '../../src/evaluate/report-files.js';
import { compareRunSets } from '../../src/experiments/comparison.js';
import { summarizeRuns } from '../../src/experiments/summary.js';
import { commentMarker } from '../../src/github/comment.js';
import { GITHUB_COMMENT_LIMIT } from '../../src/report/budget.js';
import { buildPrComment } from '../../src/github/pr-comment.js';
import { buildExperimentsReport } from '../../src/github/report.js';
import { writeSyntheticBundle } from '../actions/bundles.js';
import { withTempDir } from '../fixtures/synth-workspace.js';
import { listBundles } from '../../src/experiments/bundle.js';
import { mergeHistory, type HistoryRecord, type RunRecord } from '../../src/experiments/history.js';
import { matrixRecords, readMatrix } from '../../src/experiments/history-records.js';

function metrics(accuracy: number, seed: number, versions: string): MetricsFile {
  const scores = { precision: accuracy, recall: accuracy, f1: accuracy };
  return {
    accuracy,
    loss: 1 - accuracy,
    macro: scores,
    weighted: scores,
    per_class: Object.fromEntries(CLASS_NAMES.map((c) => [c, { ...scores, support: 100 }])),
    test_images: 1000,
    backend: 'tensorflow',
    data_version: versions,
    seed,
  };
}

const TEST_SET = testSetOf(Array.from({ length: 1000 }, (_, i) => `test-${String(i).padStart(5, '0')}`));

const run = (seed: number, versions: string, accuracy: number) => ({
  runId: `s${seed}-${versions}`,
  manifest: { seed, versions } as never,
  metrics: metrics(accuracy, seed, versions),
  testSet: TEST_SET,
});

const confusion = { classes: [...CLASS_NAMES], matrix: CLASS_NAMES.map((_, t) => CLASS_NAMES.map((__, p) => (t === p ? 70 : 3 + ((t + p) % 4)))) };

describe('buildPrComment', () => {
  it('starts with the marker and shows the verdict, the comparison and the best confusion matrix open', () => {
    const pr = [1, 2, 3].map((s) => run(s, 'v1', 0.7 + s / 100));
    const main = [1, 2, 3].map((s) => run(s, 'v1', 0.6 + s / 100));
    const body = buildPrComment({
      marker: commentMarker(),
      kind: 'quick',
      commit: 'abcdef1234',
      summary: summarizeRuns(pr),
      comparisons: [{ versions: 'v1', comparison: compareRunSets(main, pr, { a: 'main', b: 'this PR' }) }],
      best: { runId: 's3-v1', metrics: pr[2]!.metrics, confusion },
      runUrl: 'https://github.com/o/r/actions/runs/1',
    });
    assert.ok(body.startsWith(`${commentMarker()}\n## 🟢 better: v1 +10.0 pp (p < 0.001, n = 3 vs 3)\n`), body.slice(0, 200));
    assert.match(body, /CIFAR-10 experiments, quick matrix: 3 runs at `abcdef1`\. 🟢 better \/ 🔴 worse: /);
    assert.equal(body.match(/: better\b|\| better +\|/g)?.length, 2, 'the verdict is stated once in the heading and once per metric in the table');
    assert.equal(body.match(/Δ = mean of B − mean of A/g)?.length, 1, 'one legend under the tables');
    assert.match(body, /<summary>Best run s3-v1: confusion matrix<\/summary>/);
    assert.doesNotMatch(body, /🟩/, 'the confusion matrix has one colour scale, for the mistakes');
    assert.match(body, /\[workflow run artifacts\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/1\)/);
  });

  it('stays under GitHub’s 65,536-character limit with 256 runs and a huge hard-image table, keeping the headline', () => {
    const runs = Array.from({ length: 256 }, (_, i) => run(i, ['v1', 'v1+v2', 'v1+v2+v3', 'v2'][i % 4]!, 0.5 + (i % 17) / 100));
    const hardImages = Array.from({ length: 5000 }, (_, i) => `| \`test-${String(i).padStart(5, '0')}\` | cat | 9 / 9 (100%) | dog | v1, v2 |`).join('\n');
    const body = buildPrComment({
      marker: commentMarker(),
      summary: summarizeRuns(runs),
      comparisons: [],
      baselineNote: 'No main-branch baseline.',
      best: { runId: runs[16]!.runId, metrics: runs[16]!.metrics, confusion },
      hardImages,
      missingCells: ['s999-v1'],
      runUrl: 'https://github.com/o/r/actions/runs/1',
    });
    assert.ok(body.length < GITHUB_COMMENT_LIMIT, `${body.length} characters`);
    assert.ok(body.startsWith(commentMarker()));
    assert.match(body, /^## ⚠️ incomplete: v1 [\d.]+% \(n = 64, no comparison\) · /m);
    assert.match(body, /left out to stay within GitHub's comment size limit/);
    assert.match(body, /workflow run artifacts/);
  });
});

describe('the hard images of a PR comment', () => {
  it('are "wrong in k of N runs", every run scoring every test image, with the partition when the manifests are at hand', async () => {
    await withTempDir('hard-comment-', async (dir) => {
      const bundlesDir = join(dir, 'bundles');
      for (const seed of [1, 2])
        await writeSyntheticBundle(bundlesDir, { seed, versions: 'v1+v2', accuracy: 0.9, images: 300, alwaysWrong: ['test-00003', 'test-00250'] });
      for (const seed of [1, 2])
        await writeSyntheticBundle(bundlesDir, { seed, versions: 'v1', accuracy: 0.9, images: 300, alwaysWrong: ['test-00003', 'test-00250'] });
      const without = await buildExperimentsReport({ bundlesDir });
      assert.match(without.comment, /\| id +\| class +\| +wrong in \| mostly taken for \|\n/, 'no partition column without the manifests');
      assert.match(without.comment, /`test-00003` +\| [a-z]+ +\| +4 of 4 runs \(100%\) \| [a-z]+ +\|\n/);
      const partitionsDir = join(dir, 'partitions');
      for (const [v, ids] of [
        ['v1', ['test-00003']],
        ['v2', ['test-00250']],
      ] as const) {
        await mkdir(join(partitionsDir, v), { recursive: true });
        await writeFile(join(partitionsDir, v, 'manifest.csv'), `id,class,source\n${ids.map((id) => `${id},cat,test_batch.bin:0`).join('\n')}\n`);
      }
      const withManifests = await buildExperimentsReport({ bundlesDir, partitionsDir });
      assert.match(withManifests.comment, /`test-00003` +\| [a-z]+ +\| +4 of 4 runs \(100%\) \| [a-z]+ +\| v1 +\|/);
      assert.match(withManifests.comment, /`test-00250` +\| [a-z]+ +\| +4 of 4 runs \(100%\) \| [a-z]+ +\| v2 +\|/);
    });
  });
});

describe('the example in the docs', () => {
  it('is this rendering of a quick matrix against main, so it cannot go stale (UPDATE_GOLDEN=1 rewrites docs/pr-comment-example.md)', async () => {
    await withTempDir('docs-example-', async (dir) => {
      for (const seed of [42, 100, 2025]) {
        for (const versions of ['v1', 'v1+v2+v3']) {
          await writeSyntheticBundle(join(dir, 'bundles'), {
            seed,
            versions,
            accuracy: versions === 'v1' ? 0.66 : 0.74,
            alwaysWrong: ['test-00003', 'test-00011'],
          });
          await writeSyntheticBundle(join(dir, 'baseline'), { seed, versions, accuracy: versions === 'v1' ? 0.69 : 0.74, salt: 1 });
        }
      }
      const sha = '5e1f0c3a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f';
      const report = await buildExperimentsReport({
        bundlesDir: join(dir, 'bundles'),
        baselineDir: join(dir, 'baseline'),
        kind: 'quick',
        commit: 'feedfacefeedfacefeedfacefeedfacefeedface',
        marker: commentMarker(),
        runUrl: 'https://github.com/octo/cifar10-ci/actions/runs/4242',
        // What publishAssets answers (its Git Data calls are tested against the fake GitHub elsewhere).
        publishPictures: async (files) => ({
          published: true,
          commit: sha,
          urls: Object.fromEntries(files.map((f) => [f.name, `https://github.com/octo/cifar10-ci/raw/${sha}/pr-7/run-4242-1/${f.name}`])),
        }),
      });
      const doc = `# An example PR comment\n\nGenerated by \`test/github/pr-comment.test.ts\` from synthetic result bundles (3 seeds × \`v1\` and \`v1+v2+v3\`, 200 test images each; main's \`v1\` runs are 3 pp better), so it always shows what the report action posts today. [github-actions.md](github-actions.md) explains it.\n\n${report.comment
        .trimEnd()
        .split('\n')
        .map((line) => `> ${line}`.trimEnd())
        .join('\n')}\n`;
      const path = fileURLToPath(new URL('../../../docs/pr-comment-example.md', import.meta.url));
      if (process.env.UPDATE_GOLDEN === '1') await writeFile(path, doc);
      assert.equal(doc, await readFile(path, 'utf8'), `${path} differs from what the report renders (UPDATE_GOLDEN=1 rewrites it)`);
    });
  });

  it("shows, for the PR's versions, where main has been over its last runs as a text sparkline, and links the page", async () => {
    await withTempDir('history-comment-', async (dir) => {
      const bundlesDir = join(dir, 'bundles');
      for (const seed of [1, 2]) await writeSyntheticBundle(bundlesDir, { seed, versions: 'v1', accuracy: 0.8 });
      // Main's history: four nightly matrices of v1 (and v2, which this PR did not run), through the workflow's code.
      const matrix = await readMatrix(await listBundles(bundlesDir));
      let records: HistoryRecord[] = [];
      for (const [night, shift] of [0, -0.1, -0.05, 0.02].entries()) {
        const runs = matrix.map(({ bundle, extras }) => ({
          bundle: {
            ...bundle,
            metrics: { ...bundle.metrics, accuracy: 0.6 + shift },
            manifest: { ...bundle.manifest, finished: `2026-11-0${night + 1}T03:00:00Z` },
          },
          extras,
        }));
        records = mergeHistory(records, matrixRecords(runs, undefined, { event: 'schedule', workflowRun: { id: 100 + night, attempt: 1, url: '' } }), {
          retentionDays: 9999,
          now: new Date('2026-11-05'),
        }).records;
      }
      const report = await buildExperimentsReport({
        bundlesDir,
        history: { records: records.filter((r): r is RunRecord => r.kind === 'run'), pageUrl: 'https://octo.github.io/cifar10-ci/' },
      });
      assert.match(report.comment, /### Main over its last runs\n\n`v1` ▇▁▄█ 62\.0% \(mean accuracy over seeds, last 4 matrices of main\)/);
      assert.match(report.comment, /\[experiment page\]\(https:\/\/octo\.github\.io\/cifar10-ci\/\)/);
      const none = await buildExperimentsReport({ bundlesDir, history: { records: [] } });
      assert.match(none.comment, /_Main's experiment history has no runs of these versions yet\._/);
      assert.doesNotMatch((await buildExperimentsReport({ bundlesDir })).comment, /Main over its last runs/);
    });
  });
});
