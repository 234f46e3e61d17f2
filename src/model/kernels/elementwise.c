// Reductions and element-wise gradients (float32). Same memory rules as conv.c.
#include "kernels.h"

// out[j] = (sum over r of x[r][j]) / divisor, for x [rows][cols]: the bias gradient and the batch
// mean of an NHWC tensor (all axes but the channels). Rows go in blocks of 256 (each block's columns
// summed while it is in cache); the block sums are added in order, fewer rounding steps than one
// long running sum.
EXPORT("sum_rows")
void sum_rows(const f32 *x, f32 *out, int rows, int cols, f32 divisor) {
  const int cv = cols & ~3;
  for (int j = 0; j < cols; j++) out[j] = 0;
  for (int r0 = 0; r0 < rows; r0 += 256) {
    const int r1 = r0 + 256 < rows ? r0 + 256 : rows;
    for (int j = 0; j < cv; j += 4) {
      v128_t a = wasm_f32x4_splat(0);
      for (int r = r0; r < r1; r++) a = wasm_f32x4_add(a, wasm_v128_load(x + (long)r * cols + j));
      wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), a));
    }
    for (int j = cv; j < cols; j++) {
      f32 a = 0;
      for (int r = r0; r < r1; r++) a += x[(long)r * cols + j];
      out[j] += a;
    }
  }
  for (int j = 0; j < cols; j++) out[j] /= divisor;
}

// dx = x > 0 ? dy : 0, the gradient of ReLU.
EXPORT("relu_grad")
void relu_grad(const f32 *dy, const f32 *x, f32 *dx, int size) {
  const int sv = size & ~3;
  const v128_t zero = wasm_f32x4_splat(0);
  for (int i = 0; i < sv; i += 4) {
    const v128_t positive = wasm_f32x4_gt(wasm_v128_load(x + i), zero);
    wasm_v128_store(dx + i, wasm_v128_and(wasm_v128_load(dy + i), positive));
  }
  for (int i = sv; i < size; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}
