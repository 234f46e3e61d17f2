import * as tf from '@tensorflow/tfjs';

/**
 * Training kernels for the wasm backend, registered over (or in place of) its own. Stock
 * tfjs-backend-wasm 4.22 cannot train a CNN (no Conv2DBackpropFilter) and several of its training
 * kernels are slow or wrong (docs/design-notes.md §2). Each replacement expresses the work with the backend's
 * fast forward kernels (XNNPACK convolutions, plain matmuls, broadcasts). No library ships these, so
 * they are written here, and each has a gradient check against the cpu backend in test/model/.
 */

type KernelArgs = Parameters<tf.KernelFunc>[0];
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

type PadAttr = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** Top/left padding and the output size of a conv or pool along one axis, as tfjs computes them. */
function axisPadding(pad: PadAttr, size: number, kernel: number, stride: number, axis: 0 | 1): { before: number; out: number } {
  if (pad === 'valid') return { before: 0, out: Math.ceil((size - kernel + 1) / stride) };
  if (pad === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + kernel - size, 0);
    return { before: Math.floor(total / 2), out };
  }
  if (typeof pad === 'number') return { before: pad, out: Math.floor((size - kernel + 2 * pad) / stride) + 1 };
  const [before, after] = pad[axis + 1]!;
  return { before, out: Math.floor((size - kernel + before + after) / stride) + 1 };
}

