// Reductions and element-wise gradients (float32). Same memory rules as conv.c.
#include "kernels.h"

// out[j] = (sum over r of x[r][j]) / divisor, for x [rows][cols]: the bias gradient and the batch mean
// of an NHWC tensor (all axes but the channels). Rows are summed in blocks of 256 whose partial
// sums are then added, in one fixed order: fewer rounding steps than one long running sum.
EXPORT("sum_rows")
void sum_rows(const f32 *x, f32 *out, int rows, int cols, f32 divisor) {
  const int cv = cols & ~7;
  for (int j = 0; j < cv; j += 8) {
    v128_t t0 = wasm_f32x4_splat(0), t1 = t0;
    for (int r0 = 0; r0 < rows; r0 += 256) {
      const int r1 = r0 + 256 < rows ? r0 + 256 : rows;
      v128_t a0 = wasm_f32x4_splat(0), a1 = a0;
      for (int r = r0; r < r1; r++) {
        a0 = wasm_f32x4_add(a0, wasm_v128_load(x + (long)r * cols + j));
        a1 = wasm_f32x4_add(a1, wasm_v128_load(x + (long)r * cols + j + 4));
      }
      t0 = wasm_f32x4_add(t0, a0);
      t1 = wasm_f32x4_add(t1, a1);
    }
    const v128_t d = wasm_f32x4_splat(divisor);
    wasm_v128_store(out + j, wasm_f32x4_div(t0, d));
    wasm_v128_store(out + j + 4, wasm_f32x4_div(t1, d));
  }
  for (int j = cv; j < cols; j++) {
    f32 t = 0;
    for (int r0 = 0; r0 < rows; r0 += 256) {
      const int r1 = r0 + 256 < rows ? r0 + 256 : rows;
      f32 a = 0;
      for (int r = r0; r < r1; r++) a += x[(long)r * cols + j];
      t += a;
    }
    out[j] = t / divisor;
  }
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
