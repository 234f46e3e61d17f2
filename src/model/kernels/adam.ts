import * as tf from '@tensorflow/tfjs';
import { type KernelArgs, SimdKernels } from './module.js';

/**
 * One Adam step of one variable: [value', m', v'] from value, grad, m, v and the bias corrections
 * c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ (scalar tensors), with the float32 rounding of tfjs's own chain of ops.
 */
export function adamStep(args: KernelArgs): tf.TensorInfo[] {
  const { value, grad, m, v, c1, c2 } = args.inputs as Record<string, tf.TensorInfo>;
  const { beta1, beta2, epsilon, learningRate } = args.attrs as unknown as { beta1: number; beta2: number; epsilon: number; learningRate: number };
  const k = SimdKernels.for(args.backend);
  const [valueOut, mOut, vOut] = [k.output(value!.shape), k.output(value!.shape), k.output(value!.shape)];
  // tfjs turns each number into a float32 scalar tensor before it multiplies: the same numbers here.
  k.exports.adam(
    k.pointer(value!),
    k.pointer(grad!),
    k.pointer(m!),
    k.pointer(v!),
    k.pointer(c1!),
    k.pointer(c2!),
    valueOut.pointer,
    mOut.pointer,
    vOut.pointer,
    tf.util.sizeFromShape(value!.shape),
    beta1,
    1 - beta1,
    beta2,
    1 - beta2,
    epsilon,
    -learningRate,
  );
  return [valueOut.info, mOut.info, vOut.info];
}
