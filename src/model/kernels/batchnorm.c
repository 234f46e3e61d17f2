// Batch normalisation over every axis but the channels (NHWC, float32), forward and backward, and
// the fused ReLU-and-bias gradient of a convolution. Same memory rules as conv.c. Tensors are
// [rows][cols] here: rows = N·H·W pixels, cols = channels. Per-channel sums run over blocks of 256
// rows whose partial sums are then added, in one fixed order (as sum_rows in elementwise.c).

#include "kernels.h"

// Rows are visited in blocks of this many; each column's block sum is added to its total.
#define BLOCK 256

// Adds each column's sum of the rows [r0, r1) of x (or of (x − center)² when center is given) to
// out: block by block, every column of a block while the block is in cache.
static void add_block_sums(const f32 *x, const f32 *center, f32 *out, int r0, int r1, int cols) {
  for (int j = 0; j < cols; j += 4) {
    v128_t a = wasm_f32x4_splat(0);
    if (center) {
      const v128_t m = wasm_v128_load(center + j);
      for (int r = r0; r < r1; r++) {
        const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + (long)r * cols + j), m);
        a = madd(a, d, d);
      }
    } else {
      for (int r = r0; r < r1; r++) a = wasm_f32x4_add(a, wasm_v128_load(x + (long)r * cols + j));
    }
    wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), a));
  }
}

// mean[j] = Σ x[r][j] / rows; var[j] = Σ (x[r][j] − mean[j])² / rows: the batch statistics, in two
// passes as tfjs's moments computes them (the one-pass E[x²] − mean² loses precision). cols % 4 == 0.
EXPORT("bn_stats")
void bn_stats(const f32 *x, f32 *mean, f32 *var, int rows, int cols) {
  for (int j = 0; j < cols; j += 4) wasm_v128_store(mean + j, wasm_f32x4_splat(0)), wasm_v128_store(var + j, wasm_f32x4_splat(0));
  for (int r0 = 0; r0 < rows; r0 += BLOCK) add_block_sums(x, 0, mean, r0, r0 + BLOCK < rows ? r0 + BLOCK : rows, cols);
  const v128_t n = wasm_f32x4_splat((f32)rows);
  for (int j = 0; j < cols; j += 4) wasm_v128_store(mean + j, wasm_f32x4_div(wasm_v128_load(mean + j), n));
  for (int r0 = 0; r0 < rows; r0 += BLOCK) add_block_sums(x, mean, var, r0, r0 + BLOCK < rows ? r0 + BLOCK : rows, cols);
  for (int j = 0; j < cols; j += 4) wasm_v128_store(var + j, wasm_f32x4_div(wasm_v128_load(var + j), n));
}

// y = (x − mean)·scale/√(var + eps) + offset, per channel (scale, offset: 0 for none). cols % 4 == 0.
EXPORT("bn_apply")
void bn_apply(const f32 *x, const f32 *mean, const f32 *var, const f32 *scale, const f32 *offset, f32 *y, int rows, int cols, f32 eps, f32 *coef) {
  // coef[j] = scale/√(var + eps), coef[cols + j] = offset − mean·coef[j]: then y = x·a + b.
  for (int j = 0; j < cols; j++) {
    const f32 a = (scale ? scale[j] : 1) / __builtin_sqrtf(var[j] + eps);
    coef[j] = a;
    coef[cols + j] = (offset ? offset[j] : 0) - mean[j] * a;
  }
  for (int r = 0; r < rows; r++) {
    const f32 *xr = x + (long)r * cols;
    f32 *yr = y + (long)r * cols;
    for (int j = 0; j < cols; j += 4) wasm_v128_store(yr + j, madd(wasm_v128_load(coef + cols + j), wasm_v128_load(xr + j), wasm_v128_load(coef + j)));
  }
}

// The gradient of y = (x − mean)·γ/√(var + eps) + β with mean and var the batch statistics of x:
//   s1 = Σ dy, s2 = Σ dy·(x − mean), r = 1/√(var + eps), n = rows,
//   dx = γ·r·(dy − s1/n − (x − mean)·r²·s2/n),  dγ = s2·r,  dβ = s1.
// dx as dy·a + x·b + c per channel; sums in one pass over dy and x, dx in a second.
EXPORT("bn_grad")
void bn_grad(const f32 *dy, const f32 *x, const f32 *mean, const f32 *var, const f32 *gamma, f32 *dx, f32 *dgamma, f32 *dbeta, int rows, int cols,
             f32 eps, f32 *coef) {
  for (int j = 0; j < cols; j += 4) wasm_v128_store(dbeta + j, wasm_f32x4_splat(0)), wasm_v128_store(dgamma + j, wasm_f32x4_splat(0));
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    const int r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
    for (int j = 0; j < cols; j += 4) {
      const v128_t m = wasm_v128_load(mean + j);
      v128_t a1 = wasm_f32x4_splat(0), a2 = a1;
      for (int r = r0; r < r1; r++) {
        const v128_t g = wasm_v128_load(dy + (long)r * cols + j);
        a1 = wasm_f32x4_add(a1, g);
        a2 = madd(a2, g, wasm_f32x4_sub(wasm_v128_load(x + (long)r * cols + j), m));
      }
      // dgamma holds s2 until the coefficients below.
      wasm_v128_store(dbeta + j, wasm_f32x4_add(wasm_v128_load(dbeta + j), a1));
      wasm_v128_store(dgamma + j, wasm_f32x4_add(wasm_v128_load(dgamma + j), a2));
    }
  }
  const f32 n = (f32)rows;
  for (int j = 0; j < cols; j++) {
    const f32 r = 1 / __builtin_sqrtf(var[j] + eps);
    const f32 s1 = dbeta[j], s2 = dgamma[j];
    const f32 a = gamma[j] * r;
    const f32 b = -a * r * r * s2 / n;
    coef[j] = a;
    coef[cols + j] = b;
    coef[2 * cols + j] = -a * s1 / n - b * mean[j];
    dgamma[j] = s2 * r;
  }
  for (int r = 0; r < rows; r++) {
    const f32 *gr = dy + (long)r * cols, *xr = x + (long)r * cols;
    f32 *out = dx + (long)r * cols;
    for (int j = 0; j < cols; j += 4) {
      const v128_t v = madd(madd(wasm_v128_load(coef + 2 * cols + j), wasm_v128_load(gr + j), wasm_v128_load(coef + j)), wasm_v128_load(xr + j),
                            wasm_v128_load(coef + cols + j));
      wasm_v128_store(out + j, v);
    }
  }
}

// g = y > 0 ? dy : 0 (the gradient through a ReLU, from its output) and bias[j] = Σ g[r][j]: the
// gradient of a convolution's fused bias and ReLU in one pass. cols % 4 == 0.
EXPORT("relu_bias_grad")
void relu_bias_grad(const f32 *dy, const f32 *y, f32 *g, f32 *bias, int rows, int cols) {
  const v128_t zero = wasm_f32x4_splat(0);
  for (int j = 0; j < cols; j += 4) wasm_v128_store(bias + j, zero);
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    const int r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
    for (int j = 0; j < cols; j += 4) {
      v128_t a = zero;
      for (int r = r0; r < r1; r++) {
        const long i = (long)r * cols + j;
        const v128_t v = wasm_v128_and(wasm_v128_load(dy + i), wasm_f32x4_gt(wasm_v128_load(y + i), zero));
        wasm_v128_store(g + i, v);
        a = wasm_f32x4_add(a, v);
      }
      wasm_v128_store(bias + j, wasm_f32x4_add(wasm_v128_load(bias + j), a));
    }
  }
}
