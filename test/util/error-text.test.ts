import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/util/errors.js';
import { errorText } from '../../src/util/error-text.js';
import { assertNoStack, assertStack } from './faults.js';

describe('errorText: what a shell prints for a failure', () => {
  const options = { verbose: false, moreHint: 're-run with --verbose' };

  it('prints a UserError as its message alone', () => {
    assert.equal(errorText(new UserError('params.yaml: train.lr: expected a value > 0, got 0'), options), 'params.yaml: train.lr: expected a value > 0, got 0');
  });

  it('prints anything else as one line naming it, with how to see where it happened', () => {
    const text = errorText(new TypeError("Cannot read properties of null (reading 'inputs')"), options);
    assert.equal(text, "unexpected TypeError: Cannot read properties of null (reading 'inputs') (re-run with --verbose to see where it happened)");
    assertNoStack(text, 'errorText');
    assert.equal(errorText('a string', options), 'unexpected string: a string (re-run with --verbose to see where it happened)');
  });

  it('adds the stack of the error and of its causes when verbose', () => {
    const cause = new RangeError('inner');
    const text = errorText(new UserError('outer', { cause }), { ...options, verbose: true });
    assert.match(text, /^outer\nUserError: outer\n {4}at /);
    assert.match(text, /\ncaused by: RangeError: inner\n {4}at /);
    assertStack(text, 'errorText verbose');
  });
});
