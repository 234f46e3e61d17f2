import * as tf from '@tensorflow/tfjs';
import { type KernelArgs, SimdKernels } from './module.js';

/** Channels of x (its last axis), when every per-channel input is a vector of them and they come in fours. */
function channelsOf(x: tf.TensorInfo, perChannel: (tf.TensorInfo | undefined)[]): number | undefined {
  const c = x.shape[x.shape.length - 1]!;
  const fits = x.dtype === 'float32' && c % 4 === 0 && perChannel.every((t) => !t || (t.shape.length === 1 && t.shape[0] === c));
  return fits ? c : undefined;
}

/** FusedBatchNorm (normalisation with given statistics: inference) in one pass; other layouts run the stock kernel. */
export function fusedBatchNorm(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const c = channelsOf(x!, [mean, variance, offset, scale]);
    if (c === undefined) return stock(args);
    const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
    const k = SimdKernels.for(args.backend);
    const out = k.output(x!.shape);
    const p = (t: tf.TensorInfo | undefined) => (t ? k.pointer(t) : 0);
    k.withScratch(2 * c, (coef) =>
      k.exports.bn_apply(k.pointer(x!), p(mean), p(variance), p(scale), p(offset), out.pointer, tf.util.sizeFromShape(x!.shape) / c, c, varianceEpsilon, coef),
    );
    return out.info;
  };
}

/**
 * Batch normalisation in training: [y, mean, variance] from x, scale and offset, normalising over
 * every axis but the last with the batch's own statistics. Registered under our own kernel name;
 * its gradient (below) accounts for the statistics' dependence on x.
 */
export function batchNormTrain(args: KernelArgs): tf.TensorInfo[] {
  const { x, scale, offset } = args.inputs as Record<string, tf.TensorInfo>;
  const c = channelsOf(x!, [scale, offset]);
  if (c === undefined)
    throw new Error(
      `batch normalisation on wasm needs float32 input with a multiple of 4 channels and rank-1 scale and offset, got ${JSON.stringify(x!.shape)}`,
    );
  const { epsilon } = args.attrs as unknown as { epsilon: number };
  const k = SimdKernels.for(args.backend);
  const rows = tf.util.sizeFromShape(x!.shape) / c;
  const [y, mean, variance] = [k.output(x!.shape), k.output([c]), k.output([c])];
  k.exports.bn_stats(k.pointer(x!), mean.pointer, variance.pointer, rows, c);
  k.withScratch(2 * c, (coef) =>
    k.exports.bn_apply(k.pointer(x!), mean.pointer, variance.pointer, k.pointer(scale!), k.pointer(offset!), y.pointer, rows, c, epsilon, coef),
  );
  return [y.info, mean.info, variance.info];
}

/** The gradient of batchNormTrain: [dx, dscale, doffset] from dy, x, the batch statistics and scale. */
export function batchNormTrainGrad(args: KernelArgs): tf.TensorInfo[] {
  const { dy, x, mean, variance, scale } = args.inputs as Record<string, tf.TensorInfo>;
  const c = x!.shape[x!.shape.length - 1]!;
  const { epsilon } = args.attrs as unknown as { epsilon: number };
  const k = SimdKernels.for(args.backend);
  const [dx, dscale, doffset] = [k.output(x!.shape), k.output([c]), k.output([c])];
  k.withScratch(3 * c, (coef) =>
    k.exports.bn_grad(
      k.pointer(dy!),
      k.pointer(x!),
      k.pointer(mean!),
      k.pointer(variance!),
      k.pointer(scale!),
      dx.pointer,
      dscale.pointer,
      doffset.pointer,
      tf.util.sizeFromShape(x!.shape) / c,
      c,
      epsilon,
      coef,
    ),
  );
  return [dx.info, dscale.info, doffset.info];
}

/** [g, db]: the gradient through a ReLU from its output y (g = y > 0 ? dy : 0) and its sum over all leading axes. */
export function reluBiasGrad(args: KernelArgs): tf.TensorInfo[] {
  const { dy, y } = args.inputs as Record<string, tf.TensorInfo>;
  const c = y!.shape[y!.shape.length - 1]!;
  const k = SimdKernels.for(args.backend);
  const [g, db] = [k.output(y!.shape), k.output([c])];
  k.exports.relu_bias_grad(k.pointer(dy!), k.pointer(y!), g.pointer, db.pointer, tf.util.sizeFromShape(y!.shape) / c, c);
  return [g.info, db.info];
}
