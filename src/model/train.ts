import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../cifar/classes.js';
import { BatchPipeline } from '../data/batch-pipeline.js';
import { CIFAR_NORMALISATION, epochBatches, imageBatch, labelBatch, type Normalisation } from '../data/batches.js';
import { readPackedSplit, type PackedSplit } from '../data/packed.js';
import { readPreparedInfo } from '../data/prepare.js';
import { paramsGroup, type ParamsOf, type ParamsSource } from '../params.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { startProgress } from '../util/progress.js';
import { Random } from '../util/random.js';
import { TIMING_FILE, writeTiming, type TrainTiming, type TuneTiming } from '../util/timing.js';
import { ARCHITECTURES, buildModel, type Architecture } from './architectures.js';
import { BACKEND_CHOICES, type ActiveBackend } from './backend.js';
import { adam } from './fused-adam.js';
import { saveLayersModel } from './model-files.js';
import { betterOnValidation, TRAIN_LOG_COLUMNS } from './train-log-columns.js';

export const TRAIN_PARAMS = {
  seed: { type: 'integer', default: 42 },
  arch: { type: 'string', default: 'fast', choices: ARCHITECTURES },
  width: { type: 'number', default: 1, min: 0.125, max: 8, description: 'channel multiplier' },
  dropout: { type: 'number', default: 0, min: 0, max: 0.9 },
  epochs: { type: 'integer', default: 9, min: 1 },
  batch_size: { type: 'integer', default: 128, min: 1 },
  lr: { type: 'number', default: 0.003, exclusiveMin: 0, hint: 'every schedule scales this rate, so at 0 the weights never change' },
  schedule: { type: 'string', default: 'onecycle', choices: ['onecycle', 'cosine', 'constant'] },
  warmup: { type: 'number', default: 0.15, min: 0, max: 1, description: 'share of training spent warming the learning rate up' },
  label_smoothing: { type: 'number', default: 0.1, min: 0, max: 0.5 },
  crop_padding: { type: 'integer', default: 2, min: 0, max: 8 },
  flip: { type: 'boolean', default: true },
  patience: { type: 'integer', default: 0, min: 0, description: 'stop after this many epochs without a better val accuracy (0 = never)' },
  max_minutes: { type: 'number', default: 0, min: 0, description: 'training time budget; the schedule anneals to it (0 = none)' },
  backend: { type: 'string', default: 'auto', choices: BACKEND_CHOICES },
} as const;

export type TrainParams = ParamsOf<typeof TRAIN_PARAMS>;

export function trainParamsFrom(doc: Record<string, unknown>, file?: ParamsSource): TrainParams {
  return paramsGroup(doc, 'train', TRAIN_PARAMS, file);
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  acc: number;
  val_loss: number;
  val_acc: number;
  lr: number;
  /** Wall clock of the epoch, validation included; kept in the timing file, not in the log. */
  seconds: number;
  /** Training images per second of the epoch (validation excluded); timing file only. */
  images_per_s: number;
}

/** `reports/train_log.tsv`: the deterministic columns of each epoch (TRAIN_LOG_COLUMNS). */
export function trainLogTsv(history: readonly EpochRecord[]): string {
  const rows = history.map((r) => [r.epoch, r.loss.toFixed(5), r.acc.toFixed(5), r.val_loss.toFixed(5), r.val_acc.toFixed(5), r.lr.toExponential(4)].join('\t'));
  return `${TRAIN_LOG_COLUMNS.join('\t')}\n${rows.map((r) => `${r}\n`).join('')}`;
}

/**
 * Learning rate at `progress` (0–1) of training: one-cycle (linear warm-up from lr/10, then cosine
 * down to lr/1000), cosine with warm-up, or constant.
 */
