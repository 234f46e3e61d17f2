import { IMAGE_BYTES, IMAGE_SIZE } from '../cifar/records.js';
import type { Random } from '../util/random.js';
import type { PackedSplit } from './packed.js';

/** Per-channel statistics of pixels scaled to 0–1: x' = (x/255 − mean) / std. */
export interface Normalisation {
  mean: [number, number, number];
  std: [number, number, number];
}

/** CIFAR-10 train-set statistics (docs/design-notes.md §1): fixed, so every split and version is normalised alike. */
export const CIFAR_NORMALISATION: Normalisation = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] };

export interface Augmentation {
  /** Pixels of padding for random crops (0 = no crop). */
  cropPadding: number;
  /** Mirror half the images left–right. */
  flip: boolean;
  random: Random;
}

/** One lookup per channel and byte value: the float of every pixel costs one table read. */
function lookupTable(norm: Normalisation): Float32Array {
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) table[c * 256 + v] = (v / 255 - norm.mean[c]!) / norm.std[c]!;
  }
  return table;
}

const tables = new WeakMap<Normalisation, Float32Array>();

function tableFor(norm: Normalisation): Float32Array {
  let table = tables.get(norm);
  if (!table) {
    table = lookupTable(norm);
    tables.set(norm, table);
  }
  return table;
}

/**
 * Converts the images at `indices` of `split` to a float32 NHWC batch, normalised per channel, with
 * optional random crop (zero padding, i.e. the mean colour after normalisation) and flip. The
 * dataset stays uint8; only one batch is ever float32.
 */
export function imageBatch(split: PackedSplit, indices: ArrayLike<number>, norm: Normalisation, augment?: Augmentation): Float32Array {
  const table = tableFor(norm);
  const out = new Float32Array(indices.length * IMAGE_BYTES);
  const size = IMAGE_SIZE;
  for (let b = 0; b < indices.length; b++) {
    const source = indices[b]! * IMAGE_BYTES;
    const target = b * IMAGE_BYTES;
    let dx = 0;
    let dy = 0;
    let flip = false;
    if (augment) {
      const p = augment.cropPadding;
      if (p > 0) {
        dx = augment.random.int(2 * p + 1) - p;
        dy = augment.random.int(2 * p + 1) - p;
      }
      flip = augment.flip && augment.random.next() < 0.5;
    }
    if (dx === 0 && dy === 0 && !flip) {
      for (let i = 0; i < IMAGE_BYTES; i++) out[target + i] = table[(i % 3) * 256 + split.pixels[source + i]!]!;
      continue;
    }
    for (let y = 0; y < size; y++) {
      const sy = y + dy;
      for (let x = 0; x < size; x++) {
        const sx0 = x + dx;
        const sx = flip ? size - 1 - sx0 : sx0;
        const o = target + (y * size + x) * 3;
        if (sy < 0 || sy >= size || sx0 < 0 || sx0 >= size) {
          out[o] = 0;
          out[o + 1] = 0;
          out[o + 2] = 0;
          continue;
        }
        const s = source + (sy * size + sx) * 3;
        out[o] = table[split.pixels[s]!]!;
        out[o + 1] = table[256 + split.pixels[s + 1]!]!;
        out[o + 2] = table[512 + split.pixels[s + 2]!]!;
      }
    }
  }
  return out;
}

/** The labels at `indices` as int32, for one-hot encoding on the backend. */
export function labelBatch(split: PackedSplit, indices: ArrayLike<number>): Int32Array {
  const out = new Int32Array(indices.length);
  for (let b = 0; b < indices.length; b++) out[b] = split.labels[indices[b]!]!;
  return out;
}

/** Index lists of one epoch: a seeded shuffle of 0..count−1 cut into batches (the last may be smaller). */
export function epochBatches(count: number, batchSize: number, random?: Random): Int32Array[] {
  const order = Array.from({ length: count }, (_, i) => i);
  if (random) random.shuffle(order);
  const batches: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) batches.push(Int32Array.from(order.slice(start, start + batchSize)));
  return batches;
}
