import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { ACTIONS } from '../../src/actions/constants.js';
import { readInputs } from '../../src/actions/input-fields.js';
import { FindBaselineInputs, PlanInputs, PostCommentInputs, ReportInputs, RunExperimentInputs, SetupDataInputs } from '../../src/actions/input-schemas.js';
import { stepDebug } from '../../src/actions/shell.js';
import { ACTIONS_DIR } from './lint.js';

/**
 * The input schemas: they agree with action.yml (what it requires they require, its defaults
 * parse), and a bad value of any input of any action is refused naming the action and the input.
 * The actions' shells call exactly these (see hostile-inputs.test.ts for them run as processes).
 */

type Reader = (name: string) => string;
const SCHEMAS: Record<string, (read: Reader) => unknown> = {
  plan: (read) => readInputs(PlanInputs, read),
  'setup-data': (read) => readInputs(SetupDataInputs, read),
  'run-experiment': (read) => readInputs(RunExperimentInputs, read),
  report: (read) => readInputs(ReportInputs, read),
  'post-comment': (read) => readInputs(PostCommentInputs, read),
  'find-baseline': (read) => readInputs(FindBaselineInputs, read),
};

/** Values for inputs action.yml requires without a default. */
const SAMPLES: Record<string, string> = { seed: '1', versions: 'v1', bundles: 'bundles', token: 'ghs_sample' };

interface ActionYml {
  inputs: Record<string, { required?: boolean; default?: string }>;
}

