import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { listBundles } from '../../src/experiments/bundle.js';
import { HISTORY_FILE, mergeHistory, parseHistory, parseSince, type RunRecord } from '../../src/experiments/history.js';
import { matrixRecords, readMatrix, type HistoryContext } from '../../src/experiments/history-records.js';
import { sparkline, versionTrends } from '../../src/experiments/history-views.js';
import { readHistoryBranch, updateHistoryBranch } from '../../src/github/history-branch.js';
import { UserError } from '../../src/util/errors.js';
import { PROJECT_ROOT } from '../actions/local-runner.js';
import { writeSyntheticBundle } from '../actions/bundles.js';

const run = promisify(execFile);
const CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli.js');
const context = (id: number, attempt = 1): HistoryContext => ({
  event: 'schedule',
  workflowRun: { id, attempt, url: `https://github.com/o/r/actions/runs/${id}` },
  commit: 'c'.repeat(40),
});
const NOW = new Date('2026-11-30T12:00:00Z');

describe('the experiment history', () => {
  let dir: string;
  let results: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'history-'));
    results = join(dir, 'results', 'experiments');
    for (const seed of [42, 100]) await writeSyntheticBundle(results, { seed, versions: 'v1', accuracy: 0.6, alwaysWrong: ['test-00001'] }, `s${seed}-v1`);
    await writeSyntheticBundle(results, { seed: 42, versions: 'v1+v2', accuracy: 0.7 }, 's42-v1+v2');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('has one record per run with its commit, event, params, data hashes, backend, runner, metrics, per-class F1, test set and training time', async () => {
    const records = matrixRecords(await readMatrix(await listBundles(results)), undefined, context(11));
    assert.equal(records.length, 3);
    const r = records[0] as RunRecord;
    assert.equal(r.key, '11/s100-v1');
    assert.equal(r.commit, 'c'.repeat(40));
    assert.equal(r.event, 'schedule');
    assert.deepEqual(Object.keys(r.per_class_f1).length, 10);
    assert.equal(r.data.v1, `${createHash('md5').update('v1').digest('hex')}.dir`, 'the hash of v1 the bundle was made with');
    assert.equal(r.test_set.size, 200);
    assert.match(r.test_set.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(r.train_seconds, 10);
    assert.equal(r.runner.os, 'linux-x64');
    assert.equal((records[1] as RunRecord).test_set.fingerprint, r.test_set.fingerprint, 'every run is scored on the same test set');
  });

  it('a re-run attempt replaces its own records instead of adding twins; an older attempt never overwrites a newer one', async () => {
    const matrix = await readMatrix(await listBundles(results));
    const first = mergeHistory([], matrixRecords(matrix, undefined, context(11, 1)), { retentionDays: 400, now: NOW });
    const again = mergeHistory(first.records, matrixRecords(matrix, undefined, context(11, 1)), { retentionDays: 400, now: NOW });
    assert.deepEqual([again.added, again.replaced, again.records.length], [0, 0, 3]);
    const rerun = mergeHistory(first.records, matrixRecords(matrix, undefined, context(11, 2)), { retentionDays: 400, now: NOW });
    assert.deepEqual([rerun.added, rerun.replaced, rerun.records.length], [0, 3, 3]);
    const stale = mergeHistory(rerun.records, matrixRecords(matrix, undefined, context(11, 1)), { retentionDays: 400, now: NOW });
    assert.deepEqual([stale.added, stale.replaced], [0, 0]);
    assert.ok(stale.records.every((r) => r.workflow_run?.attempt === 2));
    const next = mergeHistory(rerun.records, matrixRecords(matrix, undefined, context(12)), { retentionDays: 400, now: NOW });
    assert.deepEqual([next.added, next.records.length], [3, 6]);
  });

  it('drops records past the retention', async () => {
    const records = matrixRecords(await readMatrix(await listBundles(results)), undefined, context(11));
    // The bundles finished on 2026-01-01: 333 days before NOW.
    assert.equal(mergeHistory([], records, { retentionDays: 334, now: NOW }).records.length, 3);
    const dropped = mergeHistory([], records, { retentionDays: 300, now: NOW });
    assert.deepEqual([dropped.records.length, dropped.expired], [0, 3]);
    assert.throws(() => mergeHistory([], records, { retentionDays: 0, now: NOW }), UserError);
  });

  it('names the file and line of a record it cannot read', () => {
    assert.throws(() => parseHistory('{"kind":"run"}\n', 'h.jsonl'), /h\.jsonl:1 is not a history record/);
    assert.throws(() => parseHistory('\nnot json\n', 'h.jsonl'), /h\.jsonl:2 is not JSON/);
    assert.throws(() => parseSince('yesterday'), /give a date \(2026-11-01\) or a number of days back \(30d\)/);
    assert.equal(parseSince('30d', NOW).toISOString(), '2026-10-31T12:00:00.000Z');
  });

  it('draws where main has been in text: ▁ lowest, █ highest, per version', () => {
    assert.equal(sparkline([0.5, 0.6, 0.7, 0.8]), '▁▃▆█');
    assert.equal(sparkline([0.6, 0.6]), '▄▄');
    const r = (id: number, versions: string, accuracy: number) =>
      ({
        kind: 'run',
        workflow_run: { id, attempt: 1, url: '' },
        date: `2026-11-${10 + id}T00:00:00Z`,
        versions,
        commit: null,
        metrics: { accuracy, macro_f1: accuracy },
      }) as unknown as RunRecord;
    const trends = versionTrends([r(1, 'v1', 0.5), r(1, 'v1', 0.7), r(2, 'v1', 0.7), r(3, 'v1', 0.8), r(3, 'v2', 0.4)], ['v1', 'v2', 'v3']);
    assert.deepEqual(
      trends.map((t) => [t.versions, t.sparkline, t.points]),
      [
        ['v1', '▁▄█', 3],
        ['v2', '▄', 1],
      ],
    );
  });

  it('cifar10 history append, then history --md, --json and --since', async () => {
    const file = join(dir, 'h.jsonl');
    const env = {
      ...process.env,
      GITHUB_RUN_ID: '31',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_SHA: 'd'.repeat(40),
    };
    const append = await run(
      process.execPath,
      [CLI, 'history', 'append', '--results', results, '--hard-images', join(dir, 'none.csv'), '--file', file, '--retention-days', '9999'],
      { env },
    );
    assert.match(append.stdout, /3 added, 0 replaced \(re-run\), 0 past 9999 days dropped; 3 runs in the history/);
    const twice = await run(
      process.execPath,
      [CLI, 'history', 'append', '--results', results, '--hard-images', join(dir, 'none.csv'), '--file', file, '--retention-days', '9999'],
      { env },
    );
    assert.match(twice.stdout, /0 added, 0 replaced/);
    const md = (await run(process.execPath, [CLI, 'history', '--file', file])).stdout;
    assert.match(md, /\| \[workflow_dispatch 31\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/31\) \| ddddddd +\| s42-v1\+v2/);
    const json = JSON.parse((await run(process.execPath, [CLI, 'history', '--file', file, '--json'])).stdout) as RunRecord[];
    assert.deepEqual(json.map((r) => r.run_id).sort(), ['s100-v1', 's42-v1', 's42-v1+v2']);
    assert.equal(
      (JSON.parse((await run(process.execPath, [CLI, 'history', '--file', file, '--json', '--since', '2026-02-01'])).stdout) as RunRecord[]).length,
      0,
    );
    assert.equal(await readFile(file, 'utf8').then((t) => t.trim().split('\n').length), 3);
  });

  it('on a branch: two writers racing both land, each on top of the other', async () => {
    const origin = join(dir, 'origin.git');
    await run('git', ['init', '--quiet', '--bare', origin]);
    const where = { remote: origin, branch: 'experiment-history' };
    const matrix = await readMatrix(await listBundles(results));
    const write = (id: number) =>
      updateHistoryBranch(where, (existing) => ({
        records: mergeHistory(existing, matrixRecords(matrix, undefined, context(id)), { retentionDays: 9999, now: NOW }).records,
        message: `run ${id}`,
      }));
    await Promise.all([write(1), write(2), write(3)]);
    const records = await readHistoryBranch(where);
    assert.deepEqual([...new Set(records.map((r) => r.workflow_run!.id))].sort(), [1, 2, 3]);
    assert.equal(records.length, 9);
    const log = (await run('git', ['--git-dir', origin, 'log', '--format=%s', 'experiment-history'])).stdout.trim().split('\n');
    assert.equal(log.length, 3);
    assert.ok((await run('git', ['--git-dir', origin, 'ls-tree', '--name-only', 'experiment-history'])).stdout.includes(HISTORY_FILE));
    const unchanged = await updateHistoryBranch(where, () => undefined);
    assert.equal(unchanged.pushed, false);
  });
});
