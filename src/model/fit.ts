import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../cifar/classes.js';
import { BatchPipeline } from '../data/batch-pipeline.js';
import { CIFAR_NORMALISATION, epochBatches, imageBatch, labelBatch, type Normalisation } from '../data/batches.js';
import type { PackedSplit } from '../data/packed.js';
import { UserError } from '../util/errors.js';
import { startProgress } from '../util/progress.js';
import { Random } from '../util/random.js';
import { buildModel } from './architectures.js';
import { adam } from './fused-adam.js';
import type { TrainParams } from './params.js';
import { learningRate } from './schedule.js';
import { betterOnValidation, type EpochRecord } from './train-log.js';

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
  const model = buildModel({ arch: params.arch, width: params.width, dropout: params.dropout, seed: random.int(2 ** 31) });
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
  const batches = new BatchPipeline({
    split: train,
    batchSize: params.batch_size,
    epochs: params.epochs,
    normalisation: norm,
    cropPadding: params.crop_padding,
    flip: params.flip,
    randomState: random.save(),
  });
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
      const improved =
        !best || Number.isNaN(best.val_acc) || betterOnValidation({ acc: record.val_acc, loss: record.val_loss }, { acc: best.val_acc, loss: best.val_loss });
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
