import * as tf from '@tensorflow/tfjs';
import { SIMD_KERNELS } from './kernels/names.js';

/** What the fused step reads and writes of tfjs's AdamOptimizer (private in its typings). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

/**
 * tfjs's Adam whose update of each variable is one kernel on a backend that has it (wasm with our
 * kernels): the same arithmetic in the same float32 order, so the same bits as tfjs's own chain of
 * ten ops per variable; elsewhere it is tfjs's AdamOptimizer unchanged.
 */
class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    if (tf.getKernel(SIMD_KERNELS.adam, tf.getBackend()) === undefined) return super.applyGradients(variableGradients as never);
    const state = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    tf.tidy(() => {
      const c1 = tf.sub(1, state.accBeta1);
      const c2 = tf.sub(1, state.accBeta2);
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        state.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        state.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const grad = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (grad == null) return;
        const m = state.accumulatedFirstMoment[i]!.variable;
        const v = state.accumulatedSecondMoment[i]!.variable;
        const attrs = { beta1: state.beta1, beta2: state.beta2, epsilon: state.epsilon, learningRate: state.learningRate };
        const [newValue, newM, newV] = tf.engine().runKernel(SIMD_KERNELS.adam, { value, grad, m, v, c1, c2 }, attrs as never) as tf.Tensor[];
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, state.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, state.beta2));
    });
    state.incrementIterations();
  }
}

/** tf.train.adam(learningRate) with the fused update. */
export function adam(learningRate: number): tf.Optimizer {
  return new FusedAdam(learningRate, 0.9, 0.999);
}
