import { parentPort, workerData } from 'node:worker_threads';
import { batchSequence, type WorkerStart } from './batch-pipeline.js';

/**
 * Worker thread of a BatchPipeline: makes the training batches in order and hands each over by
 * transfer (no copy), keeping at most `prefetch` batches ahead of what the training loop asked for.
 */
const start = workerData as WorkerStart;
const sequence = batchSequence({ ids: [], labels: start.labels, pixels: new Uint8Array(start.pixels) }, start);
let credits = start.prefetch;

function produce(): void {
  for (; credits > 0; credits--) {
    const item = sequence.next();
    if (item.done) return;
    parentPort!.postMessage(item.value, [item.value.pixels.buffer as ArrayBuffer, item.value.labels.buffer as ArrayBuffer]);
  }
}

parentPort!.on('message', () => {
  credits++;
  produce();
});
produce();
