// Training speed on the wasm backend against PyTorch on the same core: images/s of one training step
// (batch conversion, forward, backward, Adam) for each architecture at batch 128, and the time of
// each kernel of a step on the shapes the networks use, ours and PyTorch's (bench/torch_train.py,
// one thread). Both run pinned to one core (`taskset`), in interleaved rounds: on a shared machine
// the absolute figures move with the load, the ratios are what to read.
// Run: `npm run bench -- train`. BENCH_CORE picks the core (default: the last one), BENCH_ROUNDS
// the rounds (default 3), BENCH_PYTHON a Python that has torch, BENCH_KERNELS a substring of the
// kernels to time (e.g. "dW"; "none" skips them) and BENCH_STEPS=0 skips the training steps.
// Synthetic inputs: speed does not depend on pixel values.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { buildModel } from '../src/model/architectures.js';
import { ARCHITECTURES, type Architecture } from '../src/model/params.js';
import { registerWasmTrainingKernels } from '../src/model/wasm-kernels.js';
import { adam } from '../src/model/fused-adam.js';
import { SIMD_KERNELS } from '../src/model/kernels/names.js';
import { CIFAR_NORMALISATION, imageBatch, labelBatch } from '../src/data/batches.js';
import { Random } from '../src/util/random.js';

const BATCH = 128;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const STEPS: Record<Architecture, number> = { fast: 16, deep: 6, bn: 6 };
const PINNED = 'CIFAR10_BENCH_PINNED_CORE';
const KERNEL_FILTER = process.env['BENCH_KERNELS'] ?? '';
const RUN_STEPS = process.env['BENCH_STEPS'] !== '0';

/** Re-runs this file under `taskset -c <core>` so that it and PyTorch share exactly one core. */
function pinOrContinue(): string | undefined {
  if (process.env[PINNED] !== undefined) return process.env[PINNED];
  const core = process.env['BENCH_CORE'] ?? String(availableParallelism() - 1);
  if (spawnSync('taskset', ['-c', core, 'true']).status !== 0) return undefined;
  const result = spawnSync('taskset', ['-c', core, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [PINNED]: core },
  });
  process.exit(result.status ?? 1);
}

const core = pinOrContinue();
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

// --- PyTorch, the native reference ---------------------------------------------------------------

/** A Python that imports torch: BENCH_PYTHON, else Debian's (which `apt-get install python3-torch` serves), else the one on PATH. */
function findTorchPython(): string | undefined {
  const candidates = [process.env['BENCH_PYTHON'], '/usr/bin/python3', 'python3'].filter((c): c is string => Boolean(c));
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

interface TorchHello {
  torch: string;
  blas: string;
}

/** The PyTorch worker: one JSON request per line, one JSON answer per line. */
class Torch {
  private readonly lines: AsyncIterator<string>;
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly hello: TorchHello,
    lines: AsyncIterator<string>,
  ) {
    this.lines = lines;
  }

  static async start(python: string): Promise<Torch> {
    const script = fileURLToPath(new URL('../../bench/torch_train.py', import.meta.url));
    // One thread everywhere: torch's own pool, OpenMP (oneDNN) and OpenBLAS's pthreads.
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const child = spawn(python, [script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`torch: ${chunk.toString()}`));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error(`${script} exited before it was ready`);
    return new Torch(child, JSON.parse(first.value) as TorchHello, lines);
  }

  async ask<T>(request: object): Promise<T> {
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error('the PyTorch worker exited');
    const answer = JSON.parse(line.value) as T & { error?: string };
    if (answer.error) throw new Error(`PyTorch worker: ${answer.error}`);
    return answer;
  }

  stop(): void {
    this.child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
  }
}

// --- Our training step ---------------------------------------------------------------------------

const random = new Random(1);
const split = {
  ids: Array.from({ length: BATCH * 4 }, (_, i) => `i${i}`),
  labels: Uint8Array.from({ length: BATCH * 4 }, (_, i) => i % 10),
  pixels: Uint8Array.from({ length: BATCH * 4 * 3072 }, () => random.int(256)),
};

