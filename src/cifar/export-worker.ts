import { writePngChunk, type PngChunk } from './png-writer.js';

/** Worker thread of the PNG export (src/util/worker-pool.ts): writes one chunk, returns how many images it wrote. */
export default function writeChunk(chunk: PngChunk): number {
  return writePngChunk(chunk);
}
