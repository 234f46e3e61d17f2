// Training speed on the wasm backend (one thread): images/s per architecture at batch 128 with the
// replacement kernels, and the speed of each replaced kernel and of an MLP (the largest model stock
// wasm can train: it has no Conv2DBackpropFilter) before and after registering them.
// Run: `npm run bench -- train`. Synthetic inputs: speed does not depend on pixel values.
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { buildModel } from '../src/model/architectures.js';
import { ARCHITECTURES } from '../src/model/params.js';
import { registerWasmTrainingKernels } from '../src/model/wasm-kernels.js';
import { CIFAR_NORMALISATION, imageBatch, labelBatch } from '../src/data/batches.js';
import { Random } from '../src/util/random.js';

const BATCH = 128;
const random = new Random(1);
const split = {
  ids: Array.from({ length: BATCH * 4 }, (_, i) => `i${i}`),
  labels: Uint8Array.from({ length: BATCH * 4 }, (_, i) => i % 10),
  pixels: Uint8Array.from({ length: BATCH * 4 * 3072 }, () => random.int(256)),
};

/** Median milliseconds of `fn` over `runs` after `warm` warm-up runs. */
function timeMs(fn: () => void, runs: number, warm = 2): number {
  for (let i = 0; i < warm; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/**
 * ms per training step (batch conversion + forward + backward + Adam) of `model`: the median wall
 * time, and the mean CPU time of this process, which on a shared machine estimates what one
 * uncontended core would do (the wasm backend runs on one thread).
 */
function stepMs(model: tf.LayersModel, runs: number): { wall: number; cpu: number } {
  const optimizer = tf.train.adam(0.001);
  let offset = 0;
  let cpuMicros = 0;
  let calls = 0;
  const wall = timeMs(() => {
    const cpuStart = process.cpuUsage();
    const indices = Int32Array.from({ length: BATCH }, (_, i) => (offset + i) % split.labels.length);
    offset += BATCH;
    const pixels = imageBatch(split, indices, CIFAR_NORMALISATION, { cropPadding: 2, flip: true, random });
    const labels = labelBatch(split, indices);
    tf.tidy(() => {
      const x = tf.tensor4d(pixels, [BATCH, 32, 32, 3]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), true)!;
      cost.dataSync();
    });
    const used = process.cpuUsage(cpuStart);
    // The first two calls are timeMs's warm-up.
    if (++calls > 2) cpuMicros += used.user + used.system;
  }, runs);
  optimizer.dispose();
  return { wall, cpu: cpuMicros / 1000 / runs };
}

function mlp(): tf.LayersModel {
  return tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [32, 32, 3] }), tf.layers.dense({ units: 256, activation: 'relu' }), tf.layers.dense({ units: 10 })],
  });
}

/** The replaced kernels on the shapes of the `fast` network's second block, batch 128. */
function kernelCases(): { name: string; run: () => void }[] {
  const x = tf.randomNormal([BATCH, 16, 16, 16]);
  const w = tf.randomNormal([3, 3, 16, 32]);
  const dy = tf.randomNormal([BATCH, 16, 16, 32]);
  const pooled = tf.maxPool(dy as tf.Tensor4D, 2, 2, 'valid');
  const dyPool = tf.randomNormal(pooled.shape);
  const a = tf.randomNormal([BATCH, 2048]);
  const b = tf.randomNormal([BATCH, 128]);
  const scale = tf.randomNormal([1, 1, 1, 32]);
  const grad = (f: () => tf.Tensor) => () => tf.tidy(() => void f().dataSync());
  return [
    { name: 'Conv2DBackpropInput 3×3 16→32 @16×16', run: grad(() => tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, [BATCH, 16, 16, 16], 1, 'same')) },
    { name: 'MaxPoolGrad 2×2/2 @16×16×32', run: grad(() => tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid').mul(dyPool).sum())(dy)) },
    { name: 'BatchMatMul transposeA (dense dW 2048×128)', run: grad(() => tf.matMul(a, b, true, false)) },
    { name: 'Tile [1,1,1,32] → [128,16,16,32]', run: grad(() => tf.tile(scale, [BATCH, 16, 16, 1])) },
    { name: 'Conv2DBackpropFilter 3×3 16→32 @16×16', run: grad(() => tf.grad((f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same').mul(dy).sum())(w)) },
  ];
}

await tf.setBackend('wasm');
await tf.ready();
console.log(`wasm backend, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, one thread; load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')} on 2 cores`);

const cases = kernelCases();
const stock = new Map<string, number>();
for (const c of cases) {
  try {
    stock.set(c.name, timeMs(c.run, 5));
  } catch {
    stock.set(c.name, Number.NaN);
  }
}
const mlpModel = mlp();
const stockMlp = BATCH / (stepMs(mlpModel, 10).wall / 1000);

registerWasmTrainingKernels('wasm');

console.log('\nkernel                                         stock ms   replacement ms   speed-up');
for (const c of cases) {
  const ours = timeMs(c.run, 5);
  const before = stock.get(c.name)!;
  const speedUp = Number.isNaN(before) ? 'stock has none' : `${(before / ours).toFixed(1)}×`;
  console.log(`${c.name.padEnd(46)} ${(Number.isNaN(before) ? '—' : before.toFixed(1)).padStart(8)}   ${ours.toFixed(1).padStart(14)}   ${speedUp}`);
}
const oursMlp = BATCH / (stepMs(mlpModel, 10).wall / 1000);
console.log(`\nMLP 3072-256-10 training: stock ${stockMlp.toFixed(0)} images/s, replacement kernels ${oursMlp.toFixed(0)} images/s (${(oursMlp / stockMlp).toFixed(1)}×)`);

console.log(`\narchitecture   parameters   images/s wall   images per CPU-second (batch ${BATCH}, training step incl. batch conversion)`);
for (const arch of ARCHITECTURES) {
  const model = buildModel({ arch, width: 1, dropout: 0, seed: 1 });
  const ms = stepMs(model, arch === 'fast' ? 20 : 8);
  console.log(`${arch.padEnd(14)} ${String(model.countParams()).padStart(10)}   ${(BATCH / (ms.wall / 1000)).toFixed(0).padStart(13)}   ${(BATCH / (ms.cpu / 1000)).toFixed(0)}`);
  model.dispose();
}
console.log(`load average at end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
