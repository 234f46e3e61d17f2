import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseSeedList } from '../../src/experiments/matrix.js';
import { checkRunParams } from '../../src/experiments/run-params.js';
import { createSynthWorkspace } from '../fixtures/synth-workspace.js';
import { assertNoStack, assertStack, plainEnv, runCli, type CliRun } from '../util/faults.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

/**
 * Mistakes made at the command line of the experiment commands: each fails at once with one line
 * naming the flag, the override or the file, and how to fix it; the stack only with --verbose.
 */

const PARAMS = `data:
  versions: v1
train:
  seed: 42
  lr: 0.003
  width: 0.125
  epochs: 1
  batch_size: 32
evaluate:
  pictures: false
`;

const refused = (run: CliRun, message: RegExp, what: string): void => {
  assert.equal(run.code, 1, `${what} should fail:\n${run.stdout}${run.stderr}`);
  assert.match(run.stderr, message);
  assertNoStack(run.stderr, what);
};

describe('the experiment commands refuse bad flags and params before running anything', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cli-faults-'));
    await createSynthWorkspace(root, { imagesPerClass: 20, partitions: 1, partitionSize: 50, seed: 3 });
    await writeFile(join(root, 'params.yaml'), PARAMS);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Nothing of a run was started: no cell folder, no results. */
  const nothingRan = async () => {
    assert.deepEqual(await readdir(join(root, '.cache', 'experiments')).catch(() => []), []);
    assert.deepEqual(await readdir(join(root, 'results')).catch(() => []), []);
  };

  it('exp matrix --seeds 1-100000000 names the flag, the count and the limit, without a stack', async () => {
    refused(
      await runCli(root, ['exp', 'matrix', '--seeds', '1-100000000']),
      /^error: --seeds: 100000000 seeds, more than the 1000 cells a matrix runs at most; use fewer seeds/m,
      'exp matrix --seeds 1-100000000',
    );
    await nothingRan();
  });

  it('prints the stack of the same mistake with --verbose, even after the subcommand', async () => {
    const run = await runCli(root, ['exp', 'matrix', '--seeds', '1-100000000', '--verbose']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: --seeds: 100000000 seeds/m);
    assertStack(run.stderr, 'exp matrix … --verbose');
  });

  it('names both counts when seeds × versions is over the limit', async () => {
    refused(
      await runCli(root, ['exp', 'matrix', '--seeds', '1-400', '--versions', 'v1,v2,v3']),
      /^error: 400 seeds × 3 version specs = 1200 cells, more than the 1000 a matrix runs at most/m,
      '400 × 3',
    );
    await nothingRan();
  });

  it('refuses a seed beyond 32 bits, and a range that would list too many, without listing it', () => {
    assert.throws(() => parseSeedList('4294967296', '--seeds'), /^UserError: --seeds: seed 4294967296 is too large; seeds run from 0 to 4294967295/);
    assert.throws(() => parseSeedList('0-4294967295', '--seeds'), /^UserError: --seeds: 4294967296 seeds, more than the 1000 cells/);
    assert.deepEqual(parseSeedList('7, 1-3', '--seeds'), [7, 1, 2, 3]);
  });

  it('exp run -S train.lr=0 blames the override, before prepare starts', async () => {
    refused(
      await runCli(root, ['exp', 'run', '-S', 'train.lr=0']),
      /^error: -S train\.lr=0: train\.lr: expected a value > 0, got 0 \(every schedule scales this rate, so at 0 the weights never change\)/m,
      'exp run -S train.lr=0',
    );
    await nothingRan();
  });

  it('exp matrix -S train.lr=0 fails the whole matrix at once, not cell by cell', async () => {
    const run = await runCli(root, ['exp', 'matrix', '--seeds', '1,2', '--versions', 'v1', '-S', 'train.lr=0']);
    refused(run, /^error: -S train\.lr=0: train\.lr: expected a value > 0/m, 'exp matrix -S train.lr=0');
    assert.doesNotMatch(run.stderr, /FAILED|cell\(s\) to run/);
    await nothingRan();
  });

  it('a learning rate of 0 in params.yaml is blamed on params.yaml', async () => {
    await writeFile(join(root, 'params.yaml'), PARAMS.replace('lr: 0.003', 'lr: 0'));
    try {
      refused(await runCli(root, ['exp', 'run']), /^error: params\.yaml: train\.lr: expected a value > 0, got 0/m, 'params.yaml lr: 0');
      refused(await runCli(root, ['train']), /^error: params\.yaml: train\.lr: expected a value > 0, got 0/m, 'cifar10 train with lr: 0');
      await nothingRan();
    } finally {
      await writeFile(join(root, 'params.yaml'), PARAMS);
    }
  });

  it('refuses the other params that would train a useless model: no epochs, empty batches, a tuning rate of 0', async () => {
    refused(
      await runCli(root, ['exp', 'run', '-S', 'train.epochs=0']),
      /^error: -S train\.epochs=0: train\.epochs: expected a value ≥ 1, got 0/m,
      '-S train.epochs=0',
    );
    await nothingRan();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ train: { batch_size: 0 } }, 'train.batch_size=0', /^UserError: -S train\.batch_size=0: train\.batch_size: expected a value ≥ 1, got 0/],
      [{ train: { epochs: -3 } }, 'train.epochs=-3', /^UserError: -S train\.epochs=-3: train\.epochs: expected a value ≥ 1, got -3/],
      [{ tune: { lr: [0.01, 0] } }, '+tune.lr=[0.01,0]', /^UserError: -S \+tune\.lr=\[0\.01,0\]: tune\.lr: expected a value > 0, got \[0\.01,0\]/],
      [{ prepare: { val: -0.1 } }, 'prepare.val=-0.1', /^UserError: -S prepare\.val=-0\.1: prepare\.val: expected a value ≥ 0/],
      [{ evaluate: { batch_size: 0 } }, 'evaluate.batch_size=0', /^UserError: -S evaluate\.batch_size=0: evaluate\.batch_size: expected a value ≥ 1/],
    ];
    for (const [doc, override, message] of cases) await assert.rejects(checkRunParams(root, doc, [override]), message);
  });

  it('exp show --results <a file> names the file', async () => {
    refused(
      await runCli(root, ['exp', 'show', '--results', 'params.yaml']),
      /^error: \S*\/params\.yaml is a file, not a results folder/m,
      'exp show --results params.yaml',
    );
  });

  it('an environment with CIFAR10_VERBOSE=1 shows stacks as --verbose does (stage processes inherit it)', async () => {
    const run = await runCli(root, ['exp', 'run', '-S', 'train.lr=0'], plainEnv({ CIFAR10_VERBOSE: '1' }));
    assert.equal(run.code, 1);
    assertStack(run.stderr, 'CIFAR10_VERBOSE=1');
  });
});