function pair(value: number | [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

/** Pads (positive) or crops (negative) `x` along axes 1 and 2 of an NHWC tensor. */
function padOrCrop4d(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const crop = [Math.max(-top, 0), Math.max(-bottom, 0), Math.max(-left, 0), Math.max(-right, 0)] as const;
  const cropped = crop.some((c) => c > 0) ? tf.slice(x, [0, crop[0], crop[2], 0], [-1, h - crop[0] - crop[1], w - crop[2] - crop[3], -1]) : x;
  const pads: [number, number][] = [
    [0, 0],
    [Math.max(top, 0), Math.max(bottom, 0)],
    [Math.max(left, 0), Math.max(right, 0)],
    [0, 0],
  ];
  return pads.some(([a, b]) => a > 0 || b > 0) ? tf.pad(cropped, pads) : cropped;
}

/**
 * [N,H,W,C] → [C,H,W,N]. The stock wasm transpose is ~20× slower for this permutation than for a
 * 2-D transpose or one that keeps the innermost axis, so do it as those two.
 */
function channelsBatchLast(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const flat = tf.transpose(tf.reshape(x, [n, h * w * c]));
  return tf.transpose(tf.reshape(flat, [h, w, c, n]), [2, 0, 1, 3]);
}

/**
 * dW of a 2-D convolution as one forward convolution: the batch becomes the reduction axis by
 * treating input channels as the batch ([cin,H,W,N]) and dy as the filter ([oh,ow,N,cout]), with
 * the forward stride becoming the dilation.
 */
function conv2dBackpropFilter(args: KernelArgs): TensorInfo {
  const attrs = args.attrs as unknown as { strides: number | [number, number]; pad: PadAttr; filterShape: [number, number, number, number]; dataFormat?: string };
  if (attrs.dataFormat && attrs.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on wasm: only NHWC is supported, got ${attrs.dataFormat}`);
  return runWrapped(args, ({ x, dy }) => {
    const x4 = x as tf.Tensor4D;
    const dy4 = dy as tf.Tensor4D;
    const [kh, kw] = attrs.filterShape;
    const [sh, sw] = pair(attrs.strides);
    const [, h, w] = x4.shape;
    const [, oh, ow] = dy4.shape;
    const rows = axisPadding(attrs.pad, h, kh, sh, 0);
    const cols = axisPadding(attrs.pad, w, kw, sw, 1);
    // Rows/cols of the padded input the conv touches: (out-1)*stride + kernel.
    const needH = (oh - 1) * sh + kh;
    const needW = (ow - 1) * sw + kw;
    const padded = padOrCrop4d(x4, rows.before, needH - h - rows.before, cols.before, needW - w - cols.before);
    const xT = channelsBatchLast(padded);
    const dyT = tf.transpose(dy4, [1, 2, 0, 3]);
    const full = tf.conv2d(xT, dyT as tf.Tensor4D, 1, 'valid', 'NHWC', [sh, sw]);
    const cut = full.shape[1] === kh && full.shape[2] === kw ? full : tf.slice(full, [0, 0, 0, 0], [-1, kh, kw, -1]);
    return tf.transpose(cut, [1, 2, 0, 3]);
  });
}

/** Inserts stride-1 zeros between rows and columns of dy, with rank-4 ops only (rank 6 is slow on wasm). */
function dilate4d(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  let y = dy;
  const [n, oh, ow, c] = y.shape;
  if (sw > 1) {
    y = tf.concat([y, tf.zeros([n, oh, ow, c * (sw - 1)])], 3).reshape([n, oh, ow * sw, c]);
    y = tf.slice(y, [0, 0, 0, 0], [-1, -1, (ow - 1) * sw + 1, -1]);
  }
  if (sh > 1) {
    const width = y.shape[2];
    y = tf.concat([y, tf.zeros([n, oh, width * (sh - 1), c])], 2).reshape([n, oh * sh, width, c]);
    y = tf.slice(y, [0, 0, 0, 0], [-1, (oh - 1) * sh + 1, -1, -1]);
  }
  return y;
}

/**
 * dX of a 2-D convolution as a forward convolution of dy (dilated by the stride and padded by
 * kernel-1-pad) with the spatially flipped filter, input and output channels swapped.
 */
function conv2dBackpropInput(args: KernelArgs): TensorInfo {
  const attrs = args.attrs as unknown as { strides: number | [number, number]; pad: PadAttr; inputShape: [number, number, number, number]; dataFormat?: string };
  if (attrs.dataFormat && attrs.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropInput on wasm: only NHWC is supported, got ${attrs.dataFormat}`);
  return runWrapped(args, ({ dy, filter }) => {
    const w4 = filter as tf.Tensor4D;
    const [kh, kw] = w4.shape;
    const [sh, sw] = pair(attrs.strides);
    const [, h, w] = attrs.inputShape;
    const rows = axisPadding(attrs.pad, h, kh, sh, 0);
    const cols = axisPadding(attrs.pad, w, kw, sw, 1);
    const dilated = dilate4d(dy as tf.Tensor4D, sh, sw);
    const top = kh - 1 - rows.before;
    const left = kw - 1 - cols.before;
    // Output row i reads dilated rows i+pt-kh+1 … i+pt: the padded height must be h+kh-1.
    const padded = padOrCrop4d(dilated, top, h + kh - 1 - top - dilated.shape[1], left, w + kw - 1 - left - dilated.shape[2]);
    const flipped = tf.transpose(tf.reverse(w4, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(padded, flipped, 1, 'valid');
  });
}

function swapLastAxes(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  perm.push(...perm.splice(-2).reverse());
  return tf.transpose(t, perm);
}

/** Wraps the stock BatchMatMul so transposed operands are transposed explicitly first (3–17× faster). */
function batchMatMul(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return stock(args);
    const a = wrap(args.backend, args.inputs['a'] as TensorInfo);
    const b = wrap(args.backend, args.inputs['b'] as TensorInfo);
    const aT = attrs.transposeA ? swapLastAxes(a) : a;
    const bT = attrs.transposeB ? swapLastAxes(b) : b;
    try {
      return stock({ ...args, inputs: { a: aT, b: bT }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const t of new Set([a, b, aT, bT])) t.dispose();
    }
  };
}

/**
 * MaxPoolGrad for non-overlapping 2×2/2 windows: route dy to every element equal to its window's
 * maximum. The stock kernel misroutes when a window's maximum is negative. Ties share the gradient;
 * they occur after ReLU (windows of zeros), whose own gradient is zero there. Other window shapes
 * use the stock kernel.
 */
function maxPoolGrad(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const attrs = args.attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: PadAttr };
    const [fh, fw] = pair(attrs.filterSize);
    const [sh, sw] = pair(attrs.strides);
    const input = args.inputs['input'] as TensorInfo;
    const [, h, w] = input.shape;
    const evenSame = attrs.pad === 'same' && h! % 2 === 0 && w! % 2 === 0;
    if (fh !== 2 || fw !== 2 || sh !== 2 || sw !== 2 || !(attrs.pad === 'valid' || evenSame)) return stock(args);
    return runWrapped(args, ({ dy, input: x, output: y }) => {
      const [, oh, ow] = (dy as tf.Tensor4D).shape;
      const coveredH = oh * 2;
      const coveredW = ow * 2;
      const x4 = x as tf.Tensor4D;
      const xc = coveredH === h && coveredW === w ? x4 : tf.slice(x4, [0, 0, 0, 0], [-1, coveredH, coveredW, -1]);
      const maxUp = tf.image.resizeNearestNeighbor(y as tf.Tensor4D, [coveredH, coveredW]);
      const dyUp = tf.image.resizeNearestNeighbor(dy as tf.Tensor4D, [coveredH, coveredW]);
      // x ≤ its window's max, so step(max − x) is 0 exactly at the max; stock Equal is ~10× slower than Step.
      const routed = tf.sub(dyUp, tf.mul(dyUp, tf.step(tf.sub(maxUp, xc)))) as tf.Tensor4D;
      return coveredH === h && coveredW === w ? routed : tf.pad(routed, [[0, 0], [0, h! - coveredH], [0, w! - coveredW], [0, 0]]);
    });
  };
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

export const REPLACED_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul', 'MaxPoolGrad', 'Tile'] as const;

const installedBackends = new Set<string>();

/**
 * Registers the replacement kernels for `backendName` (normally `wasm`; tests also install them on
 * `cpu` twins to compare). Idempotent.
 */
export function registerWasmTrainingKernels(backendName = 'wasm'): void {
  if (installedBackends.has(backendName)) return;
  const stock = (name: string): tf.KernelFunc => {
    const kernel = tf.getKernel(name, backendName);
    if (!kernel) throw new Error(`the ${backendName} backend has no ${name} kernel to wrap`);
    return kernel.kernelFunc;
  };
  const replacements: Record<(typeof REPLACED_KERNELS)[number], tf.KernelFunc> = {
    Conv2DBackpropFilter: conv2dBackpropFilter,
    Conv2DBackpropInput: conv2dBackpropInput,
    BatchMatMul: batchMatMul(stock('BatchMatMul')),
    MaxPoolGrad: maxPoolGrad(stock('MaxPoolGrad')),
    Tile: tile(stock('Tile')),
  };
  for (const [kernelName, kernelFunc] of Object.entries(replacements)) {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ kernelName, backendName, kernelFunc });
  }
  installedBackends.add(backendName);
}
