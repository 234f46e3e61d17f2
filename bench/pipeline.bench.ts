// The worker-thread data pipeline's gain: training steps of the default `fast` network at batch 128
// with each batch made on the training thread (shuffle, crops, flips, conversion to float32) against
// batches made ahead by the BatchPipeline's worker, in interleaved rounds. The worker needs a core of
// its own to pay off: run it unpinned on a machine with two cores (`npm run bench -- pipeline`), or
// `taskset -c 0 node dist/bench/pipeline.bench.js` to see the one-core cost.
import { availableParallelism, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { IMAGE_BYTES } from '../src/cifar/records.js';
import { BatchPipeline, batchSequence, type TrainBatch } from '../src/data/batch-pipeline.js';
import { CIFAR_NORMALISATION } from '../src/data/batches.js';
import { buildModel } from '../src/model/architectures.js';
import { selectBackend } from '../src/model/backend.js';
import { adam } from '../src/model/fused-adam.js';
import { Random } from '../src/util/random.js';

const BATCH = 128;
const STEPS = 32;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const random = new Random(1);
const count = BATCH * (STEPS + 1);
const split = {
  ids: Array.from({ length: count }, (_, i) => `i${i}`),
  labels: Uint8Array.from({ length: count }, () => random.int(10)),
  pixels: Uint8Array.from({ length: count * IMAGE_BYTES }, () => random.int(256)),
};
const options = { batchSize: BATCH, epochs: 1, normalisation: CIFAR_NORMALISATION, cropPadding: 2, flip: true, randomState: 7 };

/**
 * Images/s of STEPS training steps after the first, each taking its batch from `next` (the worker's
 * start-up is not timed), and the training thread's mean ms per step spent getting its batch.
 */
async function imagesPerSecond(next: () => Promise<TrainBatch> | TrainBatch): Promise<{ rate: number; batchMs: number }> {
  const model = buildModel({ arch: 'fast', width: 1, dropout: 0, seed: 1 });
  const optimizer = adam(0.001);
  let start = 0;
  let batchMs = 0;
  for (let step = 0; step <= STEPS; step++) {
    if (step === 1) start = performance.now();
    const asked = performance.now();
    const { pixels, labels } = await next();
    if (step > 0) batchMs += performance.now() - asked;
    tf.tidy(() => {
      const x = tf.tensor4d(pixels, [labels.length, 32, 32, 3]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
      optimizer
        .minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor, undefined, 0.1) as tf.Scalar, true)!
        .dataSync();
    });
  }
  const seconds = (performance.now() - start) / 1000;
  optimizer.dispose();
  model.dispose();
  return { rate: (STEPS * BATCH) / seconds, batchMs: batchMs / STEPS };
}

const backend = await selectBackend('wasm');
console.log(
  `${backend.detail}; ${availableParallelism()} cores available to this process; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const inline: number[] = [];
const worker: number[] = [];
const inlineMs: number[] = [];
const workerMs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const sequence = batchSequence(split, options);
  const a = await imagesPerSecond(() => sequence.next().value as TrainBatch);
  inline.push(a.rate);
  inlineMs.push(a.batchMs);
  const pipeline = new BatchPipeline({ split, ...options });
  try {
    const b = await imagesPerSecond(() => pipeline.next());
    worker.push(b.rate);
    workerMs.push(b.batchMs);
  } finally {
    await pipeline.close();
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
console.log(`fast, batch ${BATCH}, ${STEPS} steps per round, ${ROUNDS} rounds (images/s, median):`);
console.log(`  batches made on the training thread: ${median(inline).toFixed(0)} (${inline.map((v) => v.toFixed(0)).join(', ')})`);
console.log(`  batches made ahead by the worker:    ${median(worker).toFixed(0)} (${worker.map((v) => v.toFixed(0)).join(', ')})`);
console.log(
  `  the training thread's ms per step getting its batch: ${median(inlineMs).toFixed(2)} on the training thread, ${median(workerMs).toFixed(2)} from the worker`,
);
console.log(`  gain: ${(median(worker) / median(inline)).toFixed(2)}× (per round: ${worker.map((v, i) => (v / inline[i]!).toFixed(2)).join(', ')})`);
