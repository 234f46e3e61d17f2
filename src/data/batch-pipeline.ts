import { Worker } from 'node:worker_threads';
import { Random } from '../util/random.js';
import { epochBatches, imageBatch, labelBatch, type Normalisation } from './batches.js';
import type { PackedSplit } from './packed.js';

/** One training batch, ready for the backend: normalised, augmented float32 NHWC pixels and int32 labels. */
export interface TrainBatch {
  pixels: Float32Array;
  labels: Int32Array;
}

export interface PipelineOptions {
  split: PackedSplit;
  batchSize: number;
  epochs: number;
  normalisation: Normalisation;
  cropPadding: number;
  flip: boolean;
  /** The seeded generator's state (Random.save()): shuffles and augmentation continue its sequence. */
  randomState: number;
  /** Batches the worker may have ready ahead of the training loop (default 2: one in use, one ready). */
  prefetch?: number;
}

type SequenceOptions = Pick<PipelineOptions, 'batchSize' | 'epochs' | 'normalisation' | 'cropPadding' | 'flip' | 'randomState'>;

/** What the worker needs to make every batch of every epoch (batch-worker.ts). */
export interface WorkerStart extends SequenceOptions {
  pixels: SharedArrayBuffer;
  labels: Uint8Array;
  prefetch: number;
}

/** The batches of `epochs` epochs, in training order: each epoch a seeded shuffle, each image its seeded crop and flip. */
export function* batchSequence(split: PackedSplit, options: SequenceOptions): Generator<TrainBatch> {
  const random = new Random(options.randomState);
  const augment = { cropPadding: options.cropPadding, flip: options.flip, random };
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const indices of epochBatches(split.labels.length, options.batchSize, random)) {
      yield { pixels: imageBatch(split, indices, options.normalisation, augment), labels: labelBatch(split, indices) };
    }
  }
}

/**
 * The training batches, made ahead on a worker thread (the second core of a runner, or the first's
 * idle time while the backend computes) and handed over without copying. The worker draws from the
 * same seeded generator in the same order as the training loop did, and batches arrive in that
 * order, so a seed gives the same batches with or without the thread, however fast each side runs.
 */
export class BatchPipeline {
  private readonly worker: Worker;
  private readonly ready: TrainBatch[] = [];
  private waiting?: { resolve: (batch: TrainBatch) => void; reject: (error: Error) => void };
  private failure?: Error;

  constructor({ split, prefetch = 2, ...sequence }: PipelineOptions) {
    const start: WorkerStart = { ...sequence, pixels: sharedPixels(split.pixels), labels: split.labels, prefetch };
    this.worker = new Worker(new URL('./batch-worker.js', import.meta.url), { workerData: start });
    this.worker.on('message', (batch: TrainBatch) => {
      if (this.waiting) {
        this.waiting.resolve(batch);
        this.waiting = undefined;
      } else this.ready.push(batch);
    });
    const fail = (error: Error) => {
      this.failure = error;
      this.waiting?.reject(error);
      this.waiting = undefined;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the batch worker exited (code ${code}) before training had all its batches`)));
  }

  /** The next batch; the worker then starts on the one after the batches it has ready. */
  next(): Promise<TrainBatch> {
    this.worker.postMessage('next');
    const batch = this.ready.shift();
    if (batch) return Promise.resolve(batch);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** Stops the worker (training may end before its last batch: early stopping, a time budget, an error). */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** The pixels in memory both threads can read: the split's own buffer when it is shared already, else a copy. */
function sharedPixels(pixels: Uint8Array): SharedArrayBuffer {
  if (pixels.buffer instanceof SharedArrayBuffer && pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength) return pixels.buffer;
  const shared = new SharedArrayBuffer(pixels.byteLength);
  new Uint8Array(shared).set(pixels);
  return shared;
}
