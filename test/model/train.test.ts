import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CIFAR_NORMALISATION } from '../../src/data/batches.js';
import { selectBackend } from '../../src/model/backend.js';
import { loadTrainedModel, predictProbabilities } from '../../src/model/predict.js';
import { fitModel, scoreSplit } from '../../src/model/fit.js';
import { trainParamsFrom } from '../../src/model/params.js';
import { learningRate } from '../../src/model/schedule.js';
import type { TrainingInfo } from '../../src/model/training-record.js';
import { trainOnPrepared } from '../../src/stages/train.js';
import { TRAIN_LOG_COLUMNS, trainLogTsv } from '../../src/model/train-log.js';
import { readTiming } from '../../src/util/timing.js';
import { synthSplits, testParams, type SynthSplits } from './helpers.js';

async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.getWeights().map((w) => w.data() as Promise<Float32Array>));
}

describe('training on the wasm backend', () => {
  let root: string;
  let data: SynthSplits;
  before(async () => {
    await selectBackend('wasm');
    root = await mkdtemp(join(tmpdir(), 'train-'));
    data = await synthSplits(root);
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('the train stage beats chance by a wide margin and leaves model, training.json, train_log.tsv and the timing file beside the log', async () => {
    const modelDir = join(root, 'models', 'model');
    const logFile = join(root, 'reports', 'train_log.tsv');
    const backend = await selectBackend('wasm');
    const { training: info, timing } = await trainOnPrepared({
      preparedDir: data.preparedDir,
      modelDir,
      logFile,
      params: testParams({ epochs: 6, width: 1, batch_size: 16 }),
      backend,
      quiet: true,
    });
    assert.ok(info.bestValAcc > 0.45, `val accuracy ${info.bestValAcc} should be far above chance (0.1)`);
    assert.equal(info.backend, 'wasm');
    assert.equal(info.epochsRun, 6);
    const log = (await readFile(logFile, 'utf8')).trim().split('\n');
    assert.deepEqual(log[0]!.split('\t'), [...TRAIN_LOG_COLUMNS]);
    assert.equal(log.length, 7);
    const valAccs = log.slice(1).map((line) => Number(line.split('\t')[4]));
    assert.equal(info.bestEpoch, valAccs.indexOf(Math.max(...valAccs)) + 1, 'the best epoch is the one with the highest val accuracy');
    const { format_version, ...record } = JSON.parse(await readFile(join(modelDir, 'training.json'), 'utf8')) as TrainingInfo & { format_version: number };
    assert.equal(format_version, 1, 'training.json says which version of its format it is');
    assert.deepEqual(record, info);
    // Wall-clock facts stay out of the files dvc.lock hashes and go to reports/timing.json.
    assert.ok(!('seconds' in info) && !('imagesPerSecond' in info));
    assert.deepEqual(await readTiming(join(root, 'reports', 'timing.json')), { train: timing });
    assert.equal(timing.backend, 'wasm');
    assert.deepEqual(
      timing.epochs.map((e) => e.epoch),
      [1, 2, 3, 4, 5, 6],
    );
    assert.ok(timing.seconds > 0 && timing.images_per_second > 0 && timing.epochs.every((e) => e.seconds > 0 && e.images_per_second > 0));

    // The saved model is the best checkpoint: scoring it reproduces the best epoch's val accuracy.
    const trained = await loadTrainedModel(modelDir);
    assert.deepEqual(trained.normalisation, CIFAR_NORMALISATION);
    assert.ok(Math.abs(scoreSplit(trained.model, data.val, trained.normalisation).acc - info.bestValAcc) < 1e-9);
    const before = tf.memory().numTensors;
    const probabilities = predictProbabilities(trained, data.test, { batchSize: 16 });
    assert.equal(tf.memory().numTensors, before, 'prediction frees its tensors');
    assert.equal(probabilities.length, data.test.labels.length * 10);
    let correct = 0;
    for (let i = 0; i < data.test.labels.length; i++) {
      const row = Array.from(probabilities.subarray(i * 10, i * 10 + 10));
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4);
      if (row.indexOf(Math.max(...row)) === data.test.labels[i]) correct++;
    }
    assert.ok(correct / data.test.labels.length > 0.45, `held-out test accuracy ${correct / data.test.labels.length}`);

    // Flip test-time augmentation averages the plain view with the left–right mirror of each image.
    const mirrored = { ...data.test, pixels: new Uint8Array(data.test.pixels.length) };
    for (let i = 0; i < data.test.labels.length; i++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          for (let c = 0; c < 3; c++) {
            mirrored.pixels[((i * 32 + y) * 32 + x) * 3 + c] = data.test.pixels[((i * 32 + y) * 32 + (31 - x)) * 3 + c]!;
          }
        }
      }
    }
    const ofMirror = predictProbabilities(trained, mirrored, { batchSize: 16 });
    const withTta = predictProbabilities(trained, data.test, { batchSize: 16, flipTta: true });
    assert.equal(tf.memory().numTensors, before, 'flip TTA frees its tensors');
    assert.ok(
      withTta.some((p, i) => Math.abs(p - probabilities[i]!) > 1e-4),
      'the mirror changes some probabilities',
    );
    withTta.forEach((p, i) => assert.ok(Math.abs(p - (probabilities[i]! + ofMirror[i]!) / 2) < 1e-5, `probability ${i}`));
    trained.model.dispose();
  });

  test('a train stage that fails after its first checkpoint leaves no training.json of the previous run beside the new weights', async () => {
    const modelDir = join(root, 'models', 'failed');
    await mkdir(modelDir, { recursive: true });
    await writeFile(join(modelDir, 'training.json'), JSON.stringify({ arch: 'previous run' }));
    // A folder where the log goes: the first epoch checkpoints the model, then cannot write its log line.
    const logFile = join(root, 'reports', 'log-is-a-folder');
    await mkdir(logFile, { recursive: true });
    const backend = await selectBackend('wasm');
    await assert.rejects(
      trainOnPrepared({ preparedDir: data.preparedDir, modelDir, logFile, params: testParams({ epochs: 2, width: 0.25 }), backend, quiet: true }),
    );
    await access(join(modelDir, 'model.json'));
    await assert.rejects(access(join(modelDir, 'training.json')), { code: 'ENOENT' });
  });

  test('the same seed, data and backend give the same weights and metrics; another seed does not', async () => {
    const params = testParams({ epochs: 2, dropout: 0.2, arch: 'bn', width: 0.25 });
    const train = {
      ...data.train,
      ids: data.train.ids.slice(0, 160),
      labels: data.train.labels.subarray(0, 160),
      pixels: data.train.pixels.subarray(0, 160 * 3072),
    };
    const a = await fitModel({ train, val: data.val, params, quiet: true });
    const b = await fitModel({ train, val: data.val, params, quiet: true });
    const c = await fitModel({ train, val: data.val, params: { ...params, seed: params.seed + 1 }, quiet: true });
    assert.deepEqual(await weightsOf(a.model), await weightsOf(b.model));
    assert.deepEqual(
      a.history.map(({ seconds, images_per_s, ...rest }) => (void seconds, void images_per_s, rest)),
      b.history.map(({ seconds, images_per_s, ...rest }) => (void seconds, void images_per_s, rest)),
    );
    assert.equal(trainLogTsv(a.history), trainLogTsv(b.history), 'train_log.tsv is byte for byte the same (dvc.lock hashes it)');
    assert.notDeepEqual(await weightsOf(a.model), await weightsOf(c.model));
    for (const r of [a, b, c]) r.model.dispose();
  });

  test('no tensors leak: tf.memory() is the same after every epoch, and back to the start once the model is disposed', async () => {
    const start = tf.memory().numTensors;
    const counts: number[] = [];
    const fit = await fitModel({
      train: data.val,
      val: data.val,
      params: testParams({ epochs: 3, arch: 'bn', width: 0.25, dropout: 0.1 }),
      quiet: true,
      onEpoch: () => void counts.push(tf.memory().numTensors),
    });
    assert.equal(counts.length, 3);
    assert.equal(counts[1], counts[0]);
    assert.equal(counts[2], counts[0]);
    fit.model.dispose();
    assert.equal(tf.memory().numTensors, start);
  });

  test('early stopping ends training after `patience` epochs without a better val accuracy, keeping the best epoch', async () => {
    // lr 0: the weights never change, so no later epoch can beat the first.
    const saved: number[] = [];
    const fit = await fitModel({
      train: data.val,
      val: data.val,
      params: testParams({ epochs: 10, lr: 0, patience: 2 }),
      quiet: true,
      onImproved: (_, r) => void saved.push(r.epoch),
    });
    assert.equal(fit.history.length, 3);
    assert.equal(fit.stoppedEarly, true);
    assert.equal(fit.best.epoch, 1);
    assert.deepEqual(saved, [1], 'only the improving epoch is checkpointed');
    fit.model.dispose();
  });

  test('a time budget stops training early and anneals the learning rate to it', async () => {
    const fit = await fitModel({ train: data.train, val: data.val, params: testParams({ epochs: 1000, max_minutes: 0.02 }), quiet: true });
    assert.equal(fit.outOfTime, true);
    assert.ok(fit.history.length < 1000);
    assert.ok(fit.history.at(-1)!.lr < testParams().lr / 2, 'the schedule is well into its decay');
    fit.model.dispose();
  });
});