export function learningRate(params: Pick<TrainParams, 'lr' | 'schedule' | 'warmup'>, progress: number): number {
  const p = Math.min(Math.max(progress, 0), 1);
  if (params.schedule === 'constant') return params.lr;
  const start = params.schedule === 'onecycle' ? params.lr / 10 : 0;
  if (p < params.warmup) return start + (params.lr - start) * (p / params.warmup);
  const q = params.warmup >= 1 ? 1 : (p - params.warmup) / (1 - params.warmup);
  const floor = params.schedule === 'onecycle' ? params.lr / 1000 : 0;
  return floor + (params.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * q));
}

/** Loss (plain cross-entropy, no smoothing) and accuracy of `model` on a split, batched. */
export function scoreSplit(model: tf.LayersModel, split: PackedSplit, norm: Normalisation, batchSize = 500): { loss: number; acc: number } {
  const n = split.labels.length;
  if (n === 0) return { loss: Number.NaN, acc: Number.NaN };
  let lossSum = 0;
  let correct = 0;
  for (const indices of epochBatches(n, batchSize)) {
    const [l, c] = tf.tidy(() => {
      const x = tf.tensor4d(imageBatch(split, indices, norm), [indices.length, 32, 32, 3]);
      const labels = tf.tensor1d(labelBatch(split, indices), 'int32');
      const logits = model.predict(x) as tf.Tensor2D;
      const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, NUM_CLASSES), logits, undefined, 0, tf.Reduction.SUM);
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));
      return [loss.dataSync()[0]!, hits.dataSync()[0]!];
    });
    lossSum += l;
    correct += c;
  }
  return { loss: lossSum / n, acc: correct / n };
}

export interface FitOptions {
  train: PackedSplit;
  val: PackedSplit;
  params: TrainParams;
  normalisation?: Normalisation;
  /** Called after each epoch, e.g. to rewrite the training log. */
  onEpoch?: (record: EpochRecord, history: readonly EpochRecord[]) => Promise<void> | void;
  /** Called when an epoch beats the best validation accuracy so far: the place to checkpoint. */
  onImproved?: (model: tf.LayersModel, record: EpochRecord) => Promise<void> | void;
  quiet?: boolean;
  /** Label of the progress bar (default "train"). */
  label?: string;
}

export interface FitResult {
  /** The model after the last epoch (the best checkpoint went to onImproved). The caller disposes it. */
  model: tf.LayersModel;
  history: EpochRecord[];
  best: EpochRecord;
  stoppedEarly: boolean;
  /** Stopped by max_minutes before all epochs ran. */
  outOfTime: boolean;
  seconds: number;
  imagesPerSecond: number;
}

/**
 * The training loop: Adam with a per-step learning-rate schedule, label-smoothed softmax
 * cross-entropy, on-the-fly augmentation of uint8 batches, validation each epoch, early stopping.
 * Every random choice draws from `params.seed`, so a run repeats exactly on the same backend
 * (unless max_minutes cuts it by wall time).
 */