/** Wall ms of each of `steps` training steps of `arch` (batch conversion + forward + backward + Adam), after two warm-up steps. */
function ourSteps(arch: Architecture, steps: number): number[] {
  const model = buildModel({ arch, width: 1, dropout: 0, seed: 1 });
  const optimizer = adam(0.001);
  const times: number[] = [];
  for (let step = 0; step < steps + 2; step++) {
    const start = performance.now();
    const indices = Int32Array.from({ length: BATCH }, (_, i) => (step * BATCH + i) % split.labels.length);
    const pixels = imageBatch(split, indices, CIFAR_NORMALISATION, { cropPadding: 2, flip: true, random });
    const labels = labelBatch(split, indices);
    tf.tidy(() => {
      const x = tf.tensor4d(pixels, [BATCH, 32, 32, 3]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor, undefined, 0.1), true)!;
      cost.dataSync();
    });
    if (step >= 2) times.push(performance.now() - start);
  }
  optimizer.dispose();
  model.dispose();
  return times;
}

// --- Kernels -------------------------------------------------------------------------------------

type Shape4 = [number, number, number, number];
type KernelCase =
  | { name: string; kind: 'conv' | 'convDx' | 'convDw'; x: Shape4; w: Shape4; stride: number; pad: 'same' }
  | { name: string; kind: 'maxPool' | 'maxPoolGrad' | 'reluBiasGrad' | 'batchNorm'; x: Shape4 }
  | { name: string; kind: 'dense' | 'denseDx' | 'denseDw'; m: number; k: number; n: number }
  | { name: string; kind: 'adam'; params: number }
  | { name: string; kind: 'batch'; n: number };

/** The kernels of a training step on the shapes of the three networks (`deep` and `bn` share theirs). */
function kernelCases(): KernelCase[] {
  const convs: [string, Shape4, number][] = [
    ['fast conv1', [BATCH, 32, 32, 3], 16],
    ['fast conv2', [BATCH, 16, 16, 16], 32],
    ['deep conv1', [BATCH, 32, 32, 3], 32],
    ['deep conv2', [BATCH, 16, 16, 32], 64],
    ['deep conv3', [BATCH, 8, 8, 64], 128],
  ];
  const cases: KernelCase[] = [];
  for (const [layer, x, cout] of convs) {
    const w: Shape4 = [3, 3, x[3], cout];
    const at = `${x[3]}→${cout} @${x[1]}×${x[2]}`;
    cases.push({ name: `${layer} forward (+bias, ReLU) ${at}`, kind: 'conv', x, w, stride: 1, pad: 'same' });
    cases.push({ name: `${layer} dX ${at}`, kind: 'convDx', x, w, stride: 1, pad: 'same' });
    cases.push({ name: `${layer} dW ${at}`, kind: 'convDw', x, w, stride: 1, pad: 'same' });
  }
  for (const x of [
    [BATCH, 32, 32, 16],
    [BATCH, 32, 32, 32],
    [BATCH, 16, 16, 64],
    [BATCH, 8, 8, 128],
  ] as Shape4[]) {
    cases.push({ name: `max-pool 2×2 @${x.slice(1).join('×')}`, kind: 'maxPool', x });
    cases.push({ name: `max-pool gradient @${x.slice(1).join('×')}`, kind: 'maxPoolGrad', x });
  }
  cases.push({ name: 'ReLU and bias gradients @32×32×32', kind: 'reluBiasGrad', x: [BATCH, 32, 32, 32] });
  cases.push({ name: 'BatchNorm forward+backward (training) @32×32×32', kind: 'batchNorm', x: [BATCH, 32, 32, 32] });
  for (const [layer, k, n] of [
    ['fast dense1', 2048, 128],
    ['deep dense1', 2048, 256],
  ] as const) {
    cases.push({ name: `${layer} forward ${k}→${n}`, kind: 'dense', m: BATCH, k, n });
    cases.push({ name: `${layer} dX ${k}→${n}`, kind: 'denseDx', m: BATCH, k, n });
    cases.push({ name: `${layer} dW ${k}→${n}`, kind: 'denseDw', m: BATCH, k, n });
  }
  cases.push({ name: 'Adam update, 620,362 parameters (deep)', kind: 'adam', params: 620_362 });
  cases.push({ name: 'batch conversion (uint8 → normalised float, flips) ×128', kind: 'batch', n: BATCH });
  return cases;
}

/**
 * A function running our kernel for `c` the way a training step runs it (the fused kernels of
 * src/model/fused-layers.ts where training uses them), and its inputs' disposer.
 */
