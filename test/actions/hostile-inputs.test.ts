import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { commentMarker } from '../../src/github/comment.js';
import { assertNoStack, assertStack, runActionProcess, type ActionRun } from '../util/faults.js';

/**
 * Bad inputs and event payloads thrown at the actions as the runner starts them: each fails the
 * step with one message naming the action and the input (or the payload file and field), and no
 * stack trace unless step debug logging is on.
 */

const fails = (run: ActionRun, message: RegExp, what: string): void => {
  assert.equal(run.code, 1, `${what} should fail:\n${run.everything}`);
  assert.match(run.stdout, message);
  assertNoStack(run.everything, what);
};

describe('event payloads the actions read are checked against their event', () => {
  for (const eventName of ['workflow_dispatch', 'pull_request', 'schedule']) {
    it(`plan refuses a null ${eventName} payload by naming the payload file, with no stack`, async () => {
      const run = await runActionProcess('plan', { eventName, event: null });
      fails(run, new RegExp(`::error::the ${eventName} event payload /\\S+/event\\.json is not what GitHub sends for that event \\(the payload: expected object, received null\\)`), `plan on a null ${eventName} payload`);
      assert.equal(run.outputs.matrix, undefined);
    });
  }

  it('shows the stack of the same fault only with step debug logging on', async () => {
    const debug = await runActionProcess('plan', { eventName: 'workflow_dispatch', event: null, env: { RUNNER_DEBUG: '1' } });
    assert.equal(debug.code, 1);
    assert.match(debug.stdout, /::error::the workflow_dispatch event payload/);
    assertStack(debug.stdout, 'plan with RUNNER_DEBUG=1');
    assert.match(debug.stdout, /::debug::UserError: the workflow_dispatch event payload/);
    const secret = await runActionProcess('plan', { eventName: 'workflow_dispatch', event: null, env: { ACTIONS_STEP_DEBUG: 'true' } });
    assertStack(secret.stdout, 'plan with ACTIONS_STEP_DEBUG=true');
  });

  it('report refuses a pull_request payload whose fields have the wrong types, naming each', async () => {
    const event = { pull_request: { number: '7', head: { sha: 42, repo: null }, base: { repo: { full_name: 'octo/cifar', name: 'cifar' } } } };
    const run = await runActionProcess('report', { eventName: 'pull_request', event, inputs: { bundles: '/nonexistent' } });
    fails(run, /pull_request\.number: expected number, received string; pull_request\.head\.sha: expected string, received number; pull_request\.base\.repo\.owner: missing \(expected object\)/, 'report on a malformed payload');
  });

  it('post-comment refuses a workflow_run payload without the head commit, before asking GitHub anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hostile-payload-'));
    try {
      const file = join(dir, 'comment.md');
      await writeFile(file, `${commentMarker()}\nreport`);
      const event = { workflow_run: { event: 'pull_request', head_branch: 'feature', head_repository: { owner: { login: 'eve' } }, pull_requests: [{ number: 3 }] } };
      // No GITHUB_API_URL: a request would go to api.github.com and fail differently.
      const run = await runActionProcess('post-comment', { eventName: 'workflow_run', event, token: 'ghs_unused', inputs: { 'comment-file': file } });
      fails(run, /the workflow_run event payload \S+ is not what GitHub sends for that event \(workflow_run\.head_sha: missing \(expected string\); workflow_run\.pull_requests\[0\]\.head: missing \(expected object\)\)/, 'post-comment on a malformed payload');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('seed ranges are bounded before anything is listed', () => {
  it('plan refuses 1-100000000 seeds from workflow_dispatch, naming seeds, versions and the 256-job limit', async () => {
    const run = await runActionProcess('plan', { eventName: 'workflow_dispatch', event: { inputs: { seeds: '1-100000000', versions: 'v1,v2' } } });
    fails(run, /::error::workflow_dispatch input "seeds": 100000000 seeds × 2 versions = 200000000 jobs, more than the 256 GitHub runs from one matrix/, 'plan with 1-100000000');
  });

  it('plan refuses the same range in an action input, naming the action and the input', async () => {
    const run = await runActionProcess('plan', { eventName: 'pull_request', event: {}, inputs: { 'full-seeds': '1-100000000' } });
    fails(run, /::error::actions\/plan input "full-seeds": 100000000 seeds, more than the 256 jobs GitHub runs from one matrix/, 'plan with full-seeds 1-100000000');
  });

  it('plan refuses default inputs whose seeds × versions is over 256, naming both inputs and both counts', async () => {
    const run = await runActionProcess('plan', { eventName: 'pull_request', event: {}, inputs: { 'quick-seeds': '1-200', 'quick-versions': 'v1,v2' } });
    fails(run, /::error::actions\/plan input "quick-seeds" × "quick-versions": 200 seeds × 2 versions = 400 jobs, more than the 256/, 'plan with 200 × 2');
  });
});

describe('every action refuses a bad input by naming the action and the input', () => {
  const cases: { action: string; inputs: Record<string, string>; message: RegExp; eventName?: string; event?: unknown }[] = [
    { action: 'report', inputs: { matrix: '{"include":"s1"}' }, message: /actions\/report input "matrix" is not the plan action's matrix \(include: expected array, received string\); pass \$\{\{ needs\.plan\.outputs\.matrix \}\}/ },
    { action: 'report', inputs: { matrix: '{"include":[{"cell":"s1-v1","seed":"1","versions":"v1","epochs":2}]}' }, message: /actions\/report input "matrix" is not the plan action's matrix \(include\[0\]\.seed: expected number, received string\)/ },
    { action: 'report', inputs: { 'fail-on-regression': 'sometimes' }, message: /actions\/report input "fail-on-regression" is "sometimes"; use true or false/ },
    { action: 'report', inputs: { kind: 'nightly' }, message: /actions\/report input "kind" is "nightly"; use one of quick, full, manual/ },
    { action: 'plan', inputs: { 'quick-epochs': 'two' }, message: /actions\/plan input "quick-epochs": "two" is not a number of epochs/ },
    { action: 'plan', inputs: { 'full-seeds': '' }, message: /actions\/plan input "full-seeds": no seeds given/ },
    { action: 'run-experiment', inputs: { seed: '-1', versions: 'v1' }, message: /actions\/run-experiment input "seed" is -1; use 0 or more/ },
    { action: 'run-experiment', inputs: { seed: '1', versions: 'v1', backend: 'gpu' }, message: /actions\/run-experiment input "backend" is "gpu"; use one of auto, tensorflow, wasm, cpu/ },
    { action: 'run-experiment', inputs: { seed: '1', versions: 'v1', epochs: '1.5' }, message: /actions\/run-experiment input "epochs" is "1\.5"; use a whole number/ },
    { action: 'run-experiment', inputs: { seed: '', versions: 'v1' }, message: /actions\/run-experiment input "seed" is required and empty/ },
    { action: 'setup-data', inputs: { versions: 'v1', 'save-cache': 'maybe' }, message: /actions\/setup-data input "save-cache" is "maybe"; use true or false/ },
    { action: 'setup-data', inputs: { versions: 'v1,v1+w2' }, message: /actions\/setup-data input "versions": "w2" in "v1\+w2" is not a partition name/ },
    { action: 'post-comment', inputs: { 'comment-file': '' }, message: /actions\/post-comment input "comment-file" is required and empty/, eventName: 'workflow_run' },
  ];
  for (const c of cases) {
    it(`${c.action} with ${JSON.stringify(c.inputs)}`, async () => {
      const run = await runActionProcess(c.action, { eventName: c.eventName ?? 'push', event: c.event ?? {}, inputs: c.inputs, token: 'ghs_unused' });
      fails(run, c.message, `${c.action} ${JSON.stringify(c.inputs)}`);
    });
  }

  it('reports every bad input of a step at once', async () => {
    const run = await runActionProcess('run-experiment', { eventName: 'push', event: {}, inputs: { seed: 'x', versions: 'v0', backend: 'gpu' } });
    fails(run, /input "seed" is "x".*%0A.*input "versions": "v0".*%0A.*input "backend" is "gpu"/, 'run-experiment with three bad inputs');
  });
});
