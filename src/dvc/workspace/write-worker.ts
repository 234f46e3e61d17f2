import { writeFileSync } from 'node:fs';

/** New files for the write thread of a folder build (build.ts): their paths, and their bytes back to back. */
export interface WriteBatch {
  paths: string[];
  /** Where each file's bytes end in `bytes`. */
  ends: number[];
  bytes: Uint8Array;
}

/** The first file that could not be written: an error's own fields do not survive the trip between threads. */
export interface WriteFailure {
  index: number;
  code?: string;
  message: string;
}

/**
 * Worker thread of a folder build (src/util/worker-pool.ts): writes each file of the batch as a new
 * file (`wx`: nothing found at a path is overwritten or followed) and stops at the first failure.
 */
export default function writeBatch(batch: WriteBatch): WriteFailure | undefined {
  let start = 0;
  for (let index = 0; index < batch.paths.length; index++) {
    const end = batch.ends[index]!;
    try {
      writeFileSync(batch.paths[index]!, batch.bytes.subarray(start, end), { flag: 'wx' });
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      return { index, code, message };
    }
    start = end;
  }
  return undefined;
}
