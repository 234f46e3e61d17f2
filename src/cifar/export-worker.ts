import { parentPort } from 'node:worker_threads';
import { writePngChunk, type PngChunk } from './png-writer.js';

/** Worker thread of the PNG export: receives chunks, answers with the count written or the error. */
parentPort!.on('message', (chunk: PngChunk) => {
  try {
    parentPort!.postMessage({ ok: true, written: writePngChunk(chunk) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, message: (error as Error).message });
  }
});
