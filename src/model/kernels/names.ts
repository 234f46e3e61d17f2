/**
 * Kernels of our own, registered only on the wasm backend with our SIMD module. The fused layers
 * and the fused Adam use them when the current backend has them, and tfjs's own ops otherwise.
 */
export const SIMD_KERNELS = {
  /** Convolution with bias and linear or ReLU activation, whose gradient skips what no input needs. */
  conv2d: 'SimdConv2D',
  /** Batch normalisation with the batch's own statistics: [y, mean, variance]. */
  batchNormTrain: 'SimdBatchNormTrain',
  batchNormTrainGrad: 'SimdBatchNormTrainGrad',
  reluBiasGrad: 'SimdReluBiasGrad',
  reluGrad: 'SimdReluGrad',
  adam: 'SimdAdam',
} as const;
