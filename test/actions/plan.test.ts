import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run as runPlan } from '../../src/actions/impl/plan.js';
import { runActionInProcess, runActionProcess } from './local-runner.js';

const prEvent = {
  action: 'synchronize',
  number: 7,
  pull_request: {
    number: 7,
    head: { sha: 'abc', repo: { full_name: 'octo/cifar' } },
    base: { repo: { full_name: 'octo/cifar', name: 'cifar', owner: { login: 'octo' } } },
  },
};

describe('the plan action, run as the runner runs it', () => {
  it('plans the quick matrix for a pull request from the action.yml defaults: 3 seeds, and says what they can detect', async () => {
    const run = await runActionProcess('plan', { eventName: 'pull_request', event: prEvent });
    assert.equal(run.code, 0, run.everything);
    const matrix = JSON.parse(run.outputs.matrix!) as { include: { cell: string; seed: number; versions: string; epochs: number }[] };
    assert.equal(run.outputs.kind, 'quick');
    assert.deepEqual(matrix.include, [
      { cell: 's42-v1', seed: 42, versions: 'v1', epochs: 2 },
      { cell: 's100-v1', seed: 100, versions: 'v1', epochs: 2 },
      { cell: 's2025-v1', seed: 2025, versions: 'v1', epochs: 2 },
    ]);
    assert.equal(run.outputs.cells, '3');
    assert.match(run.stdout, /3 seeds per version: against as many runs of main, a change of 3\.0 sd of seed noise is detected 80% of the time/);
    assert.equal(run.outputs.versions, 'v1,v2,v3', 'v1 runs are scored on the test splits of every partition partitions.json lists');
  });

  it('takes seeds, versions and epochs from workflow_dispatch inputs', async () => {
    const run = await runActionProcess('plan', {
      eventName: 'workflow_dispatch',
      event: { inputs: { seeds: '5-7', versions: 'v1+v2, v3', epochs: '4' }, ref: 'refs/heads/main' },
    });
    assert.equal(run.code, 0, run.everything);
    const cells = (JSON.parse(run.outputs.matrix!) as { include: { cell: string; epochs: number }[] }).include;
    assert.deepEqual(
      cells.map((c) => c.cell),
      ['s5-v1+v2', 's6-v1+v2', 's7-v1+v2', 's5-v3', 's6-v3', 's7-v3'],
    );
    assert.ok(cells.every((c) => c.epochs === 4));
    assert.equal(run.outputs.kind, 'manual');
    assert.equal(run.outputs.versions, 'v1,v2,v3');
  });

  it('runs the full default matrix on schedule, with the workflow overriding the defaults', async () => {
    const run = await runActionProcess('plan', {
      eventName: 'schedule',
      event: { schedule: '23 3 * * 1' },
      inputs: { 'full-seeds': '42,100', 'full-versions': 'v1,v1+v2+v3', 'full-epochs': '20' },
    });
    assert.equal(run.code, 0, run.everything);
    assert.equal(run.outputs.kind, 'full');
    assert.equal(run.outputs.cells, '4');
    assert.equal(run.outputs.versions, 'v1,v2,v3');
  });

  it('fails with a message naming the bad workflow_dispatch input and how to write it', async () => {
    const run = await runActionProcess('plan', { eventName: 'workflow_dispatch', event: { inputs: { seeds: '1,two', versions: '', epochs: '' } } });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /::error::workflow_dispatch input "seeds": "two" is not a seed; use whole numbers/);
    assert.equal(run.outputs.matrix, undefined);
  });

  it('refuses a matrix larger than the 256 jobs GitHub runs', async () => {
    const run = await runActionProcess('plan', { eventName: 'workflow_dispatch', event: { inputs: { seeds: '1-100', versions: 'v1,v2,v3' } } });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /300 jobs, more than the 256/);
  });

  it('rejects a bad version spec in an action input, naming the input', async () => {
    const run = await runActionProcess('plan', { eventName: 'pull_request', event: prEvent, inputs: { 'quick-versions': 'v1+v1' } });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /input "quick-versions": "v1" appears twice/);
  });

  it('plans the same from its exported run(), called in this process', async () => {
    const run = await runActionInProcess('plan', runPlan, { eventName: 'pull_request', event: prEvent, inputs: { 'quick-seeds': '1,2', 'quick-epochs': '3' } });
    assert.equal(run.code, 0, run.everything);
    assert.equal(run.outputs.kind, 'quick');
    assert.deepEqual(JSON.parse(run.outputs.matrix!), {
      include: [
        { cell: 's1-v1', seed: 1, versions: 'v1', epochs: 3 },
        { cell: 's2-v1', seed: 2, versions: 'v1', epochs: 3 },
      ],
    });
    assert.match(run.stdout, /pull_request → quick matrix of 2 runs: s1-v1, s2-v1/);
    const bad = await runActionInProcess('plan', runPlan, { eventName: 'pull_request', event: prEvent, inputs: { 'quick-versions': 'v1+v1' } });
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /::error::actions\/plan input "quick-versions"/);
    assert.equal(process.exitCode, undefined, "the action's failure stays with its run");
  });
});
