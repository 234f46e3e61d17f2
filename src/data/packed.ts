import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IMAGE_BYTES, RECORD_BYTES } from '../cifar/records.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';

/**
 * A prepared split held in memory: training and evaluation never decode PNGs.
 * `pixels` holds `count` images of 32×32×3 bytes, interleaved RGB (HWC, the layout tfjs uses),
 * image i at `pixels.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES)`.
 */
export interface PackedSplit {
  ids: string[];
  labels: Uint8Array;
  pixels: Uint8Array;
}

export const SPLIT_NAMES = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/**
 * On disk a split is two files: `<split>.bin`, records of RECORD_BYTES (label byte, then the 3072
 * HWC pixel bytes: CIFAR's record size, interleaved like tfjs), and `<split>.ids`, one image id per
 * line in record order.
 */
export function splitPaths(dir: string, split: SplitName): { bin: string; ids: string } {
  return { bin: join(dir, `${split}.bin`), ids: join(dir, `${split}.ids`) };
}

export function encodePackedSplit(split: PackedSplit): { bin: Buffer; ids: string } {
  const count = split.labels.length;
  if (split.ids.length !== count || split.pixels.length !== count * IMAGE_BYTES) {
    throw new Error(`inconsistent packed split: ${split.ids.length} ids, ${count} labels, ${split.pixels.length} pixel bytes`);
  }
  const bin = Buffer.alloc(count * RECORD_BYTES);
  for (let i = 0; i < count; i++) {
    bin[i * RECORD_BYTES] = split.labels[i]!;
    bin.set(split.pixels.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES), i * RECORD_BYTES + 1);
  }
  return { bin, ids: split.ids.map((id) => `${id}\n`).join('') };
}

export function decodePackedSplit(bin: Uint8Array, idsText: string, source = 'packed split'): PackedSplit {
  if (bin.length % RECORD_BYTES !== 0) {
    throw new UserError(`${source}: size ${bin.length} is not a multiple of ${RECORD_BYTES}; re-run \`cifar10 prepare\``);
  }
  const count = bin.length / RECORD_BYTES;
  const ids = idsText.split('\n').filter((line) => line.length > 0);
  if (ids.length !== count) {
    throw new UserError(`${source}: ${count} records but ${ids.length} ids; re-run \`cifar10 prepare\``);
  }
  const labels = new Uint8Array(count);
  // Shared memory, so training's batch worker (batch-pipeline.ts) reads the images without a copy.
  const pixels = new Uint8Array(new SharedArrayBuffer(count * IMAGE_BYTES));
  for (let i = 0; i < count; i++) {
    labels[i] = bin[i * RECORD_BYTES]!;
    pixels.set(bin.subarray(i * RECORD_BYTES + 1, (i + 1) * RECORD_BYTES), i * IMAGE_BYTES);
  }
  return { ids, labels, pixels };
}

export async function writePackedSplit(dir: string, name: SplitName, split: PackedSplit): Promise<void> {
  const paths = splitPaths(dir, name);
  const encoded = encodePackedSplit(split);
  await writeFileAtomic(paths.bin, encoded.bin);
  await writeFileAtomic(paths.ids, encoded.ids);
}

export async function readPackedSplit(dir: string, name: SplitName): Promise<PackedSplit> {
  const paths = splitPaths(dir, name);
  let bin: Buffer;
  let ids: string;
  try {
    [bin, ids] = await Promise.all([readFile(paths.bin), readFile(paths.ids, 'utf8')]);
  } catch (error) {
    throw new UserError(`cannot read prepared split "${name}" in ${dir}: ${(error as Error).message}; run \`cifar10 prepare\` first`, { cause: error });
  }
  return decodePackedSplit(bin, ids, paths.bin);
}