export async function fitModel(options: FitOptions): Promise<FitResult> {
  const { train, val, params } = options;
  const norm = options.normalisation ?? CIFAR_NORMALISATION;
  const n = train.labels.length;
  if (n === 0) throw new UserError('the train split is empty; prepare more data (data.versions, prepare.train)');
  const random = new Random(params.seed);
  const model = buildModel({ arch: params.arch as Architecture, width: params.width, dropout: params.dropout, seed: random.int(2 ** 31) });
  const optimizer = adam(params.lr);
  const setRate = (lr: number) => ((optimizer as unknown as { learningRate: number }).learningRate = lr);
  const stepsPerEpoch = Math.ceil(n / params.batch_size);
  const totalSteps = stepsPerEpoch * params.epochs;
  const budgetMs = params.max_minutes * 60_000;
  const history: EpochRecord[] = [];
  let best: EpochRecord | undefined;
  let step = 0;
  let stoppedEarly = false;
  let outOfTime = false;
  let imagesTrained = 0;
  let trainMs = 0;
  const started = Date.now();
  const progressOf = () => Math.max(step / totalSteps, budgetMs > 0 ? (Date.now() - started) / budgetMs : 0);
  // Shuffles and augmentation continue `random` on a worker thread, batches ahead of the loop.
  const batches = new BatchPipeline({ split: train, batchSize: params.batch_size, epochs: params.epochs, normalisation: norm, cropPadding: params.crop_padding, flip: params.flip, randomState: random.save() });
  try {
    for (let epoch = 1; epoch <= params.epochs && !outOfTime; epoch++) {
      const epochStart = Date.now();
      const progress = startProgress(`${options.label ?? 'train'} epoch ${epoch}/${params.epochs}`, n, { unit: 'images', quiet: options.quiet });
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = params.lr;
      for (let b = 0; b < stepsPerEpoch; b++) {
        if (budgetMs > 0 && progressOf() >= 1) {
          outOfTime = true;
          break;
        }
        lr = learningRate(params, progressOf());
        setRate(lr);
        const { pixels, labels } = await batches.next();
        const [batchLoss, batchCorrect] = tf.tidy((): number[] => {
          const x = tf.tensor4d(pixels, [labels.length, 32, 32, 3]);
          const y = tf.tensor1d(labels, 'int32');
          let hits: tf.Scalar | undefined;
          const cost = optimizer.minimize(() => {
            const logits = model.apply(x, { training: true }) as tf.Tensor2D;
            hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
            return tf.losses.softmaxCrossEntropy(tf.oneHot(y, NUM_CLASSES), logits, undefined, params.label_smoothing) as tf.Scalar;
          }, true)!;
          const result = [cost.dataSync()[0]!, hits!.dataSync()[0]!];
          hits!.dispose();
          return result;
        });
        lossSum += batchLoss * labels.length;
        correct += batchCorrect;
        seen += labels.length;
        step++;
        progress.increment(labels.length);
      }
      progress.stop();
      if (seen === 0) break;
      const trainSeconds = (Date.now() - epochStart) / 1000;
      imagesTrained += seen;
      trainMs += Date.now() - epochStart;
      const scored = scoreSplit(model, val, norm);
      const record: EpochRecord = {
        epoch,
        loss: lossSum / seen,
        acc: correct / seen,
        val_loss: scored.loss,
        val_acc: scored.acc,
        lr,
        seconds: (Date.now() - epochStart) / 1000,
        images_per_s: seen / trainSeconds,
      };
      history.push(record);
      const improved = !best || Number.isNaN(best.val_acc) || betterOnValidation({ acc: record.val_acc, loss: record.val_loss }, { acc: best.val_acc, loss: best.val_loss });
      if (improved) {
        best = record;
        await options.onImproved?.(model, record);
      }
      await options.onEpoch?.(record, history);
      if (params.patience > 0 && best && epoch - best.epoch >= params.patience) {
        stoppedEarly = epoch < params.epochs;
        break;
      }
    }
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    optimizer.dispose();
    await batches.close();
  }
  if (!best) {
    model.dispose();
    throw new UserError(`train.max_minutes is ${params.max_minutes}: the time ran out before the first batch was trained; raise it, or set 0 for no limit`);
  }
  const seconds = (Date.now() - started) / 1000;
  return {
    model,
    history,
    best,
    stoppedEarly,
    outOfTime,
    seconds,
    imagesPerSecond: imagesTrained / Math.max(trainMs / 1000, 1e-9),
  };
}

export const TRAINING_FILE = 'training.json';

/**
 * `models/model/training.json`: how the model was made, read back by predict and evaluate. Only
 * facts the seed, data and params determine (dvc.lock hashes it); how long it took is in the
 * timing file.
 */
export interface TrainingInfo {
  arch: string;
  backend: string;
  backendDetail: string;
  normalisation: Normalisation;
  epochsRun: number;
  bestEpoch: number;
  bestValAcc: number;
  bestValLoss: number;
  stoppedEarly: boolean;
  outOfTime: boolean;
  trainImages: number;
  valImages: number;
  dataVersions: string;
  params: TrainParams;
}