function ourKernel(c: KernelCase): { run: () => void; dispose: () => void } {
  const seed = 7;
  const keep: tf.Tensor[] = [];
  const normal = (shape: number[]) => {
    const t = tf.randomNormal(shape, 0, 1, 'float32', seed);
    keep.push(t);
    return t;
  };
  const engine = tf.engine();
  const dispose = () => tf.dispose(keep);
  const tidy = (f: () => unknown) => () => tf.tidy(() => void f());
  switch (c.kind) {
    case 'conv': {
      const [x, w, b] = [normal(c.x), normal(c.w), normal([c.w[3]])];
      return {
        run: tidy(() => engine.runKernel(SIMD_KERNELS.conv2d, { x, filter: w, bias: b }, { strides: c.stride, pad: c.pad, activation: 'relu' } as never)),
        dispose,
      };
    }
    case 'convDx':
    case 'convDw': {
      const [x, w] = [normal(c.x), normal(c.w)];
      const dy = normal([c.x[0], c.x[1] / c.stride, c.x[2] / c.stride, c.w[3]]);
      const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      if (c.kind === 'convDx')
        return { run: tidy(() => engine.runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: c.x } as never)), dispose };
      return { run: tidy(() => engine.runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: c.w } as never)), dispose };
    }
    case 'maxPool':
    case 'maxPoolGrad': {
      const x = normal(c.x) as tf.Tensor4D;
      if (c.kind === 'maxPool') return { run: tidy(() => tf.maxPool(x, 2, 2, 'valid')), dispose };
      const y = tf.maxPool(x, 2, 2, 'valid');
      keep.push(y);
      const dy = normal(y.shape);
      const attrs = { filterSize: 2, strides: 2, pad: 'valid', dimRoundingMode: undefined };
      return { run: tidy(() => engine.runKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs as never)), dispose };
    }
    case 'reluBiasGrad': {
      const [y, dy] = [tf.relu(normal(c.x)), normal(c.x)];
      keep.push(y);
      return { run: tidy(() => engine.runKernel(SIMD_KERNELS.reluBiasGrad, { dy, y }, {})), dispose };
    }
    case 'batchNorm': {
      // The fused kernels a training step runs: statistics and normalisation, then the gradient (dx, dγ, dβ at once).
      const [x, gamma, beta, dy] = [normal(c.x), normal([c.x[3]]), normal([c.x[3]]), normal(c.x)];
      const epsilon = { epsilon: 1e-3 } as never;
      return {
        run: tidy(() => {
          const [, mean, variance] = engine.runKernel(SIMD_KERNELS.batchNormTrain, { x, scale: gamma, offset: beta }, epsilon) as tf.Tensor[];
          return engine.runKernel(SIMD_KERNELS.batchNormTrainGrad, { dy, x, mean: mean!, variance: variance!, scale: gamma }, epsilon);
        }),
        dispose,
      };
    }
    case 'dense':
    case 'denseDx':
    case 'denseDw': {
      const [a, w, b, dy] = [normal([c.m, c.k]), normal([c.k, c.n]), normal([c.n]), normal([c.m, c.n])];
      if (c.kind === 'dense') return { run: tidy(() => tf.fused.matMul({ a: a as tf.Tensor2D, b: w as tf.Tensor2D, bias: b })), dispose };
      if (c.kind === 'denseDx') return { run: tidy(() => tf.matMul(dy, w, false, true)), dispose };
      return { run: tidy(() => tf.matMul(a, dy, true, false)), dispose };
    }
    case 'adam': {
      const variable = tf.variable(tf.randomNormal([c.params], 0, 1, 'float32', seed));
      const grad = normal([c.params]);
      const optimizer = adam(0.001);
      return {
        run: () => optimizer.applyGradients([{ name: variable.name, tensor: grad }]),
        dispose: () => {
          optimizer.dispose();
          variable.dispose();
          dispose();
        },
      };
    }
    case 'batch': {
      const indices = Int32Array.from({ length: c.n }, (_, i) => i);
      return { run: () => void imageBatch(split, indices, CIFAR_NORMALISATION, { cropPadding: 2, flip: true, random }), dispose };
    }
  }
}

