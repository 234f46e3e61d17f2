/**
 * The CIFAR-10 binary record format: one label byte, then 1024 red, 1024 green and 1024 blue bytes,
 * each plane row-major over the 32×32 image.
 */
export const IMAGE_SIZE = 32;
export const PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE;
export const IMAGE_BYTES = 3 * PIXELS_PER_IMAGE;
export const RECORD_BYTES = 1 + IMAGE_BYTES;

export interface BatchFile {
  /** File name inside `cifar-10-batches-bin/`. */
  name: string;
  /** Short name used in image ids: `train1`..`train5`, `test`. */
  idPrefix: string;
  /** MD5 of the official file. */
  md5: string;
}

export const BATCH_FILES: readonly BatchFile[] = [
  { name: 'data_batch_1.bin', idPrefix: 'train1', md5: '5dd7e06a14cb22eb9f671a540d1b7c25' },
  { name: 'data_batch_2.bin', idPrefix: 'train2', md5: '5ea93a67294ea407fff1d09f752e9692' },
  { name: 'data_batch_3.bin', idPrefix: 'train3', md5: '942cd6a4bcdd0dd3c604fbe906cb4421' },
  { name: 'data_batch_4.bin', idPrefix: 'train4', md5: 'ae636b3ba5c66a11e91e8cb52e771fcb' },
  { name: 'data_batch_5.bin', idPrefix: 'train5', md5: '53f37980c15c3d472c316c40844f3f0d' },
  { name: 'test_batch.bin', idPrefix: 'test', md5: '803d5f7f4d78ea53de84dbe85f74fb6d' },
];

/** What every image id looks like (recordId): the one shape a stored id may take. */
export const IMAGE_ID_PATTERN = /^(train[1-5]|test)-(\d{5})$/;

/** The stable id of record `index` of a batch, e.g. `train1-00042`, `test-09999`. */
export function recordId(idPrefix: string, index: number): string {
  return `${idPrefix}-${String(index).padStart(5, '0')}`;
}

/** The batch file and record index an image id names (recordId's inverse), or undefined when `id` is not an image id. */
export function recordOfId(id: string): { batch: BatchFile; index: number } | undefined {
  const match = IMAGE_ID_PATTERN.exec(id);
  const batch = match && BATCH_FILES.find((b) => b.idPrefix === match[1]);
  return batch ? { batch, index: Number(match![2]) } : undefined;
}

/**
 * Converts one image from CIFAR's planar layout (RRR…GGG…BBB…) to interleaved RGB (RGBRGB…),
 * the layout PNG encoders and tfjs tensors use.
 */
export function planarToInterleaved(planar: Uint8Array, out = new Uint8Array(IMAGE_BYTES)): Uint8Array {
  for (let p = 0; p < PIXELS_PER_IMAGE; p++) {
    out[3 * p] = planar[p]!;
    out[3 * p + 1] = planar[PIXELS_PER_IMAGE + p]!;
    out[3 * p + 2] = planar[2 * PIXELS_PER_IMAGE + p]!;
  }
  return out;
}

/** Inverse of planarToInterleaved. */
export function interleavedToPlanar(rgb: Uint8Array, out = new Uint8Array(IMAGE_BYTES)): Uint8Array {
  for (let p = 0; p < PIXELS_PER_IMAGE; p++) {
    out[p] = rgb[3 * p]!;
    out[PIXELS_PER_IMAGE + p] = rgb[3 * p + 1]!;
    out[2 * PIXELS_PER_IMAGE + p] = rgb[3 * p + 2]!;
  }
  return out;
}