describe('learning-rate schedule', () => {
  const params = { lr: 0.01, warmup: 0.2 };
  test('one-cycle warms up from lr/10 to lr, then decays to lr/1000', () => {
    assert.ok(Math.abs(learningRate({ ...params, schedule: 'onecycle' }, 0) - 0.001) < 1e-12);
    assert.ok(Math.abs(learningRate({ ...params, schedule: 'onecycle' }, 0.2) - 0.01) < 1e-12);
    assert.ok(learningRate({ ...params, schedule: 'onecycle' }, 0.6) < 0.01);
    assert.ok(Math.abs(learningRate({ ...params, schedule: 'onecycle' }, 1) - 0.00001) < 1e-12);
  });
  test('cosine starts and ends at 0; constant is constant', () => {
    assert.equal(learningRate({ ...params, schedule: 'cosine' }, 0), 0);
    assert.ok(learningRate({ ...params, schedule: 'cosine' }, 1) < 1e-12);
    assert.equal(learningRate({ ...params, schedule: 'constant' }, 0.5), 0.01);
  });
  test('no schedule stays at 0 for a positive lr, whatever the warm-up (so refusing lr 0 is enough)', () => {
    for (const schedule of ['onecycle', 'cosine', 'constant'] as const) {
      for (const warmup of [0, 0.5, 1]) {
        const peak = Math.max(...[0.01, 0.25, 0.5, 0.75, 0.99].map((p) => learningRate({ lr: 1e-4, schedule, warmup }, p)));
        assert.ok(peak > 1e-6, `${schedule} with warmup ${warmup} peaks at ${peak}`);
      }
    }
    assert.throws(() => trainParamsFrom({ train: { lr: 0 } }, 'params.yaml'), /^UserError: params\.yaml: train\.lr: expected a value > 0, got 0/);
  });
});
