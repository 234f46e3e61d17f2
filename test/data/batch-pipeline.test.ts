import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IMAGE_BYTES } from '../../src/cifar/records.js';
import { BatchPipeline, batchSequence } from '../../src/data/batch-pipeline.js';
import { CIFAR_NORMALISATION, epochBatches, imageBatch, labelBatch } from '../../src/data/batches.js';
import type { PackedSplit } from '../../src/data/packed.js';
import { Random } from '../../src/util/random.js';

function randomSplit(count: number, seed: number): PackedSplit {
  const random = new Random(seed);
  return {
    ids: Array.from({ length: count }, (_, i) => `img${i}`),
    labels: Uint8Array.from({ length: count }, () => random.int(10)),
    pixels: Uint8Array.from({ length: count * IMAGE_BYTES }, () => random.int(256)),
  };
}

const options = { batchSize: 8, epochs: 3, normalisation: CIFAR_NORMALISATION, cropPadding: 2, flip: true };

describe('the batch pipeline: training batches made ahead on a worker thread', () => {
  test('it hands over, in order, exactly the batches the training loop made itself before: a seeded shuffle per epoch, then each batch’s crops and flips from the same generator', async () => {
    const split = randomSplit(21, 3);
    const random = new Random(99);
    random.int(1000); // the loop's earlier draws (the model seed) must carry over through save()
    const expected: { pixels: Float32Array; labels: Int32Array }[] = [];
    const reference = new Random(random.save());
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      for (const indices of epochBatches(21, options.batchSize, reference)) {
        expected.push({ pixels: imageBatch(split, indices, CIFAR_NORMALISATION, { cropPadding: 2, flip: true, random: reference }), labels: labelBatch(split, indices) });
      }
    }
    assert.equal(expected.length, 9);
    assert.deepEqual([...batchSequence(split, { ...options, randomState: random.save() })], expected);
    const pipeline = new BatchPipeline({ split, ...options, randomState: random.save(), prefetch: 3 });
    try {
      for (const batch of expected) assert.deepEqual(await pipeline.next(), batch);
    } finally {
      await pipeline.close();
    }
  });

  test('training that stops early closes the worker with batches still unread', async () => {
    const pipeline = new BatchPipeline({ split: randomSplit(40, 5), ...options, randomState: 1 });
    const first = await pipeline.next();
    assert.equal(first.labels.length, options.batchSize);
    assert.equal(first.pixels.length, options.batchSize * IMAGE_BYTES);
    await pipeline.close();
  });
});
