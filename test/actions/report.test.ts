import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commentMarker } from '../../src/github/comment.js';
import { GITHUB_COMMENT_LIMIT } from '../../src/report/budget.js';
import { FakeGitHub } from '../github/fake-github.js';
import { writeSyntheticBundle } from './bundles.js';
import { run as runReport } from '../../src/actions/impl/report.js';
import { runActionInProcess, runActionProcess, type ActionRun } from './local-runner.js';

const TOKEN = 'ghs_workflowTokenSecretValue0001';
const FORK_TOKEN = 'ghs_forkReadOnlySecretValue0002';
const marker = commentMarker();

function prEvent(number: number, fork = false) {
  const base = { full_name: 'octo/cifar', name: 'cifar', owner: { login: 'octo' } };
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      head: { sha: 'feedfacefeedfacefeedfacefeedfacefeedface', repo: fork ? { full_name: 'eve/cifar', name: 'cifar', owner: { login: 'eve' } } : base },
      base: { repo: base },
    },
  };
}

describe('the report action, run as the runner runs it against a local GitHub', () => {
  const github = new FakeGitHub();
  let dir: string;
  let bundles: string;
  let baseline: string;

  before(async () => {
    await github.start();
    github.addToken(TOKEN, { login: 'github-actions[bot]', viewerLogin: 'github-actions', type: 'Bot' });
    github.addToken(FORK_TOKEN, { login: 'github-actions[bot]', viewerLogin: 'github-actions', type: 'Bot', readOnly: true });
    dir = await mkdtemp(join(tmpdir(), 'report-action-'));
    bundles = join(dir, 'bundles');
    baseline = join(dir, 'baseline');
    for (const seed of [1, 2, 3]) {
      await writeSyntheticBundle(bundles, { seed, versions: 'v1', accuracy: 0.6 + seed * 0.01, alwaysWrong: ['test-00007'] });
      await writeSyntheticBundle(baseline, { seed, versions: 'v1', accuracy: 0.6 + seed * 0.01, salt: 1 });
    }
  });
  after(async () => {
    await github.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const runs: ActionRun[] = [];
  const report = async (number: number, extra: { inputs?: Record<string, string>; token?: string; fork?: boolean } = {}) => {
    const run = await runActionProcess('report', {
      eventName: 'pull_request',
      event: prEvent(number, extra.fork),
      token: extra.token ?? TOKEN,
      // Pictures cost seconds per run: published by the first test only.
      inputs: { bundles, 'publish-pictures': 'false', ...extra.inputs },
      // The fake serves the web host's raw files too, where the pictures' links point.
      env: { GITHUB_API_URL: github.url, GITHUB_SERVER_URL: github.url },
    });
    runs.push(run);
    return run;
  };

  it('two runs leave exactly one comment, updated in place, and a third identical run changes nothing, pictures included', async () => {
    const pictures = { 'publish-pictures': 'true' };
    const first = await report(10, { inputs: pictures });
    assert.equal(first.code, 0, first.everything);
    assert.equal(first.outputs['comment-action'], 'created');
    const second = await report(10, { inputs: { baseline, ...pictures } });
    assert.equal(second.code, 0, second.everything);
    assert.equal(second.outputs['comment-action'], 'updated');
    const third = await report(10, { inputs: { baseline, ...pictures } });
    assert.equal(third.outputs['comment-action'], 'unchanged', 'the same pictures keep their links');
    const comments = github.commentsOn(10);
    assert.equal(comments.length, 1);
    assert.equal(comments[0]!.updated, 1);
    assert.ok(comments[0]!.body.startsWith(marker));
    assert.match(comments[0]!.body, /This PR vs main/);
    assert.equal(second.outputs['comment-url'], `https://github.com/octo/cifar/pull/10#issuecomment-${comments[0]!.id}`);
    // The picture is on the assets branch, in this PR's and run's folder, and its link resolves.
    const url = /!\[Confusion matrix of s3-v1[^\]]*\]\(([^)]+)\)/.exec(comments[0]!.body)?.[1];
    assert.ok(url?.startsWith(`${github.url}/octo/cifar/raw/`) && url.endsWith('/pr-10/run-4242-1/confusion.png'), url);
    const png = await fetch(url!);
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.ok((await png.arrayBuffer()).byteLength > 1000);
    assert.ok(github.refs.has('cifar10-ci-assets'));

    // A token that may comment but not write contents: the comment says so and links the artifacts.
    const READ_CONTENTS = 'ghs_readContentsToken0009';
    github.addToken(READ_CONTENTS, {
      login: 'github-actions[bot]',
      viewerLogin: 'github-actions',
      type: 'Bot',
      permissions: { 'pull-requests': 'write', contents: 'read' },
    });
    const denied = await report(19, { inputs: pictures, token: READ_CONTENTS });
    assert.equal(denied.code, 0, denied.everything);
    const note = github.commentsOn(19)[0]!.body;
    assert.match(
      note,
      /The pictures could not be published: the job's token may not write to the cifar10-ci-assets branch \(HTTP 403; give the job `permissions: contents: write`/,
    );
    assert.ok(note.includes(`They are in the [workflow run's artifacts](${github.url}/octo/cifar/actions/runs/4242)`), note);
  });

  it('writes the experiments table, per-version mean ± sd, the verdict, the confusion matrix and hard images', async () => {
    const run = await report(11, { inputs: { baseline, out: join(dir, 'results'), 'comment-file': join(dir, 'comment.md') } });
    assert.equal(run.code, 0, run.everything);
    const body = github.commentsOn(11)[0]!.body;
    assert.equal(await readFile(join(dir, 'comment.md'), 'utf8'), body);
    assert.match(body, /CIFAR-10 experiments: 3 runs at `feedfac`/);
    assert.match(body, /\| v1 +\| +3 \| 1, 2, 3 \| +[\d.]+% ± [\d.]+% \|/);
    assert.match(body, /^## ⚪ no detectable change: v1 [+-±][\d.]+ pp \(p = [\d.]+, n = 3 vs 3\)$/m);
    assert.match(
      body,
      /\| accuracy +\| +[\d.]+% ± [\d.]+% \| +[\d.]+% ± [\d.]+% \| +[+-±][\d.]+ pp \| [^|]+ \| +[\d.]+ \| +±[\d.]+ pp \| no detectable change +\|/,
    );
    assert.match(body, /Best run s3-v1: confusion matrix/);
    assert.match(body, /`test-00007` \| horse/);
    assert.ok(body.length < GITHUB_COMMENT_LIMIT);
    assert.equal(run.outputs['best-run'], 's3-v1');
    assert.equal(run.outputs.regressed, 'false');
    assert.match(run.summary, /CIFAR-10 experiments: 3 runs/);
    assert.ok(!run.summary.includes(marker));
    const ledger = await readFile(join(dir, 'results', 'experiments.csv'), 'utf8');
    assert.equal(ledger.trim().split('\n').length, 4);
    assert.match(await readFile(join(dir, 'results', 'hard_images.csv'), 'utf8'), /^test-00007,horse,3,3,1\.0000,/m);
  });

  it('pages through more than 100 existing comments to find its own', async () => {
    for (let i = 0; i < 150; i++) github.addComment(12, `comment ${i}`, { login: 'reviewer', type: 'User' });
    const ours = github.addComment(12, `${marker}\nan old report`, { login: 'github-actions[bot]', type: 'Bot' });
    const run = await report(12);
    assert.equal(run.code, 0, run.everything);
    assert.equal(run.outputs['comment-action'], 'updated');
    assert.notEqual(ours.body, `${marker}\nan old report`);
    assert.equal(github.commentsOn(12).length, 151);
  });

  it("never touches someone else's comment that contains the marker", async () => {
    const theirs = github.addComment(13, `quoting: ${marker} the bot's report`, { login: 'mallory', type: 'User' });
    const run = await report(13);
    assert.equal(run.outputs['comment-action'], 'created');
    assert.equal(theirs.body, `quoting: ${marker} the bot's report`);
    assert.equal(theirs.updated, 0);
    assert.equal(github.commentsOn(13).length, 2);
  });

  it('on a fork PR a 403 falls back to the job summary with a clear notice, and the job succeeds', async () => {
    const run = await report(14, { token: FORK_TOKEN, fork: true });
    assert.equal(run.code, 0, run.everything);
    assert.equal(run.outputs['comment-action'], 'forbidden');
    assert.match(run.stdout, /::notice::Could not post the PR comment: this pull request comes from a fork/);
    assert.match(run.summary, /> \[!NOTE\]\n> Could not post the PR comment/);
    assert.match(run.summary, /CIFAR-10 experiments: /);
    assert.equal(github.commentsOn(14).length, 0);
  });

  it('fails on a regression beyond seed noise when asked, after writing the summary and comment', async () => {
    const worse = join(dir, 'worse');
    for (const seed of [1, 2, 3]) await writeSyntheticBundle(worse, { seed, versions: 'v1', accuracy: 0.3 + seed * 0.01 });
    const run = await report(15, { inputs: { bundles: worse, baseline, 'fail-on-regression': 'true' } });
    assert.equal(run.code, 1);
    assert.equal(run.outputs.regressed, 'true');
    assert.match(
      run.stdout,
      /::error::accuracy is worse than main for v1 \(this PR vs main, accuracy -[\d.]+ pp \(p [<=] [\d.]+, .*\): Welch's t-test, p < 0\.05 \(fail-on-regression is on\)/,
    );
    assert.match(github.commentsOn(15)[0]!.body, /^## 🔴 worse: v1 -[\d.]+ pp \(p [<=] [\d.]+, n = 3 vs 3\)$/m);
  });

  it('lists planned cells that left no bundle', async () => {
    const matrix = JSON.stringify({ include: [1, 2, 3, 4].map((seed) => ({ cell: `s${seed}-v1`, seed, versions: 'v1', epochs: 2 })) });
    const run = await report(16, { inputs: { matrix } });
    assert.equal(run.code, 0, run.everything);
    assert.match(github.commentsOn(16)[0]!.body, /1 planned run left no results: `s4-v1`/);
  });

  it('reports one run when download-artifact unpacked the only matching bundle straight into the folder', async () => {
    const single = join(dir, 'single');
    const bundle = await writeSyntheticBundle(dir, { seed: 7, versions: 'v1', accuracy: 0.6 }, 'single');
    assert.equal(bundle, single);
    const matrix = JSON.stringify({ include: [7, 8].map((seed) => ({ cell: `s${seed}-v1`, seed, versions: 'v1', epochs: 2 })) });
    const run = await report(17, { inputs: { bundles: single, baseline: single, matrix } });
    assert.equal(run.code, 0, run.everything);
    const body = github.commentsOn(17)[0]!.body;
    assert.match(body, /CIFAR-10 experiments: 1 run\b/);
    assert.match(body, /Best run \*\*s7-v1\*\*/);
    assert.match(body, /1 planned run left no results: `s8-v1`/);
    assert.doesNotMatch(body, /No run produced results/);
    assert.match(body, /### This PR vs main/, 'a single baseline bundle is found the same way');
  });

  it('says the baseline expired, with its retention, when find-baseline found only expired bundles', async () => {
    const baselineRun = JSON.stringify({
      status: 'expired',
      workflow: 'pr.yml',
      branch: 'main',
      id: 5,
      url: 'https://github.com/octo/cifar/actions/runs/5',
      created: '2026-01-02T00:00:00Z',
      retentionDays: 90,
      bundles: 0,
    });
    const run = await report(18, { inputs: { 'baseline-run': baselineRun, baseline: join(dir, 'not-downloaded') } });
    assert.equal(run.code, 0, run.everything);
    assert.match(
      github.commentsOn(18)[0]!.body,
      /Baseline expired \(90 days\): the result bundles of \[its latest successful run\]\(https:\/\/github\.com\/octo\/cifar\/actions\/runs\/5\) of 2026-01-02 of `pr\.yml` on `main`/,
    );
    const bad = await report(18, { inputs: { 'baseline-run': '{"status":"gone"}' } });
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /::error::actions\/report input "baseline-run" is not the find-baseline action's run output \(status: /);
  });

  it('still comments when every cell failed, naming them, and the job succeeds', async () => {
    const matrix = JSON.stringify({ include: [1, 2].map((seed) => ({ cell: `s${seed}-v1`, seed, versions: 'v1', epochs: 2 })) });
    const run = await report(20, { inputs: { bundles: join(dir, 'nothing-downloaded'), matrix } });
    assert.equal(run.code, 0, run.everything);
    const body = github.commentsOn(20)[0]!.body;
    assert.match(body, /⚠️ No run produced results/);
    assert.match(body, /2 planned runs left no results: `s1-v1`, `s2-v1`/);
  });

  it('comments and writes the job summary the same from its exported run(), called in this process', async () => {
    for (const number of [21, 21]) {
      const run = await runActionInProcess('report', runReport, {
        eventName: 'pull_request',
        event: prEvent(number),
        token: TOKEN,
        inputs: { bundles, baseline },
        env: { GITHUB_API_URL: github.url },
      });
      runs.push(run);
      assert.equal(run.code, 0, run.everything);
      assert.match(run.summary, /CIFAR-10 experiments: 3 runs/);
      assert.match(run.summary, /This PR vs main/);
    }
    assert.deepEqual(
      runs.slice(-2).map((run) => run.outputs['comment-action']),
      ['created', 'unchanged'],
    );
    assert.equal(github.commentsOn(21).length, 1);
  });

  it('never prints the token in any run above, nor when the server rejects it', async () => {
    const rejected = await report(19, { token: 'ghs_unknownTokenSecret0003' });
    assert.equal(rejected.outputs['comment-action'], 'failed');
    assert.match(rejected.stdout, /::warning::posting the PR comment failed \(GitHub refused the token: HTTP 401 \(Bad credentials/);
    assert.ok(runs.length >= 10);
    for (const [i, run] of runs.entries()) {
      for (const secret of [TOKEN, FORK_TOKEN, 'ghs_unknownTokenSecret0003']) assert.ok(!run.everything.includes(secret), `run ${i} printed a token`);
    }
    assert.ok(
      github.requests.some((r) => r.authorization === `token ${TOKEN}`),
      'the token was sent to the server, so it was there to leak',
    );
  });
});
