import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readEventPayload } from '../../src/github/event.js';
import { assertNoStack, assertStack, runActionProcess, type ActionRun } from '../util/faults.js';

/**
 * Bad inputs and event payloads thrown at the actions: the reproductions of issue 18 run as the
 * runner starts the action, each failing the step with one message naming the action and the input
 * (or the payload file and field), with no stack trace unless step debug logging is on. Every
 * other bad input of every action is in input-schemas.test.ts.
 */

const fails = (run: ActionRun, message: RegExp, what: string): void => {
  assert.equal(run.code, 1, `${what} should fail:\n${run.everything}`);
  assert.match(run.stdout, message);
  assertNoStack(run.everything, what);
};

describe('the actions, run as the runner runs them, on the faults of issue 18', () => {
  it('plan refuses a null workflow_dispatch payload by naming the payload file, with no stack', async () => {
    const run = await runActionProcess('plan', { eventName: 'workflow_dispatch', event: null });
    fails(
      run,
      /::error::the workflow_dispatch event payload \/\S+\/event\.json is not what GitHub sends for that event \(the payload: expected object, received null\)/,
      'plan on a null payload',
    );
    assert.equal(run.outputs.matrix, undefined);
  });

  it('plan logs the stack of the same fault only with step debug logging on', async () => {
    const run = await runActionProcess('plan', { eventName: 'workflow_dispatch', event: null, env: { RUNNER_DEBUG: '1' } });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /::error::the workflow_dispatch event payload/);
    assert.match(run.stdout, /::debug::UserError: the workflow_dispatch event payload/);
    assertStack(run.stdout, 'plan with RUNNER_DEBUG=1');
  });

  it('plan refuses a null pull_request payload too, though it reads nothing from it', async () => {
    fails(
      await runActionProcess('plan', { eventName: 'pull_request', event: null }),
      /::error::the pull_request event payload \S+ is not what GitHub sends/,
      'plan on a null pull_request payload',
    );
  });

  it('plan refuses seeds 1-100000000 before listing them, naming seeds, versions and the 256-job limit', async () => {
    const run = await runActionProcess('plan', { eventName: 'workflow_dispatch', event: { inputs: { seeds: '1-100000000', versions: 'v1,v2' } } });
    fails(
      run,
      /::error::workflow_dispatch input "seeds": 100000000 seeds × 2 versions = 200000000 jobs, more than the 256 GitHub runs from one matrix/,
      'plan with 1-100000000',
    );
  });

  it('report refuses matrix={"include":"s1"} by naming the action and the input', async () => {
    const run = await runActionProcess('report', { eventName: 'push', event: {}, inputs: { matrix: '{"include":"s1"}' } });
    fails(
      run,
      /::error::actions\/report input "matrix" is not the plan action's matrix \(include: expected array, received string\); pass \$\{\{ needs\.plan\.outputs\.matrix \}\}/,
      'report with a bad matrix',
    );
  });
});

describe('event payloads are checked against the schema of their event', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hostile-payload-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const payloadFile = async (payload: unknown): Promise<string> => {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, JSON.stringify(payload));
    return file;
  };

  it('a pull_request payload whose fields have the wrong types, naming each field', async () => {
    const file = await payloadFile({
      pull_request: { number: '7', head: { sha: 42, repo: null }, base: { repo: { full_name: 'octo/cifar', name: 'cifar' } } },
    });
    await assert.rejects(readEventPayload(file, 'pull_request'), {
      name: 'UserError',
      message:
        /pull_request\.number: expected number, received string; pull_request\.head\.sha: expected string, received number; pull_request\.base\.repo\.owner: missing \(expected object\)/,
    });
  });

  it('a workflow_run payload without the head commit', async () => {
    const file = await payloadFile({
      workflow_run: { event: 'pull_request', head_branch: 'feature', head_repository: { owner: { login: 'eve' } }, pull_requests: [{ number: 3 }] },
    });
    await assert.rejects(readEventPayload(file, 'workflow_run'), {
      message:
        /^the workflow_run event payload \S+ is not what GitHub sends for that event \(workflow_run\.head_sha: missing \(expected string\); workflow_run\.pull_requests\[0\]\.head: missing \(expected object\)\)/,
    });
  });

  it('workflow_dispatch inputs that are not strings, numbers or booleans', async () => {
    await assert.rejects(readEventPayload(await payloadFile({ inputs: { seeds: [1, 2] } }), 'workflow_dispatch'), { message: /inputs\.seeds: / });
    assert.deepEqual(await readEventPayload(await payloadFile({ inputs: { seeds: 5, dry: true } }), 'workflow_dispatch'), { inputs: { seeds: 5, dry: true } });
  });

  it('any other event: a JSON object, nothing more', async () => {
    await assert.rejects(readEventPayload(await payloadFile([1]), 'schedule'), {
      message: /the schedule event payload \S+ is not what GitHub sends .*expected object, received array/,
    });
    assert.deepEqual(await readEventPayload(await payloadFile({ schedule: '23 3 * * 1' }), 'schedule'), { schedule: '23 3 * * 1' });
  });
});
