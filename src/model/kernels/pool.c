// Max-pooling gradient (NHWC, float32). Same memory rules as conv.c.
#include "kernels.h"

// The common case, 2×2 windows at stride 2 without padding: windows do not overlap, so each pixel's
// gradient is written once, as a vector, and only the row and column no window covers (odd sizes)
// need zeros.
static void max_pool_grad_2x2(const f32 *x, const f32 *dy, f32 *dx, int n, int h, int w, int c, int oh, int ow) {
  const v128_t zero = wasm_f32x4_splat(0);
  const int row = w * c;
  for (int b = 0; b < n; b++) {
    const f32 *xb = x + (long)b * h * row;
    f32 *dxb = dx + (long)b * h * row;
    for (int yy = 2 * oh; yy < h; yy++)
      for (int i = 0; i < row; i += 4) wasm_v128_store(dxb + yy * row + i, zero);
    for (int yy = 0; yy < 2 * oh; yy++)
      for (int i = 2 * ow * c; i < row; i += 4) wasm_v128_store(dxb + yy * row + i, zero);
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        const int p = (2 * oy * w + 2 * ox) * c;
        const f32 *g = dy + (((long)b * oh + oy) * ow + ox) * c;
        for (int i = 0; i < c; i += 4) {
          const v128_t v00 = wasm_v128_load(xb + p + i), v01 = wasm_v128_load(xb + p + c + i);
          const v128_t v10 = wasm_v128_load(xb + p + row + i), v11 = wasm_v128_load(xb + p + row + c + i);
          const v128_t m = wasm_f32x4_max(wasm_f32x4_max(v00, v01), wasm_f32x4_max(v10, v11));
          // The first tap (row-major) that holds the maximum takes the gradient.
          const v128_t e00 = wasm_f32x4_eq(v00, m);
          const v128_t e01 = wasm_v128_andnot(wasm_f32x4_eq(v01, m), e00);
          const v128_t taken = wasm_v128_or(e00, e01);
          const v128_t e10 = wasm_v128_andnot(wasm_f32x4_eq(v10, m), taken);
          const v128_t e11 = wasm_v128_not(wasm_v128_or(taken, e10));
          const v128_t gv = wasm_v128_load(g + i);
          wasm_v128_store(dxb + p + i, wasm_v128_and(gv, e00));
          wasm_v128_store(dxb + p + c + i, wasm_v128_and(gv, e01));
          wasm_v128_store(dxb + p + row + i, wasm_v128_and(gv, e10));
          wasm_v128_store(dxb + p + row + c + i, wasm_v128_and(gv, e11));
        }
      }
    }
  }
}

// dx = the gradient of y = maxpool(x): each window's dy goes to the first maximum of the window in
// row-major order (what tfjs's cpu backend and PyTorch do), windows that overlap add up in output
// order. A window starts at (oy*sh - top, ox*sw - left); taps outside x are skipped. Four channels
// at a time: each lane tracks its own maximum and the tap that holds it.
EXPORT("max_pool_grad")
void max_pool_grad(const f32 *x, const f32 *dy, f32 *dx, int n, int h, int w, int c, int oh, int ow, int fh, int fw, int sh, int sw, int top,
                   int left) {
  if (fh == 2 && fw == 2 && sh == 2 && sw == 2 && top == 0 && left == 0 && (c & 3) == 0) {
    max_pool_grad_2x2(x, dy, dx, n, h, w, c, oh, ow);
    return;
  }
  const long size = (long)n * h * w * c;
  for (long i = 0; i < size; i++) dx[i] = 0;
  const int cv = c & ~3;
  for (int b = 0; b < n; b++) {
    const f32 *xb = x + (long)b * h * w * c;
    f32 *dxb = dx + (long)b * h * w * c;
    for (int oy = 0; oy < oh; oy++) {
      const int y0 = oy * sh - top;
      const int ya = y0 < 0 ? 0 : y0, yb = y0 + fh > h ? h : y0 + fh;
      for (int ox = 0; ox < ow; ox++) {
        const int x0 = ox * sw - left;
        const int xa = x0 < 0 ? 0 : x0, xb2 = x0 + fw > w ? w : x0 + fw;
        const f32 *g = dy + (((long)b * oh + oy) * ow + ox) * c;
        if (ya >= yb || xa >= xb2) continue;
        const int first = (ya * w + xa) * c;
        for (int i = 0; i < cv; i += 4) {
          v128_t best = wasm_v128_load(xb + first + i);
          v128_t at = wasm_i32x4_splat(first);
          for (int yy = ya; yy < yb; yy++)
            for (int xx = xa; xx < xb2; xx++) {
              const int p = (yy * w + xx) * c;
              const v128_t v = wasm_v128_load(xb + p + i);
              const v128_t better = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, better);
              at = wasm_v128_bitselect(wasm_i32x4_splat(p), at, better);
            }
          const v128_t gv = wasm_v128_load(g + i);
          // Each lane adds its dy at its own position: four scalar updates.
          dxb[wasm_i32x4_extract_lane(at, 0) + i] += wasm_f32x4_extract_lane(gv, 0);
          dxb[wasm_i32x4_extract_lane(at, 1) + i + 1] += wasm_f32x4_extract_lane(gv, 1);
          dxb[wasm_i32x4_extract_lane(at, 2) + i + 2] += wasm_f32x4_extract_lane(gv, 2);
          dxb[wasm_i32x4_extract_lane(at, 3) + i + 3] += wasm_f32x4_extract_lane(gv, 3);
        }
        for (int i = cv; i < c; i++) {
          f32 best = xb[first + i];
          int at = first;
          for (int yy = ya; yy < yb; yy++)
            for (int xx = xa; xx < xb2; xx++) {
              const int p = (yy * w + xx) * c;
              if (xb[p + i] > best) best = xb[p + i], at = p;
            }
          dxb[at + i] += g[i];
        }
      }
    }
  }
}
