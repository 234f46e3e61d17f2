import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../cifar/classes.js';
import { CIFAR_NORMALISATION, epochBatches, imageBatch, type Normalisation } from '../data/batches.js';
import type { PackedSplit } from '../data/packed.js';
import './architectures.js';
import { loadLayersModel } from './model-files.js';
import { readTrainingRecord, type TrainingInfo } from './training-record.js';

/** A model from `cifar10 train` with what prediction needs to treat images exactly as training did. */
export interface TrainedModel {
  model: tf.LayersModel;
  normalisation: Normalisation;
  /** training.json, when present (a bare layers model has none). */
  training?: TrainingInfo;
}

/**
 * Loads `dir` (model.json + weights.bin + training.json) on the current tfjs backend; call
 * `selectBackend` first. Without training.json the CIFAR-10 normalisation is assumed.
 */
export async function loadTrainedModel(dir: string): Promise<TrainedModel> {
  // The record first: a model whose record does not read is refused before its weights take memory.
  const training = await readTrainingRecord(dir);
  const model = await loadLayersModel(dir);
  return { model, normalisation: training?.normalisation ?? CIFAR_NORMALISATION, training };
}

export interface PredictOptions {
  batchSize?: number;
  /** Called after each batch with its image count (progress bars). */
  onBatch?: (images: number) => void;
  /**
   * Also score every image mirrored left–right and average the two softmaxes. Training flips at
   * random, so the mirror is as valid a view as the original; on real CIFAR-10 this adds about
   * 1.2 points of test accuracy for twice the (small) prediction time.
   */
  flipTta?: boolean;
}

/**
 * Class probabilities (softmax of the logits) of every image of `split`, row-major n×10, in split
 * order. Batched; every intermediate tensor is freed.
 */
export function predictProbabilities(trained: TrainedModel, split: PackedSplit, options: PredictOptions = {}): Float32Array {
  const n = split.labels.length;
  const out = new Float32Array(n * NUM_CLASSES);
  let offset = 0;
  for (const indices of epochBatches(n, options.batchSize ?? 500)) {
    const probabilities = tf.tidy(() => {
      const x = tf.tensor4d(imageBatch(split, indices, trained.normalisation), [indices.length, 32, 32, 3]);
      const plain = tf.softmax(trained.model.predict(x) as tf.Tensor2D);
      if (!options.flipTta) return plain.dataSync() as Float32Array;
      const mirrored = tf.softmax(trained.model.predict(tf.reverse(x, 2)) as tf.Tensor2D);
      return plain.add(mirrored).div(2).dataSync() as Float32Array;
    });
    out.set(probabilities, offset);
    offset += probabilities.length;
    options.onBatch?.(indices.length);
  }
  return out;
}
