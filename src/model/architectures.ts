import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../cifar/classes.js';
import { IMAGE_SIZE } from '../cifar/records.js';
import { Random } from '../util/random.js';
import { batchNormalization, conv2d } from './fused-layers.js';
import type { Architecture } from './params.js';

export interface ArchitectureOptions {
  arch: Architecture;
  /** Multiplies every layer's channel count. */
  width: number;
  /** Dropout rate before the classifier (0 = none). */
  dropout: number;
  /** Seeds the weight initialisers and dropout masks. */
  seed: number;
}

/**
 * Dropout whose mask changes every step yet is reproducible: tfjs's own Dropout layer either
 * reuses one seeded mask on every call or seeds from Math.random(). At inference it is identity.
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'SeededDropout';
  private readonly rate: number;
  private readonly seed: number;
  private readonly random: Random;

  constructor(args: { rate: number; seed: number; name?: string }) {
    super({ name: args.name });
    this.rate = args.rate;
    this.seed = args.seed;
    this.random = new Random(args.seed);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (kwargs['training'] !== true || this.rate === 0) return x;
    return tf.dropout(x, this.rate, undefined, this.random.int(2 ** 31));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);

/**
 * The model outputs logits (no softmax): the loss applies softmax with label smoothing, and
 * prediction applies softmax itself.
 *
 * - `fast` (default): conv16 → pool → conv32 → pool → dense128, the best accuracy per second
 *   measured on one wasm core (~530 images/s, docs/design-notes.md §2).
 * - `deep`: three conv blocks (32, 64, 128) at falling resolution, dense 256: stronger, ~4× slower.
 * - `bn`: `deep` with BatchNorm after every conv (BN costs ~35% per image on wasm, but trains to
 *   higher accuracy per epoch, so it pays off when epochs, not seconds, are the budget).
 */
export function buildModel(options: ArchitectureOptions): tf.LayersModel {
  const random = new Random(options.seed);
  const init = () => tf.initializers.heNormal({ seed: random.int(2 ** 31) });
  const glorot = () => tf.initializers.glorotUniform({ seed: random.int(2 ** 31) });
  const ch = (n: number) => Math.max(1, Math.round(n * options.width));
  const model = tf.sequential();
  let first = true;
  const conv = (filters: number, batchNorm: boolean) => {
    const shape = first ? { inputShape: [IMAGE_SIZE, IMAGE_SIZE, 3] } : {};
    first = false;
    if (batchNorm) {
      model.add(conv2d({ ...shape, filters: ch(filters), kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init() }));
      model.add(batchNormalization({ momentum: 0.9 }));
      model.add(tf.layers.reLU());
    } else {
      model.add(conv2d({ ...shape, filters: ch(filters), kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init() }));
    }
  };
  const pool = () => model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  const classifier = (hidden: number) => {
    model.add(tf.layers.flatten());
    if (hidden > 0) model.add(tf.layers.dense({ units: ch(hidden), activation: 'relu', kernelInitializer: init() }));
    if (options.dropout > 0) model.add(new SeededDropout({ rate: options.dropout, seed: random.int(2 ** 31) }));
    model.add(tf.layers.dense({ units: NUM_CLASSES, kernelInitializer: glorot() }));
  };
  switch (options.arch) {
    case 'fast':
      conv(16, false);
      pool();
      conv(32, false);
      pool();
      classifier(128);
      break;
    case 'deep':
    case 'bn': {
      const bn = options.arch === 'bn';
      conv(32, bn);
      pool();
      conv(64, bn);
      pool();
      conv(128, bn);
      pool();
      classifier(256);
      break;
    }
  }
  return model;
}
