import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CIFAR10_SHELL } from '../../src/cifar10-shell.js';
import { UserError } from '../../src/util/errors.js';
import { command, DVC_SHELL, hinted, hintsOf, renderMessage, useShell } from '../../src/util/hints.js';

test('a message made of parts keeps its commands as hints and spells them as the shell of the process does', () => {
  const error = new UserError(
    hinted`object x is missing; push it from a clone that has it (${command('push')}), or run ${command('remote add', '-d', 'storage', '<url>')}`,
  );
  assert.deepEqual(hintsOf(error), [command('push'), command('remote add', '-d', 'storage', '<url>')]);
  useShell(DVC_SHELL);
  assert.equal(error.message, 'object x is missing; push it from a clone that has it (`dvc push`), or run `dvc remote add -d storage <url>`');
  useShell(CIFAR10_SHELL);
  assert.equal(error.message, 'object x is missing; push it from a clone that has it (`cifar10 data push`), or run `cifar10 data remote add -d storage <url>`');
  useShell(DVC_SHELL);
});

test('the cifar10 shell keeps DVC data verbs under `data` and the others at the top level', () => {
  const spell = (verb: string, ...args: string[]) => CIFAR10_SHELL.command(command(verb, ...args));
  assert.equal(spell('init'), 'cifar10 data init');
  assert.equal(spell('checkout', '--force'), 'cifar10 data checkout --force');
  assert.equal(spell('remote modify', '--local', 'storage', 'password', '<value>'), 'cifar10 data remote modify --local storage password <value>');
  assert.equal(spell('repro', '--force'), 'cifar10 repro --force');
  assert.equal(spell('version-data'), 'cifar10 version-data');
});

test('a message that wraps an error takes over its parts, so the wrapped commands are spelled too', () => {
  const inner = new UserError(hinted`run ${command('fetch')} first`);
  const outer = new UserError(hinted`cannot check out data/v1: ${inner}; plain ${new Error('text')}`);
  assert.equal(renderMessage(outer.parts!, CIFAR10_SHELL), 'cannot check out data/v1: run `cifar10 data fetch` first; plain text');
  assert.equal(new UserError('plain').parts, undefined);
});
