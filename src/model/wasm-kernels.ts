import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilter, conv2dBackpropInput, conv2dForward, simdCovers } from './kernels/conv.js';
import { adamStep } from './kernels/adam.js';
import { batchNormTrain, batchNormTrainGrad, fusedBatchNorm, reluBiasGrad } from './kernels/batch-norm.js';
import { batchMatMul, fusedMatMul } from './kernels/dense.js';
import type { KernelArgs } from './kernels/module.js';
import { SIMD_KERNELS } from './kernels/names.js';
import { maxPoolGrad, reduceLeadingAxes, reluGrad, shareInput } from './kernels/tensor-ops.js';

/**
 * Training kernels for the wasm backend, registered over (or in place of) its own. Stock
 * tfjs-backend-wasm 4.22 cannot train a CNN (no Conv2DBackpropFilter) and several of its training
 * kernels are slow or wrong (docs/design-notes.md §2). The heavy ones are WebAssembly SIMD kernels written in
 * C (src/model/kernels/, working in place on the backend's heap); a few are expressed with the
 * backend's own fast kernels. No library ships these, so they are written here, and each has a
 * gradient check against the cpu backend in test/model/.
 */

type TensorInfo = tf.TensorInfo;

interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * Wraps a kernel input as a tensor. The engine owns the input's buffer; the wrapper takes its own
 * reference so that disposing the wrapper does not free the caller's data.
 */
function wrap(backend: unknown, info: TensorInfo): tf.Tensor {
  (backend as RefCountingBackend).incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** Runs `compute` on wrapped inputs and hands its result back to the engine as a kernel output. */
function runWrapped(args: KernelArgs, compute: (inputs: Record<string, tf.Tensor>) => tf.Tensor): TensorInfo {
  const wrapped: Record<string, tf.Tensor> = {};
  for (const [name, info] of Object.entries(args.inputs)) {
    if (info) wrapped[name] = wrap(args.backend, info as TensorInfo);
  }
  try {
    const out = tf.tidy(() => compute(wrapped));
    (args.backend as RefCountingBackend).incRef(out.dataId);
    const result: TensorInfo = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
    out.dispose();
    return result;
  } finally {
    for (const tensor of Object.values(wrapped)) tensor.dispose();
  }
}

/** Tile that only repeats size-1 axes is a broadcast: add zeros of the output shape (the stock kernel dominates BatchNorm gradients). */
function tile(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const reps = (args.attrs as unknown as { reps: number[] }).reps;
    const x = args.inputs['x'] as TensorInfo;
    const broadcastable = x.dtype === 'float32' && x.shape.every((size, i) => size === 1 || reps[i] === 1) && x.shape.length <= 4;
    if (!broadcastable) return stock(args);
    return runWrapped(args, ({ x: t }) => tf.add(t!, tf.zeros(t!.shape.map((size, i) => size * reps[i]!))));
  };
}

/** Our SIMD kernel where it covers the attributes (NHWC, no dilation), else the stock one. */
function coveredOr(stock: tf.KernelFunc, simd: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => (simdCovers(args.attrs as never) ? simd(args) : stock(args));
}

/** FusedConv2D with a rank-1 bias (or none) and a linear or ReLU activation; others go to the stock kernel. */
function fusedConv2d(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const attrs = args.attrs as unknown as { activation: string };
    const bias = args.inputs['bias'] as TensorInfo | undefined;
    const filter = args.inputs['filter'] as TensorInfo;
    const biasFits = !bias || (bias.shape.length === 1 && bias.shape[0] === filter.shape[3]);
    if (!simdCovers(args.attrs as never) || !biasFits || (attrs.activation !== 'linear' && attrs.activation !== 'relu')) return stock(args);
    return conv2dForward(args, { bias, relu: attrs.activation === 'relu' });
  };
}

/** Sum or Mean over all leading axes by our kernel, other reductions by the stock one. */
function reduction(stock: tf.KernelFunc, mean: boolean): tf.KernelFunc {
  return (args: KernelArgs) => reduceLeadingAxes(args, mean) ?? stock(args);
}

/** Cast to the same dtype shares the buffer; a real conversion runs the stock kernel. */
function cast(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => ((args.attrs as unknown as { dtype: string }).dtype === (args.inputs['x'] as TensorInfo).dtype ? shareInput(args) : stock(args));
}

export const REPLACED_KERNELS = [
  'Conv2D',
  'FusedConv2D',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'BatchMatMul',
  '_FusedMatMul',
  'FusedBatchNorm',
  'MaxPoolGrad',
  'Tile',
  'Sum',
  'Mean',
  'Cast',
  'Identity',
] as const;

const installedBackends = new Set<string>();
let gradientsInstalled = false;

type ConvKernelAttrs = { strides: number | [number, number]; pad: 'same' | 'valid'; activation: 'relu' | 'linear' };

