import * as tf from '@tensorflow/tfjs';
import { SIMD_KERNELS } from './kernels/names.js';

/**
 * tfjs-layers' Conv2D and BatchNormalization with a faster training path on a backend that has our
 * fused kernels (wasm, src/model/wasm-kernels.ts): one kernel for convolution + bias + ReLU and one
 * for batch normalisation with its statistics, each with a gradient that needs one or two passes
 * over the activations where tfjs's chain of ops needs ten or more. Everywhere else, and for any
 * configuration the kernels do not cover, they are tfjs's layers unchanged. They serialise under
 * tfjs's own class names and configs, so saved models are exactly what tfjs's layers save and load
 * back as tfjs's layers.
 */

type LayerConstructor<A> = new (args: A) => tf.layers.Layer;

/** A tfjs-layers class by its registered name (the classes themselves are not exported). */
function tfjsLayerClass<A>(name: string): LayerConstructor<A> {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[name];
  if (!entry) throw new Error(`@tensorflow/tfjs-layers registers no ${name} layer`);
  return entry[0] as unknown as LayerConstructor<A>;
}

const available = (kernel: string) => tf.getKernel(kernel, tf.getBackend()) !== undefined;

type ConvArgs = Parameters<typeof tf.layers.conv2d>[0];
type BatchNormArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;
type Kwargs = Record<string, unknown>;

/** What the fused path reads of tfjs-layers' Conv2D (private in its typings). */
interface ConvState {
  rank: number;
  filters: number;
  dataFormat: string;
  strides: number[];
  padding: 'same' | 'valid';
  dilationRate: number[];
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  activation: { getClassName(): string } | null;
}

class FusedConv2D extends tfjsLayerClass<ConvArgs>('Conv2D') {
  static readonly className = 'Conv2D';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const state = this as unknown as ConvState;
    // tfjs-layers names its activations in lower case ('relu', 'linear').
    const activation = state.activation?.getClassName() ?? 'linear';
    const fits =
      available(SIMD_KERNELS.conv2d) &&
      state.rank === 2 &&
      state.dataFormat === 'channelsLast' &&
      state.filters % 4 === 0 &&
      state.dilationRate.every((d) => d === 1) &&
      (activation === 'relu' || activation === 'linear');
    if (!fits) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const tensors: tf.NamedTensorMap = { x, filter: state.kernel.read() };
      if (state.bias) tensors['bias'] = state.bias.read();
      const attrs = { strides: state.strides, pad: state.padding, activation };
      return tf.engine().runKernel(SIMD_KERNELS.conv2d, tensors, attrs as never) as tf.Tensor;
    });
  }
}

/** What the fused path reads of tfjs-layers' BatchNormalization (private in its typings). */
interface BatchNormState {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: { read(): tf.Tensor };
  beta: { read(): tf.Tensor };
  movingMean: { read(): tf.Tensor; write(value: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(value: tf.Tensor): void };
}

class FusedBatchNormalization extends tfjsLayerClass<BatchNormArgs>('BatchNormalization') {
  static readonly className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const state = this as unknown as BatchNormState;
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const channels = x.shape[x.rank - 1]!;
    const lastAxis = state.axis === -1 || state.axis === x.rank - 1;
    const fits = kwargs['training'] === true && available(SIMD_KERNELS.batchNormTrain) && lastAxis && state.center && state.scale && channels % 4 === 0;
    if (!fits) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = tf.engine().runKernel(SIMD_KERNELS.batchNormTrain, { x, scale: state.gamma.read(), offset: state.beta.read() }, {
        epsilon: state.epsilon,
      } as never) as tf.Tensor[];
      // The moving statistics as tfjs-layers updates them: v − (v − batch value)·(1 − momentum).
      for (const [variable, value] of [
        [state.movingMean, mean!],
        [state.movingVariance, variance!],
      ] as const) {
        tf.tidy(() => {
          const current = variable.read();
          variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - state.momentum)));
        });
      }
      return y!;
    });
  }
}

/** tf.layers.conv2d with the fused training path. */
export function conv2d(args: ConvArgs): tf.layers.Layer {
  return new FusedConv2D(args);
}

/** tf.layers.batchNormalization with the fused training path. */
export function batchNormalization(args: BatchNormArgs): tf.layers.Layer {
  return new FusedBatchNormalization(args);
}
