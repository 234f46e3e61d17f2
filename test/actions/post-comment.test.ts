import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commentMarker } from '../../src/github/comment.js';
import { FakeGitHub } from '../github/fake-github.js';
import { run as runPostComment } from '../../src/actions/impl/post-comment.js';
import { writeSyntheticBundle } from './bundles.js';
import { runActionInProcess, runActionProcess } from './local-runner.js';

const TOKEN = 'ghs_writeTokenOfTheBaseRepo0004';
const marker = commentMarker();

/** A workflow_run payload as GitHub sends it for a fork PR's run: `pull_requests` is empty. */
const workflowRun = (sha: string, event = 'pull_request') => ({
  action: 'completed',
  workflow_run: {
    id: 99,
    run_attempt: 1,
    event,
    head_sha: sha,
    head_branch: 'feature',
    head_repository: { full_name: 'eve/cifar', owner: { login: 'eve' } },
    pull_requests: [],
  },
});

describe('the post-comment action (workflow_run path for fork PRs): renders the comment from the checked bundles', () => {
  const github = new FakeGitHub();
  let dir: string;
  let bundles: string;
  let baseline: string;
  before(async () => {
    await github.start();
    github.addToken(TOKEN, { login: 'github-actions[bot]', viewerLogin: 'github-actions', type: 'Bot' });
    github.pulls.push(
      { number: 21, headSha: 'aaaa1111', headLabel: 'eve:feature', state: 'open' },
      { number: 22, headSha: 'bbbb2222', headLabel: 'mallory:feature', state: 'open' },
    );
    dir = await mkdtemp(join(tmpdir(), 'post-comment-'));
    bundles = join(dir, 'bundles');
    baseline = join(dir, 'baseline');
    for (const seed of [1, 2, 3]) {
      await writeSyntheticBundle(bundles, { seed, versions: 'v1', accuracy: 0.6 });
      await writeSyntheticBundle(baseline, { seed, versions: 'v1', accuracy: 0.6 });
    }
  });
  after(async () => {
    await github.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (event: unknown, inputs: Record<string, string> = {}) =>
    runActionProcess('post-comment', {
      eventName: 'workflow_run',
      event,
      token: TOKEN,
      inputs: { bundles, baseline, ...inputs },
      env: { GITHUB_API_URL: github.url, GITHUB_SERVER_URL: github.url },
    });

  it("finds the fork PR from the run's head, posts one comment rendered here, with the pictures on the assets branch", async () => {
    const plan = join(dir, 'plan.json');
    await writeFile(
      plan,
      JSON.stringify({ kind: 'quick', matrix: { include: [1, 2, 3, 4].map((seed) => ({ cell: `s${seed}-v1`, seed, versions: 'v1', epochs: 1 })) } }),
    );
    const first = await post(workflowRun('aaaa1111'), { 'plan-file': plan });
    assert.equal(first.code, 0, first.everything);
    assert.equal(first.outputs['pull-request'], '21');
    assert.equal(first.outputs['comment-action'], 'created');
    const body = github.commentsOn(21)[0]!.body;
    assert.ok(body.startsWith(`${marker}\n## ⚠️ incomplete: v1 ±0 pp (p = `), body.slice(0, 300));
    assert.match(body, /1 planned run left no results: `s4-v1`/);
    assert.ok(body.includes(`[workflow run artifacts](${github.url}/octo/cifar/actions/runs/99)`), "the artifacts link goes to the fork's run");
    const url = /!\[Confusion matrix of s\d-v1[^\]]*\]\(([^)]+)\)/.exec(body)?.[1];
    assert.ok(url?.endsWith('/pr-21/run-99-1/confusion.png'), url);
    assert.equal((await fetch(url!)).status, 200);
    const second = await post(workflowRun('aaaa1111'), { 'plan-file': plan });
    assert.equal(second.outputs['comment-action'], 'unchanged');
    assert.equal(github.commentsOn(21).length, 1);
    assert.equal(github.commentsOn(22).length, 0);
    assert.ok(![first, second].some((run) => run.everything.includes(TOKEN)));
  });

  it('leaves out a bundle that fails the checks, warns in the log, and quotes none of it', async () => {
    const hostile = join(dir, 'hostile');
    await cp(bundles, hostile, { recursive: true });
    const evil = join(hostile, 'bundle-s9-v1');
    await cp(join(bundles, 'bundle-s1-v1'), evil, { recursive: true });
    await writeFile(
      join(evil, 'manifest.json'),
      (await readFile(join(bundles, 'bundle-s1-v1', 'manifest.json'), 'utf8')).replace(
        '"run_id": "s1-v1"',
        '"run_id": "s1-v1 [All good](https://phish.example)"',
      ),
    );
    const run = await post(workflowRun('aaaa1111'), { bundles: hostile });
    assert.equal(run.code, 0, run.everything);
    assert.match(run.stdout, /::warning::result bundle left out of the report: .*bundle-s9-v1: .*manifest\.json.*run_id: a run id is s<seed>-<version spec>/);
    const body = github.commentsOn(21)[0]!.body;
    assert.match(body, /⚠️ 1 result bundle was left out: it fails the bundle checks/);
    assert.ok(!body.includes('phish.example'));
  });

  it('posts nothing when the PR head moved on since the run, and ends with a notice, not a failed job', async () => {
    const before = github.comments.length;
    const run = await post(workflowRun('cccc3333'));
    assert.equal(run.code, 0, run.everything);
    assert.match(run.stdout, /::notice::No comment posted: no open pull request has head eve:feature at cccc333/);
    assert.equal(run.outputs['comment-action'], 'skipped');
    assert.equal(github.comments.length, before);
  });

  it('ends with a notice when the triggering run left no bundles and no plan', async () => {
    const run = await post(workflowRun('aaaa1111'), { bundles: join(dir, 'never-downloaded'), baseline: '' });
    assert.equal(run.code, 0, run.everything);
    assert.match(run.stdout, /::notice::No comment to post: the triggering run left no result bundles/);
    assert.equal(run.outputs['comment-action'], 'skipped');
  });

  it('ignores runs that did not come from a pull request', async () => {
    const run = await post(workflowRun('aaaa1111', 'push'));
    assert.equal(run.code, 1);
    assert.match(run.stdout, /came from a push event, not a pull_request/);
  });

  it('posts the same from its exported run(), called in this process', async () => {
    const run = await runActionInProcess('post-comment', runPostComment, {
      eventName: 'workflow_run',
      event: workflowRun('aaaa1111'),
      token: TOKEN,
      inputs: { bundles, baseline },
      env: { GITHUB_API_URL: github.url, GITHUB_SERVER_URL: github.url },
    });
    assert.equal(run.code, 0, run.everything);
    assert.equal(run.outputs['pull-request'], '21');
    assert.equal(run.outputs['comment-action'], 'updated');
    const bodies = github.commentsOn(21).map((c) => c.body);
    assert.equal(bodies.length, 1);
    assert.ok(bodies[0]!.startsWith(`${marker}\n## ⚪ no detectable change: v1 ±0 pp (p = `), bodies[0]!.slice(0, 300));
    assert.ok(!run.everything.includes(TOKEN));
  });
});