/** Median ms of `runs` calls after two warm-up calls. */
function timeMs(fn: () => void, runs: number): number {
  fn();
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

// --- The run -------------------------------------------------------------------------------------

await tf.setBackend('wasm');
await tf.ready();
registerWasmTrainingKernels('wasm');
console.log(`ours: tfjs ${tf.version.tfjs}, wasm backend (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, one thread) with our training kernels`);
console.log(
  core === undefined
    ? 'NOT pinned (no taskset here): both engines share the machine as the OS schedules them'
    : `both engines pinned to core ${core} (taskset)`,
);

const python = findTorchPython();
let torch: Torch | undefined;
if (!python) {
  console.log(
    'PyTorch: not found, so our figures alone. Install it for the side-by-side: `apt-get install python3-torch` (Debian/Ubuntu; then /usr/bin/python3 has it) or `pip install torch`, or set BENCH_PYTHON to a Python that has it.',
  );
} else {
  torch = await Torch.start(python);
  console.log(`PyTorch: ${torch.hello.torch} (${python}), one thread, BLAS ${torch.hello.blas}`);
  if (!/openblas|mkl|blis|atlas/i.test(torch.hello.blas)) {
    console.log(
      '  warning: PyTorch uses the reference BLAS, which makes its dense layers ~50× slower than usual; `apt-get install libopenblas0-pthread` gives it an optimised one.',
    );
  }
}
console.log(
  `load average at start ${load()} on ${cpus().length} cores: other work shares the machine, so read the ratios; absolute figures move with the load`,
);

const ours = new Map<Architecture, number[]>();
const theirs = new Map<Architecture, number[]>();
for (let round = 1; round <= (RUN_STEPS ? ROUNDS : 0); round++) {
  for (const arch of ARCHITECTURES) {
    ours.set(arch, [...(ours.get(arch) ?? []), BATCH / (median(ourSteps(arch, STEPS[arch])) / 1000)]);
    if (torch) {
      const answer = await torch.ask<{ ms: number[] }>({ op: 'train', arch, batch: BATCH, steps: STEPS[arch] });
      theirs.set(arch, [...(theirs.get(arch) ?? []), BATCH / (median(answer.ms) / 1000)]);
    }
  }
}
if (RUN_STEPS) console.log(`\ntraining step, batch ${BATCH} (images/s; median over ${ROUNDS} interleaved rounds of each round's median step)`);
if (RUN_STEPS) console.log('architecture   parameters     ours   PyTorch   ours/PyTorch (each round)');
for (const arch of RUN_STEPS ? ARCHITECTURES : []) {
  const model = buildModel({ arch, width: 1, dropout: 0, seed: 1 });
  const params = model.countParams();
  model.dispose();
  const o = ours.get(arch)!;
  const t = theirs.get(arch);
  const ratios = t ? o.map((v, i) => v / t[i]!) : [];
  const ratioText = t ? `${median(ratios).toFixed(2)}× (${ratios.map((r) => r.toFixed(2)).join(', ')})` : '—';
  console.log(
    `${arch.padEnd(14)} ${String(params).padStart(10)}   ${median(o).toFixed(0).padStart(6)}   ${t ? median(t).toFixed(0).padStart(7) : '      —'}   ${ratioText}`,
  );
}

const cases = kernelCases().filter((c) => c.name.includes(KERNEL_FILTER));
const ourKernelMs = new Map<string, number[]>();
const torchKernelMs = new Map<string, (number | null)[]>();
for (let round = 1; round <= ROUNDS; round++) {
  for (const c of cases) {
    const kernel = ourKernel(c);
    try {
      ourKernelMs.set(c.name, [...(ourKernelMs.get(c.name) ?? []), timeMs(kernel.run, 5)]);
    } finally {
      kernel.dispose();
    }
    if (torch) {
      const answer = await torch.ask<{ ms: number | null }>({ op: 'kernel', kernel: c, runs: 5 });
      torchKernelMs.set(c.name, [...(torchKernelMs.get(c.name) ?? []), answer.ms]);
    }
  }
}
if (cases.length > 0) console.log(`\nkernels at batch ${BATCH} (ms, median of ${ROUNDS} rounds × 5 calls; ratio > 1: ours is slower)`);
if (cases.length > 0) console.log(`${'kernel'.padEnd(58)}    ours   PyTorch   ours/PyTorch`);
for (const c of cases) {
  const o = median(ourKernelMs.get(c.name)!);
  const t = torchKernelMs.get(c.name)?.filter((v): v is number => v !== null);
  const tm = t && t.length > 0 ? median(t) : undefined;
  console.log(
    `${c.name.padEnd(58)} ${o.toFixed(2).padStart(7)}   ${tm === undefined ? '      —' : tm.toFixed(2).padStart(7)}   ${tm === undefined ? '' : `${(o / tm).toFixed(1)}×`}`,
  );
}
torch?.stop();
console.log(`\nload average at end ${load()}`);
