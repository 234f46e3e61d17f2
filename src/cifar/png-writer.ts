import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { IMAGE_BYTES, RECORD_BYTES, planarToInterleaved } from './records.js';
import { encodeCifarPng } from './png.js';

/** A run of CIFAR records and the PNG path each one goes to; the unit of work of the export workers. */
export interface PngChunk {
  /** Whole records (label byte + planar RGB), `paths.length` of them. */
  records: Uint8Array;
  paths: string[];
}

/**
 * Encodes and writes each record of `chunk` as a PNG, each through a temp file renamed into place
 * so a crash never leaves a half-written image. Synchronous on purpose: it runs inside a worker
 * thread, where blocking calls are cheaper than thousands of tiny promises.
 */
export function writePngChunk(chunk: PngChunk): number {
  const rgb = new Uint8Array(IMAGE_BYTES);
  chunk.paths.forEach((path, i) => {
    const offset = i * RECORD_BYTES + 1;
    planarToInterleaved(chunk.records.subarray(offset, offset + IMAGE_BYTES), rgb);
    const temp = `${path}.tmp-${process.pid}-${i}`;
    try {
      writeFileSync(temp, encodeCifarPng(rgb));
      renameSync(temp, path);
    } catch (error) {
      rmSync(temp, { force: true });
      throw new Error(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
    }
  });
  return chunk.paths.length;
}
