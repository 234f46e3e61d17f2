import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commentMarker } from '../../src/github/comment.js';
import { FakeGitHub } from '../github/fake-github.js';
import { run as runPostComment } from '../../src/actions/impl/post-comment.js';
import { runActionInProcess, runActionProcess } from './local-runner.js';

const TOKEN = 'ghs_writeTokenOfTheBaseRepo0004';
const marker = commentMarker();

/** A workflow_run payload as GitHub sends it for a fork PR's run: `pull_requests` is empty. */
const workflowRun = (sha: string, event = 'pull_request') => ({
  action: 'completed',
  workflow_run: { id: 99, event, head_sha: sha, head_branch: 'feature', head_repository: { full_name: 'eve/cifar', owner: { login: 'eve' } }, pull_requests: [] },
});

describe('the post-comment action (workflow_run path for fork PRs)', () => {
  const github = new FakeGitHub();
  let dir: string;
  before(async () => {
    await github.start();
    github.addToken(TOKEN, { login: 'github-actions[bot]', viewerLogin: 'github-actions', type: 'Bot' });
    github.pulls.push({ number: 21, headSha: 'aaaa1111', headLabel: 'eve:feature', state: 'open' }, { number: 22, headSha: 'bbbb2222', headLabel: 'mallory:feature', state: 'open' });
    dir = await mkdtemp(join(tmpdir(), 'post-comment-'));
  });
  after(async () => {
    await github.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const post = async (body: string, event: unknown) => {
    const file = join(dir, 'comment.md');
    await writeFile(file, body);
    return runActionProcess('post-comment', { eventName: 'workflow_run', event, token: TOKEN, inputs: { 'comment-file': file }, env: { GITHUB_API_URL: github.url } });
  };

  it("finds the fork PR from the run's head repository, branch and commit, and keeps one comment", async () => {
    const first = await post(`${marker}\nreport 1`, workflowRun('aaaa1111'));
    assert.equal(first.code, 0, first.everything);
    assert.equal(first.outputs['pull-request'], '21');
    assert.equal(first.outputs['comment-action'], 'created');
    const second = await post(`${marker}\nreport 2`, workflowRun('aaaa1111'));
    assert.equal(second.outputs['comment-action'], 'updated');
    assert.deepEqual(github.commentsOn(21).map((c) => c.body), [`${marker}\nreport 2`]);
    assert.equal(github.commentsOn(22).length, 0);
    assert.ok(![first, second].some((run) => run.everything.includes(TOKEN)));
  });

  it('refuses a body that is not our report', async () => {
    const run = await post('click here: https://phish.example', workflowRun('aaaa1111'));
    assert.equal(run.code, 1);
    assert.match(run.stdout, /::error::.*does not start with the report marker/);
  });

  it('posts nothing when the PR head moved on since the run, and ends with a notice, not a failed job', async () => {
    const before = github.comments.length;
    const run = await post(`${marker}\nstale`, workflowRun('cccc3333'));
    assert.equal(run.code, 0, run.everything);
    assert.match(run.stdout, /::notice::No comment posted: no open pull request has head eve:feature at cccc333/);
    assert.equal(run.outputs['comment-action'], 'skipped');
    assert.equal(github.comments.length, before);
  });

  it('ends with a notice when the triggering run uploaded no comment', async () => {
    const run = await runActionProcess('post-comment', {
      eventName: 'workflow_run',
      event: workflowRun('aaaa1111'),
      token: TOKEN,
      inputs: { 'comment-file': join(dir, 'never-downloaded', 'comment.md') },
      env: { GITHUB_API_URL: github.url },
    });
    assert.equal(run.code, 0, run.everything);
    assert.match(run.stdout, /::notice::No comment to post: .*comment\.md is missing/);
    assert.equal(run.outputs['comment-action'], 'skipped');
  });

  it('ignores runs that did not come from a pull request', async () => {
    const run = await post(`${marker}\npush`, workflowRun('aaaa1111', 'push'));
    assert.equal(run.code, 1);
    assert.match(run.stdout, /came from a push event, not a pull_request/);
  });

  it('posts the same from its exported run(), called in this process', async () => {
    const file = join(dir, 'in-process.md');
    await writeFile(file, `${marker}\nreport 3`);
    const run = await runActionInProcess('post-comment', runPostComment, {
      eventName: 'workflow_run',
      event: workflowRun('aaaa1111'),
      token: TOKEN,
      inputs: { 'comment-file': file },
      env: { GITHUB_API_URL: github.url },
    });
    assert.equal(run.code, 0, run.everything);
    assert.equal(run.outputs['pull-request'], '21');
    assert.equal(run.outputs['comment-action'], 'updated');
    assert.deepEqual(github.commentsOn(21).map((c) => c.body), [`${marker}\nreport 3`]);
    assert.ok(!run.everything.includes(TOKEN));
  });
});
