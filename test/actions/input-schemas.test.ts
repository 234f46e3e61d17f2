import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ACTIONS } from '../../src/actions/constants.js';
import { PlanInputs, PostCommentInputs, readInputs, ReportInputs, RunExperimentInputs, SetupDataInputs } from '../../src/actions/input-schemas.js';
import { ACTIONS_DIR } from './lint.js';

/** The input schemas agree with action.yml: what it requires the schema requires, and its defaults parse. */

type Reader = (name: string) => string;
const SCHEMAS: Record<string, (read: Reader) => unknown> = {
  plan: (read) => readInputs(PlanInputs, read),
  'setup-data': (read) => readInputs(SetupDataInputs, read),
  'run-experiment': (read) => readInputs(RunExperimentInputs, read),
  report: (read) => readInputs(ReportInputs, read),
  'post-comment': (read) => readInputs(PostCommentInputs, read),
};

/** Values for inputs action.yml requires without a default. */
const SAMPLES: Record<string, string> = { seed: '1', versions: 'v1', 'comment-file': 'comment.md', token: 'ghs_sample' };

interface ActionYml {
  inputs: Record<string, { required?: boolean; default?: string }>;
}

describe('the action input schemas and action.yml', () => {
  it('every action has a schema', () => {
    assert.deepEqual(Object.keys(SCHEMAS).sort(), Object.keys(ACTIONS).sort());
  });

  for (const [name, parseInputs] of Object.entries(SCHEMAS)) {
    it(`actions/${name}: its defaults parse, it refuses an empty required input and accepts an empty optional one`, async () => {
      const yml = parse(await readFile(join(ACTIONS_DIR, name, 'action.yml'), 'utf8')) as ActionYml;
      const given = (input: string) => {
        const declared = yml.inputs[input];
        assert.ok(declared, `action.yml of ${name} lacks input "${input}"`);
        return SAMPLES[input] ?? (declared.default === '${{ github.token }}' ? 'ghs_sample' : (declared.default ?? ''));
      };
      parseInputs(given);
      for (const [input, declared] of Object.entries(yml.inputs)) {
        const read = (asked: string) => (asked === input ? '' : given(asked));
        if (declared.required) {
          assert.throws(() => parseInputs(read), new RegExp(`actions/${name} input "${input}"`), `${input} is required`);
        } else if (!declared.default) {
          assert.doesNotThrow(() => parseInputs(read), `${input} is optional`);
        }
      }
    });
  }
});
