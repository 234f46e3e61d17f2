import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { paramsGroup } from '../../src/params.js';
import { selectBackend } from '../../src/model/backend.js';
import { TUNE_PARAMS, type TuneParams } from '../../src/model/params.js';
import { bestTrial, plannedTrials, tune, type TrialResult } from '../../src/model/tune.js';
import { readTiming } from '../../src/util/timing.js';
import { synthSplits, testParams, type SynthSplits } from './helpers.js';

const run = promisify(execFile);

function tuneParams(overrides: Partial<TuneParams>): TuneParams {
  return { ...paramsGroup({}, 'tune', TUNE_PARAMS), ...overrides };
}

describe('hyperparameter tuning', () => {
  let root: string;
  let data: SynthSplits;
  before(async () => {
    await selectBackend('wasm');
    root = await mkdtemp(join(tmpdir(), 'tune-'));
    data = await synthSplits(root);
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('tuning picks the trial with the best val accuracy and records every trial in tuning.csv', async () => {
    // lr 0 cannot learn (chance); lr 0.005 can: the search must pick the latter whatever the order.
    const csvFile = join(root, 'reports', 'tuning.csv');
    const result = await tune({
      train: data.train,
      val: data.val,
      params: testParams({ width: 1, batch_size: 16 }),
      tune: tuneParams({ enabled: true, strategy: 'grid', lr: [0, 0.005], epochs: 2, trials: 10 }),
      csvFile,
      quiet: true,
    });
    assert.equal(result.trials.length, 2);
    assert.equal(result.best.config.lr, 0.005);
    assert.ok(result.best.valAcc > result.trials[0]!.valAcc);
    assert.equal(result.params.lr, 0.005, 'the best knobs go on to the full training run');
    assert.equal(result.params.epochs, testParams().epochs, 'the full run keeps train.epochs');
    const rows = parse(await readFile(csvFile, 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual(
      rows.map((r) => [r['lr'], r['best']]),
      [
        ['0', 'false'],
        ['0.005', 'true'],
      ],
    );
    assert.equal(Number(rows[1]!['val_acc']).toFixed(4), result.best.valAcc.toFixed(4));
  });

  test('grid search runs the combinations in order; random search a seeded sample; both stop at tune.trials', () => {
    const base = testParams();
    const grid = plannedTrials(tuneParams({ strategy: 'grid', lr: [1, 2], width: [0.5, 1], trials: 3 }), base);
    assert.deepEqual(
      grid.map((c) => [c.lr, c.width]),
      [
        [1, 0.5],
        [1, 1],
        [2, 0.5],
      ],
    );
    const space = tuneParams({ strategy: 'random', lr: [1, 2, 3, 4], dropout: [0, 0.5], trials: 5 });
    const sample = plannedTrials(space, base);
    assert.equal(sample.length, 5);
    assert.deepEqual(plannedTrials(space, base), sample, 'seeded');
    assert.notDeepEqual(plannedTrials({ ...space, seed: 99 }, base), sample);
    assert.equal(new Set(sample.map((c) => `${c.lr}/${c.dropout}`)).size, 5, 'no combination twice');
  });

  test('ties in val accuracy go to the lower val loss', () => {
    const trial = (n: number, valAcc: number, valLoss: number): TrialResult => ({
      trial: n,
      config: { ...testParams(), lr: n },
      valAcc,
      valLoss,
      bestEpoch: 1,
      seconds: 1,
    });
    assert.equal(bestTrial([trial(1, 0.5, 1.2), trial(2, 0.6, 1.5), trial(3, 0.6, 1.1)])!.trial, 3);
  });

  test('`cifar10 train` with tune.enabled tunes, then trains the best configuration, reporting the backend', async () => {
    await writeFile(
      join(root, 'params.yaml'),
      'train:\n  arch: fast\n  epochs: 1\n  width: 0.25\n  batch_size: 32\ntune:\n  enabled: true\n  strategy: grid\n  lr: [0.001, 0.003]\n  epochs: 1\n',
    );
    const cli = join(process.cwd(), 'dist', 'src', 'cli.js');
    const { stdout, stderr } = await run(process.execPath, [cli, 'train', '--backend', 'wasm', '--quiet'], { cwd: root });
    assert.match(stderr, /backend: wasm/);
    assert.match(stdout, /tuning: 2 trials/);
    assert.match(stdout, /models\/model: fast, best epoch 1\/1/);
    const rows = parse(await readFile(join(root, 'reports', 'tuning.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.equal(rows.length, 2);
    const training = JSON.parse(await readFile(join(root, 'models', 'model', 'training.json'), 'utf8')) as { params: { lr: number }; backend: string };
    assert.equal(training.params.lr, Number(rows.find((r) => r['best'] === 'true')!['lr']));
    assert.equal(training.backend, 'wasm');
    assert.match(await readFile(join(root, 'reports', 'train_log.tsv'), 'utf8'), /^epoch\tloss/);
    assert.ok(!('seconds' in rows[0]!), 'tuning.csv holds no wall-clock column (dvc.lock hashes it)');
    const timing = await readTiming(join(root, 'reports', 'timing.json'));
    assert.deepEqual(
      timing?.tune?.trials.map((t) => t.trial),
      [1, 2],
      'trial times are in the timing file',
    );
    assert.equal(timing?.train?.backend, 'wasm');
  });
});
