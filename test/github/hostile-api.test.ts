import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { explainGitHubError } from '../../src/github/api-errors.js';
import { gitHubClient } from '../../src/github/client.js';
import { commentMarker, upsertMarkedComment } from '../../src/github/comment.js';
import { messageOf } from '../../src/util/errors.js';
import { writeSyntheticBundle } from '../actions/bundles.js';
import { assertNoStack, assertStack, runActionProcess, type ActionRun } from '../util/faults.js';
import { FakeGitHub } from './fake-github.js';

/**
 * A GitHub API that refuses the token, forbids, cannot find the repository, is rate limited, errs
 * or never answers: each failure says what it means and what to do, a timeout is named as one,
 * no stack is printed without step debug logging and the token never is.
 */

const TOKEN = 'ghs_hostileApiTokenSecret0005';
const EXPIRED = 'ghs_expiredTokenSecret0006';
const marker = commentMarker();
const repo = { owner: 'octo', repo: 'cifar' };

/** GitHub's workflow_run payload for a fork PR's run (its `pull_requests` is empty). */
const workflowRun = {
  workflow_run: { event: 'pull_request', head_sha: 'aaaa1111', head_branch: 'feature', head_repository: { owner: { login: 'eve' } }, pull_requests: [] },
};

describe('a hostile GitHub API', () => {
  const github = new FakeGitHub();
  let dir: string;
  let bundles: string;
  const runs: ActionRun[] = [];

  before(async () => {
    await github.start();
    github.addToken(TOKEN, { login: 'github-actions[bot]', viewerLogin: 'github-actions', type: 'Bot' });
    github.pulls.push({ number: 21, headSha: 'aaaa1111', headLabel: 'eve:feature', state: 'open' });
    dir = await mkdtemp(join(tmpdir(), 'hostile-api-'));
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

  describe('met by the actions as the runner starts them', () => {
    const post = async (options: { token?: string; env?: Record<string, string> } = {}) => {
      const run = await runActionProcess('post-comment', {
        eventName: 'workflow_run',
        event: workflowRun,
        token: options.token ?? TOKEN,
        inputs: { bundles, 'publish-pictures': 'false' },
        env: { GITHUB_API_URL: github.url, ...options.env },
      });
      runs.push(run);
      return run;
    };

    it('post-comment says the token was refused on HTTP 401, without a stack', async () => {
      const run = await post({ token: EXPIRED });
      assert.equal(run.code, 1);
      assert.match(
        run.stdout,
        /::error::GitHub refused the token: HTTP 401 \(Bad credentials[^)]*\) for GET 127\.0\.0\.1:\d+\/repos\/octo\/cifar\/pulls\. The token is wrong or expired/,
      );
      assert.doesNotMatch(run.stdout, /HttpError/);
      assertNoStack(run.everything, 'post-comment on 401');
    });

    it('logs the stack of the same 401 only with step debug logging on', async () => {
      const run = await post({ token: EXPIRED, env: { RUNNER_DEBUG: '1' } });
      assert.match(run.stdout, /::error::GitHub refused the token: HTTP 401/);
      assertStack(run.stdout, 'post-comment with RUNNER_DEBUG=1');
    });

    it('post-comment names an API that never answers as a timeout, with the host and the seconds waited', async () => {
      github.misbehave = { kind: 'never-answer' };
      const run = await post({ env: { CIFAR10_GITHUB_TIMEOUT: '1' } });
      assert.equal(run.code, 1);
      assert.match(run.stdout, /::error::timeout: the GitHub API did not answer GET 127\.0\.0\.1:\d+\/repos\/octo\/cifar\/pulls within 1 s/);
      assert.doesNotMatch(run.stdout, /HTTP 500/);
      assertNoStack(run.everything, 'post-comment on a silent API');
    });

    it('report keeps its job when the API never answers: a warning names the timeout, the summary has the report', async () => {
      github.misbehave = { kind: 'never-answer' };
      const prEvent = {
        pull_request: {
          number: 21,
          head: { sha: 'aaaa1111', repo: { full_name: 'octo/cifar' } },
          base: { repo: { full_name: 'octo/cifar', name: 'cifar', owner: { login: 'octo' } } },
        },
      };
      const run = await runActionProcess('report', {
        eventName: 'pull_request',
        event: prEvent,
        token: TOKEN,
        inputs: { bundles },
        env: { GITHUB_API_URL: github.url, CIFAR10_GITHUB_TIMEOUT: '1' },
      });
      runs.push(run);
      assert.equal(run.code, 0, run.everything);
      assert.equal(run.outputs['comment-action'], 'failed');
      assert.match(run.stdout, /::warning::posting the PR comment failed \(timeout: the GitHub API did not answer POST 127\.0\.0\.1:\d+\/graphql within 1 s/);
      assert.match(run.summary, /s1-v1/);
      assertNoStack(run.everything, 'report');
    });

    it('printed no token in any of these runs', () => {
      assert.equal(runs.length, 4);
      for (const [i, run] of runs.entries()) for (const secret of [TOKEN, EXPIRED]) assert.ok(!run.everything.includes(secret), `run ${i} printed a token`);
    });
  });

  describe('each failure explained (the client the actions use, in this process)', () => {
    /** What the shells print for the failure of `call`. */
    const meaning = async (call: Promise<unknown>): Promise<string> => {
      try {
        await call;
      } catch (error) {
        const text = messageOf(explainGitHubError(error) ?? error);
        assert.ok(!text.includes(TOKEN), 'the message holds the token');
        return text;
      }
      assert.fail('the call succeeded');
    };
    const listPulls = (options: { baseUrl?: string; timeoutSeconds?: number; repo?: string } = {}) =>
      gitHubClient(TOKEN, { baseUrl: options.baseUrl ?? github.url, timeoutSeconds: options.timeoutSeconds }).rest.pulls.list({
        ...repo,
        repo: options.repo ?? repo.repo,
      });

    it('403: a read-only token or a missing permission', async () => {
      github.misbehave = { kind: 'status', status: 403 };
      assert.match(
        await meaning(listPulls()),
        /^GitHub forbade GET 127\.0\.0\.1:\d+\/repos\/octo\/cifar\/pulls: HTTP 403 \(Resource not accessible by integration[^)]*\)\. The token is read-only \(pull requests from forks get one\) or lacks a permission/,
      );
    });

    it('a 403 or 429 of the rate limit is told apart from a refusal', async () => {
      github.misbehave = { kind: 'status', status: 403, rateLimited: true };
      assert.match(await meaning(listPulls()), /^GitHub's API rate limit for this token is used up until 2030-01-01T00:00:00\.000Z \(HTTP 403 for GET/);
      github.misbehave = { kind: 'status', status: 429 };
      assert.match(await meaning(listPulls()), /^GitHub's API rate limit for this token is used up \(HTTP 429 for GET/);
    });

    it('404: a repository or pull request that does not exist or cannot be seen', async () => {
      assert.match(
        await meaning(listPulls({ repo: 'gone' })),
        /^GitHub answered 404 Not Found for GET 127\.0\.0\.1:\d+\/repos\/octo\/gone\/pulls: the repository or pull request does not exist, or the token cannot see it/,
      );
    });

    it('5xx: GitHub having trouble', async () => {
      github.misbehave = { kind: 'status', status: 502 };
      assert.match(
        await meaning(listPulls()),
        /^GitHub answered HTTP 502 \(Server Error[^)]*\) for GET 127\.0\.0\.1:\d+\/repos\/octo\/cifar\/pulls; GitHub is having trouble: re-run the job later/,
      );
    });

    it('an answer whose body never comes is a timeout too, GraphQL included', async () => {
      github.misbehave = { kind: 'no-body' };
      assert.match(
        await meaning(listPulls({ timeoutSeconds: 0.5 })),
        /^timeout: the GitHub API did not answer GET 127\.0\.0\.1:\d+\/repos\/octo\/cifar\/pulls within 0\.5 s/,
      );
      const client = gitHubClient(TOKEN, { baseUrl: github.url, timeoutSeconds: 0.5 });
      assert.match(
        await meaning(upsertMarkedComment(client, { ...repo, number: 21 }, marker, `${marker}\nx`)),
        /^timeout: the GitHub API did not answer POST 127\.0\.0\.1:\d+\/graphql within 0\.5 s/,
      );
    });

    it('an API that cannot be reached at all', async () => {
      const closed = new FakeGitHub();
      await closed.start();
      await closed.stop();
      assert.match(
        await meaning(listPulls({ baseUrl: closed.url })),
        /^could not reach the GitHub API: GET 127\.0\.0\.1:\d+\/repos\/octo\/cifar\/pulls failed \(.*ECONNREFUSED.*\); check GITHUB_API_URL/,
      );
    });

    it('a timeout setting that is not a number of seconds', () => {
      const saved = process.env.CIFAR10_GITHUB_TIMEOUT;
      process.env.CIFAR10_GITHUB_TIMEOUT = 'soon';
      try {
        assert.throws(
          () => gitHubClient(TOKEN, { baseUrl: github.url }),
          /^UserError: CIFAR10_GITHUB_TIMEOUT is "soon"; set it to a number of seconds above 0/,
        );
      } finally {
        if (saved === undefined) delete process.env.CIFAR10_GITHUB_TIMEOUT;
        else process.env.CIFAR10_GITHUB_TIMEOUT = saved;
      }
    });
  });
});
