import * as tf from '@tensorflow/tfjs';
import { type KernelArgs, SimdKernels } from './module.js';

/**
 * Sum or Mean over every axis but the last (a bias gradient, a batch mean over N, H, W), or
 * undefined when the reduction is another one (the stock kernel then runs).
 */
export function reduceLeadingAxes(args: KernelArgs, mean: boolean): tf.TensorInfo | undefined {
  const x = args.inputs['x'] as tf.TensorInfo;
  const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const rank = x.shape.length;
  if (x.dtype !== 'float32' || rank < 2) return undefined;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  if (axes.length !== rank - 1 || axes.some((a, i) => a !== i)) return undefined;
  const cols = x.shape[rank - 1]!;
  const rows = tf.util.sizeFromShape(x.shape) / cols;
  const k = SimdKernels.for(args.backend);
  const out = k.output(keepDims ? [...x.shape.slice(0, -1).map(() => 1), cols] : [cols]);
  k.exports.sum_rows(k.pointer(x), out.pointer, rows, cols, mean ? rows : 1);
  return out.info;
}

/** MaxPoolGrad: each window's gradient to its first maximum (the stock kernel misroutes negative maxima). */
export function maxPoolGrad(args: KernelArgs): tf.TensorInfo {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const k = SimdKernels.for(args.backend);
  const out = k.output(input.shape);
  const [n, h, w, c] = input.shape as [number, number, number, number];
  k.exports.max_pool_grad(
    k.pointer(input),
    k.pointer(dy),
    out.pointer,
    n,
    h,
    w,
    c,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  );
  return out.info;
}

/** dx = x > 0 ? dy : 0: the gradient of ReLU in one pass (tfjs composes it of Step, Cast and Multiply). */
export function reluGrad(args: KernelArgs): tf.TensorInfo {
  const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const k = SimdKernels.for(args.backend);
  const out = k.output(x.shape);
  k.exports.relu_grad(k.pointer(dy), k.pointer(x), out.pointer, tf.util.sizeFromShape(x.shape));
  return out.info;
}

/**
 * Identity, and Cast to the same dtype, share the input's buffer (as the cpu backend does) instead
 * of copying it: tensors are immutable, and tfjs clones every tensor it saves for the backward pass.
 */
export function shareInput(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs['x'] as tf.TensorInfo;
  (args.backend as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