export interface TrainOptions {
  preparedDir: string;
  modelDir: string;
  logFile: string;
  /** Where the wall-clock facts go (default: `timing.json` beside `logFile`). */
  timingFile?: string;
  /** The tuning that chose `params`, recorded in the timing file beside the training's own. */
  tuning?: TuneTiming;
  params: TrainParams;
  backend: ActiveBackend;
  quiet?: boolean;
  /** Per-epoch summary lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface TrainStageResult {
  training: TrainingInfo;
  timing: TrainTiming;
}

/** The wall-clock facts of a fit, as the timing file keeps them. */
function trainTiming(result: Pick<FitResult, 'history' | 'seconds' | 'imagesPerSecond'>, backend: string): TrainTiming {
  return {
    backend,
    seconds: result.seconds,
    images_per_second: result.imagesPerSecond,
    epochs: result.history.map((r) => ({ epoch: r.epoch, seconds: r.seconds, images_per_second: r.images_per_s })),
  };
}

/**
 * The train stage: reads the prepared train/val splits, trains, checkpoints the best epoch (by val
 * accuracy) into `modelDir` in tfjs layers format, rewrites `logFile` after every epoch and writes
 * training.json, then the timing file. The old training.json goes before the first checkpoint, so
 * a failed or interrupted run never leaves new weights described by the previous run's record.
 */
export async function trainStage(options: TrainOptions): Promise<TrainStageResult> {
  const [info, train, val] = await Promise.all([
    readPreparedInfo(options.preparedDir),
    readPackedSplit(options.preparedDir, 'train'),
    readPackedSplit(options.preparedDir, 'val'),
  ]);
  if (val.labels.length === 0) {
    throw new UserError(`${options.preparedDir}: the val split is empty, but training picks its best epoch on it; set prepare.val > 0 and re-run \`cifar10 prepare\``);
  }
  const log = options.log ?? (() => {});
  await rm(join(options.modelDir, TRAINING_FILE), { force: true });
  log(`training ${options.params.arch} on ${train.labels.length} images (${info.versions}), validating on ${val.labels.length}, backend ${options.backend.detail}`);
  const result = await fitModel({
    train,
    val,
    params: options.params,
    quiet: options.quiet,
    onImproved: (model) => saveLayersModel(model, options.modelDir),
    onEpoch: async (r, history) => {
      log(
        `epoch ${r.epoch}: loss ${r.loss.toFixed(4)} acc ${(r.acc * 100).toFixed(2)}% | val_loss ${r.val_loss.toFixed(4)} val_acc ${(r.val_acc * 100).toFixed(2)}% | lr ${r.lr.toExponential(2)} | ${r.seconds.toFixed(1)} s, ${r.images_per_s.toFixed(0)} images/s`,
      );
      await writeFileAtomic(options.logFile, trainLogTsv(history));
    },
  });
  result.model.dispose();
  const training: TrainingInfo = {
    arch: options.params.arch,
    backend: options.backend.name,
    backendDetail: options.backend.detail,
    normalisation: CIFAR_NORMALISATION,
    epochsRun: result.history.length,
    bestEpoch: result.best.epoch,
    bestValAcc: result.best.val_acc,
    bestValLoss: result.best.val_loss,
    stoppedEarly: result.stoppedEarly,
    outOfTime: result.outOfTime,
    trainImages: train.labels.length,
    valImages: val.labels.length,
    dataVersions: info.versions,
    params: options.params,
  };
  await writeFileAtomic(join(options.modelDir, TRAINING_FILE), `${JSON.stringify(training, null, 2)}\n`);
  const timing = trainTiming(result, options.backend.name);
  await writeTiming(options.timingFile ?? join(dirname(options.logFile), TIMING_FILE), { train: timing, tune: options.tuning });
  return { training, timing };
}