describe('the action input schemas', () => {
  const ymls = new Map<string, ActionYml>();
  before(async () => {
    for (const name of Object.keys(SCHEMAS)) ymls.set(name, parse(await readFile(join(ACTIONS_DIR, name, 'action.yml'), 'utf8')) as ActionYml);
  });

  /** What the runner would hand the action: `given`, else a sample, else action.yml's default. */
  const reader =
    (action: string, given: Record<string, string> = {}): Reader =>
    (input) => {
      const declared = ymls.get(action)!.inputs[input];
      assert.ok(declared, `action.yml of ${action} lacks input "${input}"`);
      return given[input] ?? SAMPLES[input] ?? (declared.default === '${{ github.token }}' ? 'ghs_sample' : (declared.default ?? ''));
    };

  it('every action has one', () => {
    assert.deepEqual(Object.keys(SCHEMAS).sort(), Object.keys(ACTIONS).sort());
  });

  for (const [name, parseInputs] of Object.entries(SCHEMAS)) {
    it(`actions/${name}: its defaults parse, it refuses an empty required input and accepts an empty optional one`, () => {
      parseInputs(reader(name));
      for (const [input, declared] of Object.entries(ymls.get(name)!.inputs)) {
        const empty = reader(name, { [input]: '' });
        if (declared.required) assert.throws(() => parseInputs(empty), new RegExp(`actions/${name} input "${input}"`), `${input} is required`);
        else if (!declared.default) assert.doesNotThrow(() => parseInputs(empty), `${input} is optional`);
      }
    });
  }

  const refusals: [string, Record<string, string>, RegExp][] = [
    ['plan', { 'quick-epochs': 'two' }, /^actions\/plan input "quick-epochs": "two" is not a number of epochs/],
    ['plan', { 'full-seeds': '' }, /^actions\/plan input "full-seeds": no seeds given/],
    ['plan', { 'full-seeds': '1-100000000' }, /^actions\/plan input "full-seeds": 100000000 seeds, more than the 256 jobs GitHub runs from one matrix/],
    [
      'plan',
      { 'quick-seeds': '1-200', 'quick-versions': 'v1,v2' },
      /^actions\/plan input "quick-seeds" × "quick-versions": 200 seeds × 2 versions = 400 jobs, more than the 256/,
    ],
    [
      'report',
      { matrix: '{"include":[{"cell":"s1-v1","seed":"1","versions":"v1","epochs":2}]}' },
      /^actions\/report input "matrix" is not the plan action's matrix \(include\[0\]\.seed: expected number, received string\)/,
    ],
    ['report', { matrix: '{include' }, /^actions\/report input "matrix" is not JSON \(.*\); it should be the plan action's matrix/],
    ['report', { 'fail-on-regression': 'sometimes' }, /^actions\/report input "fail-on-regression" is "sometimes"; use true or false/],
    ['report', { kind: 'nightly' }, /^actions\/report input "kind" is "nightly"; use one of quick, full, manual/],
    ['run-experiment', { seed: '-1' }, /^actions\/run-experiment input "seed" is -1; use 0 or more/],
    ['run-experiment', { seed: '4294967296' }, /^actions\/run-experiment input "seed" is 4294967296; use at most 4294967295/],
    ['run-experiment', { backend: 'gpu' }, /^actions\/run-experiment input "backend" is "gpu"; use one of auto, tensorflow, wasm, cpu/],
    ['run-experiment', { epochs: '1.5' }, /^actions\/run-experiment input "epochs" is "1\.5"; use a whole number/],
    ['run-experiment', { overrides: 'train.lr 0.1' }, /^actions\/run-experiment input "overrides": "train\.lr" is not a params override/],
    ['setup-data', { 'save-cache': 'maybe' }, /^actions\/setup-data input "save-cache" is "maybe"; use true or false/],
    ['setup-data', { versions: 'v1,v1+w2' }, /^actions\/setup-data input "versions": "w2" in "v1\+w2" is not a partition name/],
    ['setup-data', { source: 'ftp' }, /^actions\/setup-data input "source" is "ftp"; use one of remote, rebuild, auto/],
    ['post-comment', { bundles: '' }, /^actions\/post-comment input "bundles" is required and empty; set it under `with:`/],
  ];
  for (const [action, given, message] of refusals) {
    it(`actions/${action} refuses ${JSON.stringify(given)} by name`, () => {
      assert.throws(
        () => SCHEMAS[action]!(reader(action, given)),
        (error: Error) => {
          assert.equal(error.name, 'UserError');
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  it('reports every bad input of a step at once, one a line', () => {
    assert.throws(() => SCHEMAS['run-experiment']!(reader('run-experiment', { seed: 'x', versions: 'v0', backend: 'gpu' })), {
      message:
        /^actions\/run-experiment input "seed" is "x"; use a whole number\nactions\/run-experiment input "versions": "v0" in "v0" is not a partition name.*\nactions\/run-experiment input "backend" is "gpu"/,
    });
  });

  it('parses inputs into typed values', () => {
    const plan = readInputs(PlanInputs, reader('plan', { 'quick-seeds': '5-7', 'quick-versions': 'v2+v1, v3' }));
    assert.deepEqual([plan.quickSeeds, plan.quickVersions, plan.quickEpochs], [[5, 6, 7], ['v2+v1', 'v3'], 2]);
    const run = readInputs(RunExperimentInputs, reader('run-experiment', { seed: '0', epochs: '' }));
    assert.deepEqual([run.seed, run.epochs, run.backend, run.overrides], [0, undefined, 'auto', []]);
    const report = readInputs(ReportInputs, reader('report', { comment: 'NO', matrix: '{"include":[{"cell":"s1-v1","seed":1,"versions":"v1","epochs":2}]}' }));
    assert.deepEqual([report.comment, report.failOnRegression, report.matrix?.include.length, report.kind], [false, false, 1, undefined]);
  });

  it('step debug logging is on with RUNNER_DEBUG=1 (a debug re-run) or ACTIONS_STEP_DEBUG=true', () => {
    assert.equal(stepDebug({ RUNNER_DEBUG: '1' }), true);
    assert.equal(stepDebug({ ACTIONS_STEP_DEBUG: 'true' }), true);
    assert.equal(stepDebug({}), false);
  });
});
