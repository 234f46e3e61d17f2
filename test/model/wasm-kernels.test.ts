import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/model/backend.js';
import { Random } from '../../src/util/random.js';
import { relativeError } from './helpers.js';

/**
 * Every replacement kernel is checked by computing the same gradients on the cpu backend (stock
 * tfjs kernels, the reference) and on wasm (replacement kernels), from identical inputs.
 */
interface Input {
  shape: number[];
  data: Float32Array;
}

function randomInput(shape: number[], random: Random): Input {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: size }, () => random.normal()) };
}

async function gradientsOn(backend: string, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Input[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const tensors = inputs.map((input) => tf.tensor(input.data, input.shape));
  const grads = tf.grads(f)(tensors);
  const values = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
  tf.dispose([...grads, ...tensors]);
  return values;
}

async function assertSameGradients(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Input[], what: string): Promise<void> {
  const expected = await gradientsOn('cpu', f, inputs);
  const actual = await gradientsOn('wasm', f, inputs);
  expected.forEach((e, i) => {
    const error = relativeError(actual[i]!, e);
    assert.ok(error < 1e-4, `${what}: gradient of input ${i} differs from cpu by ${error.toExponential(2)}`);
  });
}

describe('wasm training kernels', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  for (const kernel of [1, 3, 5]) {
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        test(`a fused conv2d (bias + ReLU) with a ${kernel}×${kernel} kernel, stride ${stride}, ${pad} padding has the cpu backend's gradients`, async () => {
          const random = new Random(kernel * 100 + stride * 10 + (pad === 'same' ? 1 : 0));
          const inputs = [randomInput([2, 9, 10, 3], random), randomInput([kernel, kernel, 3, 4], random), randomInput([4], random)];
          // Weighting the output makes every output position's gradient distinct.
          const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
            tf.fused
              .conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: stride, pad, bias: b, activation: 'relu' })
              .square()
              .sum();
          await assertSameGradients(f as never, inputs, `conv ${kernel}/${stride}/${pad}`);
        });
      }
    }
  }

  for (const pad of ['same', 'valid'] as const) {
    test(`an RGB first layer (3 → 16 channels, 3×3, ${pad} padding) has the cpu gradients`, async () => {
      const random = new Random(pad === 'same' ? 43 : 47);
      const inputs = [randomInput([2, 9, 10, 3], random), randomInput([3, 3, 3, 16], random), randomInput([16], random)];
      const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
        tf.fused
          .conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad, bias: b, activation: 'relu' })
          .square()
          .sum();
      await assertSameGradients(f as never, inputs, `rgb ${pad}`);
    });
  }

  test('a plain conv2d with 16 input channels, as in a middle layer, has the cpu gradients', async () => {
    const random = new Random(7);
    const inputs = [randomInput([3, 8, 8, 16], random), randomInput([3, 3, 16, 8], random)];
    const f = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').sum();
    await assertSameGradients(f as never, inputs, 'conv 16→8');
  });

  test('2×2 max pooling routes gradients to the maximum even when every value in a window is negative', async () => {
    const random = new Random(3);
    const input = randomInput([2, 8, 6, 3], random);
    input.data.forEach((v, i) => (input.data[i] = -Math.abs(v) - 0.1));
    const weights = tf.tidy(() => tf.keep(tf.range(1, 2 * 4 * 3 * 3 + 1).reshape([2, 4, 3, 3])));
    const f = (x: tf.Tensor) =>
      tf
        .maxPool(x as tf.Tensor4D, 2, 2, 'valid')
        .mul(weights)
        .sum();
    await assertSameGradients(f as never, [input], 'maxpool');
  });

  test('2×2 max pooling of odd-sized input (the last row and column are dropped) has the cpu gradients', async () => {
    const input = randomInput([1, 7, 5, 2], new Random(11));
    const f = (x: tf.Tensor) =>
      tf
        .maxPool(x as tf.Tensor4D, 2, 2, 'valid')
        .square()
        .sum();
    await assertSameGradients(f as never, [input], 'maxpool odd');
  });

  test('max pooling with overlapping 3×3 windows at stride 2 and same padding has the cpu gradients', async () => {
    const input = randomInput([2, 7, 8, 6], new Random(17));
    const f = (x: tf.Tensor) =>
      tf
        .maxPool(x as tf.Tensor4D, 3, 2, 'same')
        .square()
        .sum();
    await assertSameGradients(f as never, [input], 'maxpool 3/2 same');
  });

  test('a conv2d forward pass (no gradient, so one fused kernel with bias and ReLU) gives the cpu values', async () => {
    const random = new Random(19);
    const [x, w, b] = [randomInput([3, 11, 9, 5], random), randomInput([3, 3, 5, 12], random), randomInput([12], random)];
    const on = async (backend: string) => {
      await tf.setBackend(backend);
      const y = tf.tidy(() => {
        const [xt, wt] = [tf.tensor4d(x.data, x.shape as [number, number, number, number]), tf.tensor4d(w.data, w.shape as [number, number, number, number])];
        return tf.fused.conv2d({ x: xt, filter: wt, strides: 1, pad: 'same', bias: tf.tensor(b.data, b.shape), activation: 'relu' });
      });
      const data = (await y.data()) as Float32Array;
      y.dispose();
      return data;
    };
    assert.ok(relativeError(await on('wasm'), await on('cpu')) < 1e-5);
  });

  test('sums and means over every axis but the channels (bias gradients, batch statistics) give the cpu values, with and without keepDims', async () => {
    const x = randomInput([3, 5, 7, 13], new Random(23));
    for (const keepDims of [false, true]) {
      const on = async (backend: string) => {
        await tf.setBackend(backend);
        const t = tf.tensor(x.data, x.shape);
        const [sum, mean] = [tf.sum(t, [0, 1, 2], keepDims), tf.mean(t, [2, 0, 1], keepDims)];
        const result = { shape: sum.shape, sum: (await sum.data()) as Float32Array, mean: (await mean.data()) as Float32Array };
        tf.dispose([t, sum, mean]);
        return result;
      };
      const [wasm, cpu] = [await on('wasm'), await on('cpu')];
      assert.deepEqual(wasm.shape, cpu.shape);
      assert.ok(relativeError(wasm.sum, cpu.sum) < 1e-5 && relativeError(wasm.mean, cpu.mean) < 1e-5, `keepDims ${keepDims}`);
    }
  });

  test('a ReLU has the cpu gradient, zero where its input is not positive', async () => {
    const input = randomInput([5, 7], new Random(29));
    input.data[3] = 0;
    await assertSameGradients(
      ((x: tf.Tensor) =>
        tf
          .relu(x)
          .mul(tf.range(0, 35).reshape([5, 7]))
          .sum()) as never,
      [input],
      'relu',
    );
  });

  test('a dense layer (matmul then bias) has the cpu gradients through the transposed matmuls', async () => {
    const random = new Random(5);
    const inputs = [randomInput([6, 11], random), randomInput([11, 4], random), randomInput([4], random)];
    const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
      tf.fused
        .matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'relu' })
        .square()
        .sum();
    await assertSameGradients(f as never, inputs, 'dense');
  });

  test('batched matmuls with transposed operands give the cpu results', async () => {
    const random = new Random(9);
    const a = randomInput([2, 5, 3], random);
    const b = randomInput([2, 4, 5], random);
    const on = async (backend: string) => {
      await tf.setBackend(backend);
      const result = tf.tidy(() => tf.matMul(tf.tensor(a.data, a.shape), tf.tensor(b.data, b.shape), true, true));
      const data = (await result.data()) as Float32Array;
      result.dispose();
      return data;
    };
    assert.ok(relativeError(await on('wasm'), await on('cpu')) < 1e-5);
  });

  test('batch normalisation in training mode (whose gradient tiles) has the cpu gradients', async () => {
    const random = new Random(13);
    const weights = tf.tidy(() =>
      tf.keep(
        tf
          .range(0, 4 * 3 * 3 * 5)
          .reshape([4, 3, 3, 5])
          .div(100),
      ),
    );
    const inputs = [randomInput([4, 3, 3, 5], random), randomInput([5], random), randomInput([5], random)];
    const f = (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.batchNorm(x, mean, variance, offset, scale, 1e-3).mul(weights).sum();
    };
    await assertSameGradients(f as never, inputs, 'batchnorm');
  });

  test('tile of non-broadcast axes (the stock path) still gives the right values', async () => {
    await tf.setBackend('wasm');
    const tiled = tf.tidy(() =>
      tf.tile(
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
        [2, 1],
      ),
    );
    assert.deepEqual(Array.from(await tiled.data()), [1, 2, 3, 4, 1, 2, 3, 4]);
    tiled.dispose();
  });

  test('the replacement kernels free every temporary tensor', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1);
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2);
    const run = () =>
      tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.maxPool(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), 2, 2, 'valid').sum())([x, w]));
    run();
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    run();
    run();
    assert.equal(tf.memory().numTensors, before);
    assert.equal(tf.memory().numBytes, bytes);
    tf.dispose([x, w]);
  });
});
