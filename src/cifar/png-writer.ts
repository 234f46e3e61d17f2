import { writeFileAtomicSync } from '../util/atomic.js';
import { IMAGE_BYTES, RECORD_BYTES, planarToInterleaved } from './records.js';
import { encodeCifarPng } from './png.js';

/**
 * Records per encoding task handed to a worker thread (the export's and the rebuild's): large
 * enough to amortise messaging, small enough to balance the threads.
 */
export const CHUNK_RECORDS = 500;

/** A run of CIFAR records and the PNG path each one goes to; the unit of work of the export workers. */
export interface PngChunk {
  /** Whole records (label byte + planar RGB), `paths.length` of them. */
  records: Uint8Array;
  paths: string[];
}

/**
 * Encodes whole CIFAR records (label byte + planar RGB) as PNGs, in order. The export and the
 * partition rebuild both encode through here: the rebuilt bytes must equal the exported ones.
 */
export function encodeRecords(records: Uint8Array): Uint8Array[] {
  const rgb = new Uint8Array(IMAGE_BYTES);
  const pngs: Uint8Array[] = [];
  for (let offset = 0; offset < records.length; offset += RECORD_BYTES) {
    planarToInterleaved(records.subarray(offset + 1, offset + RECORD_BYTES), rgb);
    pngs.push(encodeCifarPng(rgb));
  }
  return pngs;
}

/**
 * Encodes and writes each record of `chunk` as a PNG, each through a temp file renamed into place
 * so a crash never leaves a half-written image. Synchronous on purpose: it runs inside a worker
 * thread, where blocking calls are cheaper than thousands of tiny promises.
 */
export function writePngChunk(chunk: PngChunk): number {
  const pngs = encodeRecords(chunk.records.subarray(0, chunk.paths.length * RECORD_BYTES));
  chunk.paths.forEach((path, i) => writeFileAtomicSync(path, pngs[i]!));
  return chunk.paths.length;
}
