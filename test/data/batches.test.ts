import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IMAGE_BYTES } from '../../src/cifar/records.js';
import { CIFAR_NORMALISATION, epochBatches, imageBatch, labelBatch } from '../../src/data/batches.js';
import type { PackedSplit } from '../../src/data/packed.js';
import { Random } from '../../src/util/random.js';

/** Two images whose every pixel encodes its position: R = x, G = y, B = image index. */
function positionalSplit(): PackedSplit {
  const pixels = new Uint8Array(2 * IMAGE_BYTES);
  for (let i = 0; i < 2; i++) {
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) pixels.set([x, y, i], i * IMAGE_BYTES + (y * 32 + x) * 3);
    }
  }
  return { ids: ['a', 'b'], labels: Uint8Array.from([3, 7]), pixels };
}

const norm = CIFAR_NORMALISATION;
const back = (value: number, channel: number) => Math.round((value * norm.std[channel]! + norm.mean[channel]!) * 255) + 0; // + 0 turns -0 into 0

describe('batches: uint8 images to float32 on the fly', () => {
  test('without augmentation every pixel is normalised per channel, in the order of the indices', () => {
    const split = positionalSplit();
    const batch = imageBatch(split, [1, 0], norm);
    assert.equal(batch.length, 2 * IMAGE_BYTES);
    assert.ok(Math.abs(batch[0]! - (0 / 255 - norm.mean[0]) / norm.std[0]) < 1e-6);
    const o = (5 * 32 + 9) * 3;
    assert.deepEqual([back(batch[o]!, 0), back(batch[o + 1]!, 1), back(batch[o + 2]!, 2)], [9, 5, 1]);
    assert.equal(back(batch[IMAGE_BYTES + 2]!, 2), 0, 'the second image of the batch is image 0');
    assert.deepEqual(Array.from(labelBatch(split, [1, 0])), [7, 3]);
  });

  test('a flip mirrors columns, a crop shifts the image and pads with the mean (0 after normalisation)', () => {
    const split = positionalSplit();
    let flipped: Float32Array | undefined;
    let shifted: Float32Array | undefined;
    const random = new Random(1);
    for (let tries = 0; tries < 50 && !(flipped && shifted); tries++) {
      const one = imageBatch(split, [0], norm, { cropPadding: 0, flip: true, random });
      if (back(one[0]!, 0) === 31) flipped = one;
      const cropped = imageBatch(split, [0], norm, { cropPadding: 2, flip: false, random });
      if (back(cropped[(10 * 32 + 10) * 3]!, 0) !== 10) shifted = cropped;
    }
    assert.ok(flipped, 'some draw flips');
    for (let x = 0; x < 32; x++) assert.equal(back(flipped[(7 * 32 + x) * 3]!, 0), 31 - x);
    assert.ok(shifted, 'some draw shifts');
    const dx = back(shifted[(10 * 32 + 10) * 3]!, 0) - 10;
    const dy = back(shifted[(10 * 32 + 10) * 3 + 1]!, 1) - 10;
    assert.ok(Math.abs(dx) <= 2 && Math.abs(dy) <= 2);
    const edgeX = dx > 0 ? 31 : 0;
    if (dx !== 0) assert.equal(shifted[(10 * 32 + edgeX) * 3], 0, 'pixels shifted in from outside are the mean colour');
  });

  test('the same seed gives the same augmented batch', () => {
    const split = positionalSplit();
    const draw = (seed: number) => imageBatch(split, [0, 1, 0, 1], norm, { cropPadding: 4, flip: true, random: new Random(seed) });
    assert.deepEqual(draw(5), draw(5));
    assert.notDeepEqual(draw(5), draw(6));
  });

  test('an epoch visits every index once, in seeded order, in batches of the given size', () => {
    const batches = epochBatches(10, 4, new Random(3));
    assert.deepEqual(batches.map((b) => b.length), [4, 4, 2]);
    assert.deepEqual(batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(epochBatches(10, 4, new Random(3)), batches);
    assert.deepEqual(Array.from(epochBatches(5, 10)[0]!), [0, 1, 2, 3, 4], 'without a random source the order is kept');
  });
});