/**
 * The gradients of our own kernels, and a one-kernel ReLU gradient on a backend with our kernels
 * (tfjs's own ReLU gradient everywhere else, so the cpu and tensorflow backends compute exactly what
 * they always did). Gradients are lazy per input: the tape asks only for the inputs it needs, so the
 * first convolution never computes a gradient for the images.
 */
function installGradients(): void {
  if (gradientsInstalled) return;
  const relu = tf.getGradient('Relu');
  if (!relu) throw new Error('tfjs has no gradient for Relu to replace');
  tf.registerGradient({
    ...relu,
    gradFunc: (dy, saved, attrs) => {
      if (!installedBackends.has(tf.getBackend())) return relu.gradFunc(dy, saved, attrs);
      const x = saved[0]!;
      return { x: () => tf.engine().runKernel(SIMD_KERNELS.reluGrad, { dy: dy as tf.Tensor, x }, {}) as tf.Tensor };
    },
  });
  tf.registerGradient({
    kernelName: SIMD_KERNELS.conv2d,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, activation } = attrs as unknown as ConvKernelAttrs;
      // The gradient through the ReLU and the bias gradient, in one pass shared by all three inputs.
      const [g, biasGrad] =
        activation === 'relu'
          ? (tf.engine().runKernel(SIMD_KERNELS.reluBiasGrad, { dy: dy as tf.Tensor, y }, {}) as tf.Tensor[])
          : [dy as tf.Tensor, undefined];
      const conv = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      return {
        x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: g!, filter }, { ...conv, inputShape: x.shape } as never) as tf.Tensor,
        filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: g! }, { ...conv, filterShape: filter.shape } as never) as tf.Tensor,
        bias: () => biasGrad ?? tf.sum(g!, [0, 1, 2]),
      };
    },
  });
  tf.registerGradient({
    kernelName: SIMD_KERNELS.batchNormTrain,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [x, scale, mean, variance] = saved as tf.Tensor[];
      const dy = (dys as tf.Tensor[])[0]!;
      const [dx, dscale, doffset] = tf
        .engine()
        .runKernel(SIMD_KERNELS.batchNormTrainGrad, { dy, x: x!, mean: mean!, variance: variance!, scale: scale! }, attrs as never) as tf.Tensor[];
      return { x: () => dx!, scale: () => dscale!, offset: () => doffset! };
    },
  });
  gradientsInstalled = true;
}

/**
 * Registers the replacement kernels for `backendName` (the wasm backend: our SIMD kernels live in
 * its memory). Idempotent.
 */
export function registerWasmTrainingKernels(backendName = 'wasm'): void {
  if (installedBackends.has(backendName)) return;
  const stock = (name: string): tf.KernelFunc => {
    const kernel = tf.getKernel(name, backendName);
    if (!kernel) throw new Error(`the ${backendName} backend has no ${name} kernel to wrap`);
    return kernel.kernelFunc;
  };
  const replacements: Record<(typeof REPLACED_KERNELS)[number], tf.KernelFunc> = {
    Conv2D: coveredOr(stock('Conv2D'), (args) => conv2dForward(args, { relu: false })),
    FusedConv2D: fusedConv2d(stock('FusedConv2D')),
    Conv2DBackpropFilter: conv2dBackpropFilter,
    Conv2DBackpropInput: conv2dBackpropInput,
    BatchMatMul: batchMatMul(stock('BatchMatMul')),
    _FusedMatMul: fusedMatMul(stock('_FusedMatMul')),
    FusedBatchNorm: fusedBatchNorm(stock('FusedBatchNorm')),
    MaxPoolGrad: maxPoolGrad,
    Tile: tile(stock('Tile')),
    Sum: reduction(stock('Sum'), false),
    Mean: reduction(stock('Mean'), true),
    Cast: cast(stock('Cast')),
    Identity: shareInput,
  };
  for (const [kernelName, kernelFunc] of Object.entries(replacements)) {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ kernelName, backendName, kernelFunc });
  }
  const own: Record<string, tf.KernelFunc> = {
    [SIMD_KERNELS.conv2d]: (args) =>
      conv2dForward(args, { bias: args.inputs['bias'] as TensorInfo | undefined, relu: (args.attrs as { activation?: string })['activation'] === 'relu' }),
    [SIMD_KERNELS.batchNormTrain]: batchNormTrain as never,
    [SIMD_KERNELS.batchNormTrainGrad]: batchNormTrainGrad as never,
    [SIMD_KERNELS.reluBiasGrad]: reluBiasGrad as never,
    [SIMD_KERNELS.reluGrad]: reluGrad,
    [SIMD_KERNELS.adam]: adamStep as never,
  };
  for (const [kernelName, kernelFunc] of Object.entries(own)) {
    if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc });
  }
  installedBackends.add(backendName);
  installGradients();
}
