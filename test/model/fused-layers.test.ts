import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../../src/model/architectures.js';
import { selectBackend } from '../../src/model/backend.js';
import { adam } from '../../src/model/fused-adam.js';
import { batchNormalization, conv2d } from '../../src/model/fused-layers.js';
import { Random } from '../../src/util/random.js';
import { relativeError } from './helpers.js';

/**
 * The fused layers and the fused Adam against tfjs's own: on the cpu backend they are tfjs's layers
 * and optimizer (the reference); on wasm they run our kernels, which must give the same numbers.
 */

function randomData(shape: number[], random: Random): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.normal());
}

/**
 * conv (linear, no bias) → BN → ReLU → conv (ReLU, bias, valid) → BN → pool → dense, with the given
 * weights: both convolution paths and a ReLU before the second normalisation (without one, the first
 * normalisation's offset would have no gradient at all).
 */
function smallNet(weights: Float32Array[] | undefined): tf.Sequential {
  const model = tf.sequential();
  model.add(conv2d({ inputShape: [6, 6, 3], filters: 8, kernelSize: 3, padding: 'same', useBias: false }));
  model.add(batchNormalization({ momentum: 0.9 }));
  model.add(tf.layers.reLU());
  model.add(conv2d({ filters: 4, kernelSize: 3, padding: 'valid', activation: 'relu' }));
  model.add(batchNormalization({ momentum: 0.9 }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 5 }));
  if (weights) model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i]!.shape)));
  return model;
}

/** Loss, gradients of every trainable weight and the moving statistics after one training-mode pass. */
async function trainingPass(backend: string, weights: Float32Array[] | undefined, input: Float32Array) {
  await tf.setBackend(backend);
  const model = smallNet(weights);
  const x = tf.tensor4d(input, [3, 6, 6, 3]);
  let value: tf.Scalar | undefined;
  let grads: tf.NamedTensorMap = {};
  const profile = await tf.profile(() => {
    ({ value, grads } = tf.variableGrads(() => tf.square(model.apply(x, { training: true }) as tf.Tensor).mean() as tf.Scalar));
    return [value, ...Object.values(grads)];
  });
  const result = {
    kernels: new Set(profile.kernelNames),
    loss: (await value!.data())[0]!,
    grads: await Promise.all(Object.values(grads).map((g) => g.data() as Promise<Float32Array>)),
    weights: await Promise.all(model.getWeights().map((w) => w.data() as Promise<Float32Array>)),
  };
  tf.dispose([x, value!, ...Object.values(grads)]);
  model.dispose();
  return result;
}

describe('fused layers and Adam', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  test('a training pass through fused conv and batch-norm layers on wasm gives the loss, gradients and moving statistics of tfjs’s layers on cpu', async () => {
    const random = new Random(31);
    await tf.setBackend('cpu');
    const init = smallNet(undefined);
    const weights = init.getWeights().map((w) => randomData(w.shape, random));
    init.dispose();
    const input = randomData([3, 6, 6, 3], random);
    const cpu = await trainingPass('cpu', weights, input);
    const wasm = await trainingPass('wasm', weights, input);
    for (const kernel of ['SimdConv2D', 'SimdBatchNormTrain']) assert.ok(wasm.kernels.has(kernel), `the wasm pass ran ${kernel}`);
    assert.ok(Math.abs(wasm.loss - cpu.loss) / Math.abs(cpu.loss) < 1e-5, `loss ${wasm.loss} vs ${cpu.loss}`);
    assert.equal(wasm.grads.length, cpu.grads.length);
    wasm.grads.forEach((g, i) => assert.ok(relativeError(g, cpu.grads[i]!) < 1e-4, `gradient ${i} differs by ${relativeError(g, cpu.grads[i]!)}`));
    wasm.weights.forEach((w, i) => assert.ok(relativeError(w, cpu.weights[i]!) < 1e-5, `weight ${i} (moving statistics) differs`));
  });

  test('a model of fused layers serialises as tfjs’s Conv2D and BatchNormalization, and loads back as them with the same weights', async () => {
    await tf.setBackend('wasm');
    const model = buildModel({ arch: 'bn', width: 0.25, dropout: 0, seed: 3 });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => ((saved = artifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })),
    );
    const topology = JSON.stringify(saved!.modelTopology);
    assert.ok(topology.includes('"class_name":"Conv2D"') && topology.includes('"class_name":"BatchNormalization"'));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const conv = loaded.layers.find((l) => l.getClassName() === 'Conv2D')!;
    assert.equal(conv.constructor, tf.serialization.SerializationMap.getMap().classNameMap['Conv2D']![0], 'loaded as tfjs’s own class');
    model.layers.forEach((layer, i) => {
      if (layer.getClassName() === 'Conv2D' || layer.getClassName() === 'BatchNormalization')
        assert.deepEqual(loaded.layers[i]!.getConfig(), layer.getConfig());
    });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 4);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    assert.deepEqual(await a.data(), await b.data());
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  test('the fused Adam gives bit for bit the values of tfjs’s Adam over several steps on wasm', async () => {
    await tf.setBackend('wasm');
    const random = new Random(37);
    const start = randomData([7, 5], random);
    const gradients = [0, 1, 2].map(() => randomData([7, 5], random));
    const run = async (optimizer: tf.Optimizer) => {
      const variable = tf.variable(tf.tensor2d(start, [7, 5]));
      for (const [i, g] of gradients.entries()) {
        (optimizer as unknown as { learningRate: number }).learningRate = 0.01 * (i + 1);
        tf.tidy(() => optimizer.applyGradients({ [variable.name]: tf.tensor2d(g, [7, 5]) }));
      }
      const values = (await variable.data()) as Float32Array;
      variable.dispose();
      optimizer.dispose();
      return values;
    };
    assert.deepEqual(await run(adam(0.01)), await run(tf.train.adam(0.01)));
  });

  test('batch normalisation with given statistics (inference) and dense products with bias and ReLU give the cpu values', async () => {
    const random = new Random(41);
    const [x, mean, variance, offset, scale] = [
      randomData([2, 3, 3, 8], random),
      randomData([8], random),
      randomData([8], random).map(Math.abs),
      randomData([8], random),
      randomData([8], random),
    ];
    const [a, w, bias, batched] = [randomData([5, 9], random), randomData([9, 11], random), randomData([11], random), randomData([3, 9, 11], random)];
    const on = async (backend: string) => {
      await tf.setBackend(backend);
      const outputs = tf.tidy(() => [
        tf.batchNorm(tf.tensor4d(x, [2, 3, 3, 8]), tf.tensor1d(mean), tf.tensor1d(variance), tf.tensor1d(offset), tf.tensor1d(scale), 1e-3),
        tf.fused.matMul({ a: tf.tensor2d(a, [5, 9]), b: tf.tensor2d(w, [9, 11]), bias: tf.tensor1d(bias), activation: 'relu' }),
        tf.matMul(tf.tensor3d(a, [1, 5, 9]), tf.tensor3d(batched, [3, 9, 11])),
      ]);
      const data = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose(outputs);
      return data;
    };
    const [cpu, wasm] = [await on('cpu'), await on('wasm')];
    cpu.forEach((expected, i) => assert.ok(relativeError(wasm[i]!, expected) < 1e-5, `output ${i}`));
  });
});
