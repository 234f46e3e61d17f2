// Matrix products (float32) for dense layers: C = op(A)·op(B) (+ bias, ReLU), op = identity or
// transpose, batched. Same memory rules as conv.c. Both operands are first packed into scratch:
// op(A) as panels of 4 rows interleaved by k, so the 4 values of one k are adjacent; op(B) with its
// rows padded to a multiple of 8 columns. The product then runs blocks of 4 rows × 8 columns in
// registers, with no transposed (strided) access left.
#include "kernels.h"

// Floats of scratch gemm needs.
EXPORT("gemm_scratch")
int gemm_scratch(int m, int k, int n) { return round_up(m, 4) * k + k * round_up(n, 8) + 16; }

// One product: a [m][k] (or [k][m] when ta), b [k][n] (or [n][k] when tb), c [m][n].
static void gemm1(const f32 *a, const f32 *b, const f32 *bias, f32 *c, f32 *scratch, int m, int k, int n, int ta, int tb, int relu) {
  const int mp = round_up(m, 4), np = round_up(n, 8);
  f32 *pa = scratch, *pb = scratch + mp * k;
  // pa[i/4][kk][i%4] = op(A)[i][kk] (zero rows past m), reading a row by row.
  if (ta) {
    for (int kk = 0; kk < k; kk++)
      for (int i = 0; i < mp; i++) pa[(i & ~3) * k + kk * 4 + (i & 3)] = i < m ? a[(long)kk * m + i] : 0;
  } else {
    for (int i = 0; i < mp; i++)
      for (int kk = 0; kk < k; kk++) pa[(i & ~3) * k + kk * 4 + (i & 3)] = i < m ? a[(long)i * k + kk] : 0;
  }
  // pb[j/8][kk][j%8] = op(B)[kk][j] (zero columns past n): panels of 8 columns, each contiguous.
  if (tb) {
    for (int j = 0; j < np; j++)
      for (int kk = 0; kk < k; kk++) pb[(long)(j & ~7) * k + kk * 8 + (j & 7)] = j < n ? b[(long)j * k + kk] : 0;
  } else {
    for (int kk = 0; kk < k; kk++)
      for (int j = 0; j < np; j++) pb[(long)(j & ~7) * k + kk * 8 + (j & 7)] = j < n ? b[(long)kk * n + j] : 0;
  }
  const v128_t zero = wasm_f32x4_splat(0);
  // Column panel outer: its k×8 floats stay in cache while every row panel goes past.
  for (int j = 0; j < np; j += 8) {
    for (int i0 = 0; i0 < mp; i0 += 4) {
      struct block4x8 a = accumulate4x8(block_splat(zero, zero), pa + i0 * k, 1, 4, pb + (long)j * k, 8, k);
      if (bias) {
        // bias is padded to a multiple of 8 by the caller.
        const v128_t b0 = wasm_v128_load(bias + j), b1 = wasm_v128_load(bias + j + 4);
        a.a00 = wasm_f32x4_add(a.a00, b0), a.a01 = wasm_f32x4_add(a.a01, b1), a.a10 = wasm_f32x4_add(a.a10, b0), a.a11 = wasm_f32x4_add(a.a11, b1);
        a.a20 = wasm_f32x4_add(a.a20, b0), a.a21 = wasm_f32x4_add(a.a21, b1), a.a30 = wasm_f32x4_add(a.a30, b0), a.a31 = wasm_f32x4_add(a.a31, b1);
      }
      if (relu) a = block_relu(a);
      block_store(c + (long)i0 * n + j, n, a, m - i0, n - j < 8 ? n - j : 8);
    }
  }
}

// c[batch] = op(a[batch]) · op(b[batch]) (+ bias, ReLU); a batch of 1 on either side is shared by all.
EXPORT("gemm")
void gemm(const f32 *a, const f32 *b, const f32 *bias, f32 *c, f32 *scratch, int batch, int batch_a, int batch_b, int m, int k, int n, int ta, int tb,
          int relu) {
  for (int i = 0; i < batch; i++) {
    const f32 *ai = a + (batch_a == 1 ? 0 : (long)i * m * k);
    const f32 *bi = b + (batch_b == 1 ? 0 : (long)i * k * n);
    gemm1(ai, bi, bias, c + (long)i * m * n, scratch, m, k, n, ta, tb, relu);
  }
}
