import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { run as runFindBaseline } from '../../src/actions/impl/find-baseline.js';
import { BaselineRunSchema } from '../../src/github/baseline.js';
import { FakeGitHub, type FakeRun } from '../github/fake-github.js';
import { runActionInProcess, runActionProcess, type ActionRunOptions } from './local-runner.js';

const TOKEN = 'ghs_findBaselineTokenValue0005';
const NO_ACTIONS = 'ghs_noActionsReadTokenValue0006';
const DAY = 86_400_000;

const prEvent = (base = 'main') => ({
  action: 'synchronize',
  number: 4,
  pull_request: {
    number: 4,
    head: { sha: 'f'.repeat(40), repo: { full_name: 'octo/cifar' } },
    base: { ref: base, repo: { full_name: 'octo/cifar', name: 'cifar', owner: { login: 'octo' } } },
  },
});

describe('the find-baseline action, against a GitHub that keeps runs and expiring artifacts', () => {
  const github = new FakeGitHub();
  const run = (over: Partial<FakeRun>): FakeRun => {
    const r: FakeRun = {
      id: github.newId(),
      name: 'PR experiments',
      path: '.github/workflows/pr.yml',
      event: 'push',
      head_branch: 'main',
      head_sha: 'a'.repeat(40),
      status: 'completed',
      conclusion: 'success',
      created: github.now(),
      ...over,
    };
    github.runs.push(r);
    return r;
  };
  const artifact = (runId: number, name: string, retentionDays: number) =>
    github.artifacts.push({ id: github.newId(), runId, name, size: 10, digest: '', created: github.now(), expires: github.now() + retentionDays * DAY });
  const options = (inputs: Record<string, string>, token: string): ActionRunOptions => ({
    eventName: 'pull_request',
    event: prEvent(),
    token,
    inputs,
    env: { GITHUB_API_URL: github.url, GITHUB_WORKFLOW_REF: 'octo/cifar/.github/workflows/pr.yml@refs/pull/4/merge' },
  });
  const find = (inputs: Record<string, string> = {}, token = TOKEN) => runActionProcess('find-baseline', options(inputs, token));
  /** The run output, checked against the schema the report action reads it with. */
  const runOutput = (text: string | undefined) => BaselineRunSchema.parse(JSON.parse(text!));

  before(async () => {
    await github.start();
    github.addToken(TOKEN, { login: 'github-actions[bot]', type: 'Bot', permissions: { actions: 'read', contents: 'read' } });
    github.addToken(NO_ACTIONS, { login: 'github-actions[bot]', type: 'Bot', permissions: { contents: 'read' } });
  });
  after(() => github.stop());

  it('says none when the base branch has no successful push run of this workflow', async () => {
    run({ conclusion: 'failure' });
    run({ event: 'pull_request', head_branch: 'feature' });
    run({ path: '.github/workflows/other.yml' });
    const result = await find();
    assert.equal(result.code, 0, result.everything);
    assert.equal(result.outputs.status, 'none');
    assert.equal(result.outputs['run-id'], '');
    assert.deepEqual(JSON.parse(result.outputs.run!), { status: 'none', workflow: 'pr.yml', branch: 'main' });
  });

  it('finds the latest successful push run on the base branch and counts its downloadable bundles', async () => {
    const old = run({});
    artifact(old.id, 'bundle-s1-v1', 90);
    github.advanceDays(1);
    const latest = run({});
    artifact(latest.id, 'bundle-s1-v1', 90);
    artifact(latest.id, 'bundle-s2-v1', 90);
    artifact(latest.id, 'experiments-results', 90);
    const result = await find();
    assert.equal(result.outputs.status, 'found');
    assert.equal(result.outputs['run-id'], String(latest.id));
    const found = runOutput(result.outputs.run);
    assert.equal(found.bundles, 2);
    assert.equal(found.retentionDays, 90);
    assert.equal(found.url, `https://github.com/octo/cifar/actions/runs/${latest.id}`);
  });

  it('says expired, with the retention, once the bundles are past it, and gives no run id to download', async () => {
    github.advanceDays(91);
    const result = await find();
    assert.equal(result.outputs.status, 'expired');
    assert.equal(result.outputs['run-id'], '');
    assert.equal(runOutput(result.outputs.run).retentionDays, 90);
  });

  it('fails with the HTTP status, never the token, when the token may not read Actions', async () => {
    const result = await find({}, NO_ACTIONS);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /::error::.*(403|Resource not accessible)/);
    assert.ok(!result.everything.includes(NO_ACTIONS));
  });

  it('answers the same from its exported run(), called in this process, and keeps the token out of its log', async () => {
    const result = await runActionInProcess('find-baseline', runFindBaseline, options({}, TOKEN));
    assert.equal(result.code, 0, result.everything);
    assert.equal(result.outputs.status, 'expired');
    assert.equal(runOutput(result.outputs.run).retentionDays, 90);
    const refused = await runActionInProcess('find-baseline', runFindBaseline, options({}, NO_ACTIONS));
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /::error::.*(403|Resource not accessible)/);
    assert.ok(!refused.everything.includes(NO_ACTIONS));
  });
});
