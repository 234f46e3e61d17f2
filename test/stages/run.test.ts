import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readPreparedInfo } from '../../src/data/prepared-info.js';
import { STAGE_RUNNER, stageArgs } from '../../src/stages/args.js';
import { createSynthWorkspace, withTempDir } from '../fixtures/synth-workspace.js';
import { assertNoStack, assertStack, plainEnv, runScript, type CliRun } from '../util/faults.js';

/**
 * The stage runner, `node dist/src/stages/run.js <stage> '<JSON>'`, as an experiment cell starts
 * it: the stage function in a process of its own, its result lines on stdout, and every mistake in
 * its arguments one line without a stack (with one under CIFAR10_VERBOSE=1, as cells inherit it).
 */

const runStage = (cwd: string, args: readonly string[], env = plainEnv()): Promise<CliRun> => runScript(STAGE_RUNNER, cwd, args, env);

const refused = (run: CliRun, message: RegExp, what: string) => {
  assert.equal(run.code, 1, `${what} should fail:\n${run.stdout}${run.stderr}`);
  assert.match(run.stderr, message);
  assertNoStack(run.stderr, what);
};

describe('the stage runner', () => {
  it('runs the prepare stage with the options it is given, in the current folder, saying what it made', () =>
    withTempDir('stage-runner-', async (root) => {
      await createSynthWorkspace(root, { imagesPerClass: 10, partitions: 1, partitionSize: 50, seed: 2 });
      await writeFile(join(root, 'params.yaml'), 'data:\n  versions: v1\nprepare:\n  seed: 3\n  train: 0.6\n  val: 0.2\n  test: 0.2\n');
      const run = await runStage(root, stageArgs('prepare', { params: 'params.yaml', partitions: 'data/partitions', out: 'data/split', quiet: true }));
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'data/split: v1 → train 30, val 10, test 10 images (seed 3)\n');
      const info = await readPreparedInfo(join(root, 'data', 'split'));
      assert.deepEqual(info.counts, { train: 30, val: 10, test: 10 });
      assert.match(await readFile(join(root, 'data', 'split', 'info.json'), 'utf8'), /"format_version": 1/);
    }));

  it('refuses an unknown stage, options that are not JSON or not the stage input, each in one line', () =>
    withTempDir('stage-runner-', async (root) => {
      refused(await runStage(root, ['tune', '{}']), /^error: usage: stages\/run\.js <prepare\|train\|evaluate> '<options as JSON>'$/m, 'an unknown stage');
      refused(await runStage(root, ['prepare', '{params:']), /^error: stage prepare: the options are not JSON \(/m, 'options that are not JSON');
      refused(await runStage(root, ['prepare', '{"params": "params.yaml", "partitions": "p"}']), /^error: stage prepare: option out: /m, 'a missing option');
      refused(
        await runStage(root, ['train', JSON.stringify({ params: 'p', prepared: 'd', model: 'm', log: 'l', tuning: 't', backend: 'gpu' })]),
        /^error: stage train: option backend: /m,
        'a backend that is none',
      );
      refused(
        await runStage(root, ['evaluate', JSON.stringify({ params: 'p', prepared: 'd', model: 'm', out: 'o', extra: 1 })]),
        /^error: stage evaluate: option \(all\): /m,
        'an unknown option',
      );
    }));

  it("reports a stage's own failure as the CLI does, with the stack under CIFAR10_VERBOSE=1", () =>
    withTempDir('stage-runner-', async (root) => {
      await writeFile(join(root, 'params.yaml'), 'prepare:\n  trian: 0.6\n');
      const args = stageArgs('prepare', { params: 'params.yaml', partitions: 'data/partitions', out: 'data/prepared' });
      refused(
        await runStage(root, args),
        /^error: params\.yaml: unknown key "prepare\.trian"; known keys of "prepare": seed, train, val, test$/m,
        'a params mistake',
      );
      const verbose = await runStage(root, args, plainEnv({ CIFAR10_VERBOSE: '1' }));
      assert.equal(verbose.code, 1);
      assertStack(verbose.stderr, 'the stage runner under CIFAR10_VERBOSE=1');
    }));
});
