// Where one training step's time goes on the wasm backend, per architecture at batch 128: batch
// conversion, forward, backward and the Adam update, and within each the kernels that take the most
// time. Every wasm kernel is wrapped with a timer that counts its own time only (a kernel built
// from other kernels does not count theirs twice); what no kernel accounts for is tfjs's own work
// (tape, bookkeeping, JS glue). Times are this process's CPU time, not wall time: on a shared
// machine they stay close to what one uncontended core does. Run: `npm run bench -- step-profile` (pin it with
// `taskset -c 1 node dist/bench/step-profile.bench.js` on a shared machine).
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { buildModel } from '../src/model/architectures.js';
import { ARCHITECTURES, type Architecture } from '../src/model/params.js';
import { registerWasmTrainingKernels } from '../src/model/wasm-kernels.js';
import { adam } from '../src/model/fused-adam.js';
import { CIFAR_NORMALISATION, imageBatch, labelBatch } from '../src/data/batches.js';
import { Random } from '../src/util/random.js';

const BATCH = 128;
const STEPS = Number(process.env['PROFILE_STEPS'] ?? 5);
/** CPU ms of this process since an arbitrary start (the wasm backend computes on this one thread). */
function now(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const PHASES = ['batch conversion', 'forward', 'backward', 'Adam update'] as const;
type Phase = (typeof PHASES)[number];

let phase: Phase = 'forward';
/** Exclusive ms per phase and kernel signature (name + input shapes). */
const kernelMs = new Map<string, number>();
/** Time spent in nested kernels, per level of the stack of running kernels. */
const childMs: number[] = [];

function key(p: Phase, name: string, shapes: string): string {
  return `${p}\t${name} ${shapes}`;
}

/** Re-registers every wasm kernel behind a timer that charges its own time to the current phase. */
function instrumentKernels(): void {
  for (const config of tf.getKernelsForBackend('wasm')) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        childMs.push(0);
        const start = now();
        try {
          return inner(args);
        } finally {
          const total = now() - start;
          const nested = childMs.pop()!;
          if (childMs.length > 0) childMs[childMs.length - 1]! += total;
          const shapes = Object.values(args.inputs)
            .map((t) => (t ? `[${(t as tf.TensorInfo).shape.join(',')}]` : '-'))
            .join(' ');
          const k = key(phase, config.kernelName, shapes);
          kernelMs.set(k, (kernelMs.get(k) ?? 0) + total - nested);
        }
      },
    });
  }
}

const random = new Random(1);
const split = {
  ids: Array.from({ length: BATCH * 4 }, (_, i) => `i${i}`),
  labels: Uint8Array.from({ length: BATCH * 4 }, (_, i) => i % 10),
  pixels: Uint8Array.from({ length: BATCH * 4 * 3072 }, () => random.int(256)),
};

function profile(arch: Architecture): void {
  const model = buildModel({ arch, width: 1, dropout: 0, seed: 1 });
  const optimizer = adam(0.001);
  const phaseMs = new Map<Phase, number>();
  const add = (p: Phase, ms: number) => phaseMs.set(p, (phaseMs.get(p) ?? 0) + ms);
  const step = (record: boolean) => {
    const indices = Int32Array.from({ length: BATCH }, (_, i) => i);
    let t = now();
    const pixels = imageBatch(split, indices, CIFAR_NORMALISATION, { cropPadding: 2, flip: true, random });
    const labels = labelBatch(split, indices);
    if (record) add('batch conversion', now() - t);
    tf.tidy(() => {
      phase = 'forward';
      t = now();
      const x = tf.tensor4d(pixels, [BATCH, 32, 32, 3]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
      let forwardEnd = 0;
      const { value, grads } = tf.variableGrads(() => {
        const loss = tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor, undefined, 0.1) as tf.Scalar;
        forwardEnd = now();
        phase = 'backward';
        return loss;
      });
      const backwardEnd = now();
      phase = 'Adam update';
      optimizer.applyGradients(grads as tf.NamedTensorMap as never);
      value.dataSync();
      const end = now();
      if (record) {
        add('forward', forwardEnd - t);
        add('backward', backwardEnd - forwardEnd);
        add('Adam update', end - backwardEnd);
      }
    });
  };
  step(false);
  step(false);
  kernelMs.clear();
  for (let i = 0; i < STEPS; i++) step(true);
  const total = [...phaseMs.values()].reduce((a, b) => a + b, 0) / STEPS;
  console.log(`\n## ${arch}: ${total.toFixed(1)} ms per step = ${((BATCH / total) * 1000).toFixed(0)} images/s (mean of ${STEPS} steps)`);
  for (const p of PHASES) {
    const ms = (phaseMs.get(p) ?? 0) / STEPS;
    const kernels = [...kernelMs].filter(([k]) => k.startsWith(`${p}\t`)).map(([k, v]) => [k.slice(p.length + 1), v / STEPS] as const);
    const inKernels = kernels.reduce((a, [, v]) => a + v, 0);
    console.log(
      `\n${p}: ${ms.toFixed(1)} ms (${((ms / total) * 100).toFixed(0)}%)${p === 'batch conversion' ? '' : `, of which ${(ms - inKernels).toFixed(1)} ms outside kernels (tfjs's own work)`}`,
    );
    const byName = new Map<string, number>();
    for (const [k, v] of kernels) byName.set(k.split(' ')[0]!, (byName.get(k.split(' ')[0]!) ?? 0) + v);
    if (byName.size > 0)
      console.log(
        `  by kernel: ${[...byName]
          .sort((a, b) => b[1] - a[1])
          .map(([n, v]) => `${n} ${v.toFixed(1)}`)
          .join(', ')}`,
      );
    for (const [k, v] of kernels.sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${v.toFixed(2).padStart(7)} ms  ${k}`);
  }
  optimizer.dispose();
  model.dispose();
}

await tf.setBackend('wasm');
await tf.ready();
registerWasmTrainingKernels('wasm');
instrumentKernels();
console.log(
  `# One training step on wasm (tfjs ${tf.version.tfjs}, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}), batch ${BATCH}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
for (const arch of ARCHITECTURES) profile(arch);
