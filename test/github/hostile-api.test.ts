import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { commentMarker } from '../../src/github/comment.js';
import { writeSyntheticBundle } from '../actions/bundles.js';
import { assertNoStack, assertStack, runActionProcess, type ActionRun } from '../util/faults.js';
import { FakeGitHub } from './fake-github.js';

/**
 * A GitHub API that refuses the token, forbids, cannot find the repository, is rate limited, errs
 * or never answers, met by the actions as the runner starts them: each failure says what it means
 * and what to do, names a timeout as a timeout, prints no stack without step debug logging and
 * never the token.
 */

const TOKEN = 'ghs_hostileApiTokenSecret0005';
const marker = commentMarker();

/** GitHub's workflow_run payload for a fork PR's run (its `pull_requests` is empty). */
const workflowRun = { workflow_run: { event: 'pull_request', head_sha: 'aaaa1111', head_branch: 'feature', head_repository: { owner: { login: 'eve' } }, pull_requests: [] } };

describe('the actions against a hostile GitHub API', () => {
  const github = new FakeGitHub();
  let dir: string;
  let comment: string;
  let bundles: string;
  const runs: ActionRun[] = [];

  before(async () => {
    await github.start();
    github.addToken(TOKEN, { login: 'github-actions[bot]', viewerLogin: 'github-actions', type: 'Bot' });
    github.pulls.push({ number: 21, headSha: 'aaaa1111', headLabel: 'eve:feature', state: 'open' });
    dir = await mkdtemp(join(tmpdir(), 'hostile-api-'));
    comment = join(dir, 'comment.md');
    await writeFile(comment, `${marker}\nreport`);
    bundles = join(dir, 'bundles');
    await writeSyntheticBundle(bundles, { seed: 1, versions: 'v1', accuracy: 0.6 });
  });
  afterEach(() => {
    github.misbehave = undefined;
  });
  after(async () => {
    await github.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const post = async (options: { token?: string; env?: Record<string, string> } = {}) => {
    const run = await runActionProcess('post-comment', {
      eventName: 'workflow_run',
      event: workflowRun,
      token: options.token ?? TOKEN,
      inputs: { 'comment-file': comment },
      env: { GITHUB_API_URL: github.url, ...options.env },
    });
    runs.push(run);
    return run;
  };

  const failsWith = (run: ActionRun, message: RegExp) => {
    assert.equal(run.code, 1, run.everything);
    assert.match(run.stdout, message);
    assertNoStack(run.everything, 'post-comment');
  };

  it('says the token was refused on HTTP 401, without a stack', async () => {
    const run = await post({ token: 'ghs_expiredTokenSecret0006' });
    failsWith(run, /::error::GitHub refused the token: HTTP 401 \(Bad credentials[^)]*\) for GET 127\.0\.0\.1:\d+\/repos\/octo\/cifar\/pulls\. The token is wrong or expired/);
    assert.doesNotMatch(run.stdout, /HttpError/);
  });

  it('logs the stack of the same 401 only with step debug logging on', async () => {
    const run = await post({ token: 'ghs_expiredTokenSecret0006', env: { RUNNER_DEBUG: '1' } });
    assert.match(run.stdout, /::error::GitHub refused the token: HTTP 401/);
    assertStack(run.stdout, 'post-comment with RUNNER_DEBUG=1');
  });

  it('says a 403 means a read-only token or a missing permission', async () => {
    github.misbehave = { kind: 'status', status: 403 };
    failsWith(await post(), /::error::GitHub forbade GET 127\.0\.0\.1:\d+\/repos\/octo\/cifar\/pulls: HTTP 403 \(Resource not accessible by integration[^)]*\)\. The token is read-only \(pull requests from forks get one\) or lacks a permission/);
  });

  it('tells a rate limit from a refusal', async () => {
    github.misbehave = { kind: 'status', status: 403, rateLimited: true };
    failsWith(await post(), /::error::GitHub's API rate limit for this token is used up until 2030-01-01T00:00:00\.000Z \(HTTP 403 for GET/);
  });

  it('says a 404 means a repository or pull request that does not exist or cannot be seen', async () => {
    const run = await post({ env: { GITHUB_REPOSITORY: 'octo/gone' } });
    failsWith(run, /::error::GitHub answered 404 Not Found for GET 127\.0\.0\.1:\d+\/repos\/octo\/gone\/pulls: the repository or pull request does not exist, or the token cannot see it/);
  });

  it('says a 5xx is GitHub having trouble', async () => {
    github.misbehave = { kind: 'status', status: 502 };
    failsWith(await post(), /::error::GitHub answered HTTP 502 \(Server Error[^)]*\) for GET 127\.0\.0\.1:\d+\/repos\/octo\/cifar\/pulls; GitHub is having trouble: re-run the job later/);
  });

  it('names an API that never answers as a timeout, with the host and the seconds waited', async () => {
    github.misbehave = { kind: 'never-answer' };
    const run = await post({ env: { CIFAR10_GITHUB_TIMEOUT: '1' } });
    failsWith(run, /::error::timeout: the GitHub API did not answer GET 127\.0\.0\.1:\d+\/repos\/octo\/cifar\/pulls within 1 s/);
    assert.doesNotMatch(run.stdout, /HTTP 500/);
  });

  it('names an answer whose body never comes as a timeout too', async () => {
    github.misbehave = { kind: 'no-body' };
    failsWith(await post({ env: { CIFAR10_GITHUB_TIMEOUT: '1' } }), /::error::timeout: the GitHub API did not answer GET 127\.0\.0\.1:\d+\/repos\/octo\/cifar\/pulls within 1 s/);
  });

  it('refuses a timeout setting that is not a number of seconds', async () => {
    failsWith(await post({ env: { CIFAR10_GITHUB_TIMEOUT: 'soon' } }), /::error::CIFAR10_GITHUB_TIMEOUT is "soon"; set it to a number of seconds above 0/);
  });

  it('the report action keeps its job when the API never answers: a warning names the timeout, the summary has the report', async () => {
    github.misbehave = { kind: 'never-answer' };
    const prEvent = { pull_request: { number: 21, head: { sha: 'aaaa1111', repo: { full_name: 'octo/cifar' } }, base: { repo: { full_name: 'octo/cifar', name: 'cifar', owner: { login: 'octo' } } } } };
    const run = await runActionProcess('report', { eventName: 'pull_request', event: prEvent, token: TOKEN, inputs: { bundles }, env: { GITHUB_API_URL: github.url, CIFAR10_GITHUB_TIMEOUT: '1' } });
    runs.push(run);
    assert.equal(run.code, 0, run.everything);
    assert.equal(run.outputs['comment-action'], 'failed');
    assert.match(run.stdout, /::warning::posting the PR comment failed \(timeout: the GitHub API did not answer POST 127\.0\.0\.1:\d+\/graphql within 1 s/);
    assert.match(run.summary, /s1-v1/);
    assertNoStack(run.everything, 'report');
  });

  it('printed no token in any of the runs above', () => {
    assert.ok(runs.length >= 10);
    for (const [i, run] of runs.entries()) {
      for (const secret of [TOKEN, 'ghs_expiredTokenSecret0006']) assert.ok(!run.everything.includes(secret), `run ${i} printed a token`);
    }
  });
});
