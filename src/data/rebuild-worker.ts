import { parentPort } from 'node:worker_threads';
import { encodeRecords } from '../cifar/png-writer.js';

/** Worker thread of a rebuild: receives runs of records, answers with their PNGs or the error. */
parentPort!.on('message', (records: Uint8Array) => {
  try {
    parentPort!.postMessage({ ok: true, pngs: encodeRecords(records) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, message: (error as Error).message });
  }
});
