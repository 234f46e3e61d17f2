import * as tf from '@tensorflow/tfjs';
import { type KernelArgs, roundUp8, SimdKernels } from './module.js';

/**
 * The product of a and b (batched, either transposed) by the SIMD gemm, with an optional rank-1
 * bias and ReLU; undefined when the operands are not float32 or their batch shapes neither match
 * nor broadcast from 1 (the stock kernel then runs).
 */
function product(args: KernelArgs, epilogue: { bias?: tf.TensorInfo; relu: boolean }): tf.TensorInfo | undefined {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const [ra, ca] = a.shape.slice(-2) as [number, number];
  const [rb, cb] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [ca, ra] : [ra, ca];
  const [k2, n] = transposeB ? [cb, rb] : [rb, cb];
  if (k !== k2) return undefined;
  const batchShapeA = a.shape.slice(0, -2);
  const batchShapeB = b.shape.slice(0, -2);
  const [batchA, batchB] = [tf.util.sizeFromShape(batchShapeA), tf.util.sizeFromShape(batchShapeB)];
  if (!tf.util.arraysEqual(batchShapeA, batchShapeB) && batchA !== 1 && batchB !== 1) return undefined;
  const batchShape = tf.backend_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
  const { bias, relu } = epilogue;
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== n)) return undefined;
  const kernels = SimdKernels.for(args.backend);
  const out = kernels.output([...batchShape, m, n]);
  const run = (biasPointer: number) =>
    kernels.withScratch(kernels.exports.gemm_scratch(m, k, n), (scratch) =>
      kernels.exports.gemm(
        kernels.pointer(a),
        kernels.pointer(b),
        biasPointer,
        out.pointer,
        scratch,
        Math.max(batchA, batchB),
        batchA,
        batchB,
        m,
        k,
        n,
        transposeA ? 1 : 0,
        transposeB ? 1 : 0,
        relu ? 1 : 0,
      ),
    );
  if (!bias) run(0);
  else if (n % 8 === 0) run(kernels.pointer(bias));
  else kernels.withScratch(roundUp8(n), (padded) => (kernels.exports.pad_columns(kernels.pointer(bias), padded, 1, n), run(padded)));
  return out.info;
}

/** BatchMatMul by the SIMD gemm, which packs transposed operands itself (stock wasm is 3–17× slower on them). */
export function batchMatMul(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => product(args, { relu: false }) ?? (stock(args) as tf.TensorInfo);
}

/** _FusedMatMul with a rank-1 bias (or none) and a linear or ReLU activation; others run the stock kernel. */
export function fusedMatMul(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { activation } = args.attrs as unknown as { activation: string };
    if ((activation !== 'linear' && activation !== 'relu') || args.inputs['preluActivationWeights']) return stock(args);
    return product(args, { bias: args.inputs['bias'] as tf.TensorInfo | undefined, relu: activation === 'relu' }) ?? (stock(args) as tf.TensorInfo);
  };
}
