// Shared definitions of the WebAssembly SIMD kernels (see conv.c for the memory rules).
#ifndef KERNELS_H
#define KERNELS_H

#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

typedef float f32;

static inline int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

// a + x*y. wasm SIMD 128 has no fused multiply-add, so this rounds twice, the same on every machine.
static inline v128_t madd(v128_t a, v128_t x, v128_t y) { return wasm_f32x4_add(a, wasm_f32x4_mul(x, y)); }

// Stores the first `lanes` (1–8) floats of the pair (lo, hi) at p.
static inline void store8(f32 *p, v128_t lo, v128_t hi, int lanes) {
  if (lanes == 8) {
    wasm_v128_store(p, lo);
    wasm_v128_store(p + 4, hi);
    return;
  }
  // Lane by lane: an array indexed at run time would live on a stack, which this module has not.
  if (lanes > 0) wasm_v128_store32_lane(p, lo, 0);
  if (lanes > 1) wasm_v128_store32_lane(p + 1, lo, 1);
  if (lanes > 2) wasm_v128_store32_lane(p + 2, lo, 2);
  if (lanes > 3) wasm_v128_store32_lane(p + 3, lo, 3);
  if (lanes > 4) wasm_v128_store32_lane(p + 4, hi, 0);
  if (lanes > 5) wasm_v128_store32_lane(p + 5, hi, 1);
  if (lanes > 6) wasm_v128_store32_lane(p + 6, hi, 2);
}

// p[0..8) += (lo, hi).
static inline void add8(f32 *p, v128_t lo, v128_t hi) {
  wasm_v128_store(p, wasm_f32x4_add(wasm_v128_load(p), lo));
  wasm_v128_store(p + 4, wasm_f32x4_add(wasm_v128_load(p + 4), hi));
}

// A block of 4 rows × 8 columns of float sums held in registers: row r is (a[r]0, a[r]1).
struct block4x8 {
  v128_t a00, a01, a10, a11, a20, a21, a30, a31;
};

static inline struct block4x8 block_splat(v128_t lo, v128_t hi) { return (struct block4x8){lo, hi, lo, hi, lo, hi, lo, hi}; }

// The register block every product kernel (convolution, Winograd, gemm) is built on: adds to `a`,
// over `count` steps, the outer product of 4 floats of x (x[0], x[xrow], x[2·xrow], x[3·xrow]) with
// the 8 floats at g; x then advances by xstep floats and g by gstep. Each sum is taken in step
// order, so every caller rounds as it would with the loop written out.
static inline struct block4x8 accumulate4x8(struct block4x8 a, const f32 *x, int xrow, int xstep, const f32 *g, int gstep, int count) {
  for (int t = 0; t < count; t++) {
    const v128_t g0 = wasm_v128_load(g), g1 = wasm_v128_load(g + 4);
    const v128_t x0 = wasm_v128_load32_splat(x), x1 = wasm_v128_load32_splat(x + xrow);
    const v128_t x2 = wasm_v128_load32_splat(x + 2 * xrow), x3 = wasm_v128_load32_splat(x + 3 * xrow);
    a.a00 = madd(a.a00, x0, g0), a.a01 = madd(a.a01, x0, g1);
    a.a10 = madd(a.a10, x1, g0), a.a11 = madd(a.a11, x1, g1);
    a.a20 = madd(a.a20, x2, g0), a.a21 = madd(a.a21, x2, g1);
    a.a30 = madd(a.a30, x3, g0), a.a31 = madd(a.a31, x3, g1);
    x += xstep;
    g += gstep;
  }
  return a;
}

// max(a, 0) lane by lane: the ReLU epilogue.
static inline struct block4x8 block_relu(struct block4x8 a) {
  const v128_t zero = wasm_f32x4_splat(0);
  return (struct block4x8){wasm_f32x4_max(a.a00, zero), wasm_f32x4_max(a.a01, zero), wasm_f32x4_max(a.a10, zero), wasm_f32x4_max(a.a11, zero),
                           wasm_f32x4_max(a.a20, zero), wasm_f32x4_max(a.a21, zero), wasm_f32x4_max(a.a30, zero), wasm_f32x4_max(a.a31, zero)};
}

// Stores the first `rows` (1–4) rows of the block, `lanes` (1–8) floats each, at p, p + stride, ….
static inline void block_store(f32 *p, int stride, struct block4x8 a, int rows, int lanes) {
  store8(p, a.a00, a.a01, lanes);
  if (rows > 1) store8(p + stride, a.a10, a.a11, lanes);
  if (rows > 2) store8(p + 2 * stride, a.a20, a.a21, lanes);
  if (rows > 3) store8(p + 3 * stride, a.a30, a.a31, lanes);
}

// Adds the block's 4 rows of 8 to p, p + stride, ….
static inline void block_add(f32 *p, int stride, struct block4x8 a) {
  add8(p, a.a00, a.a01);
  add8(p + stride, a.a10, a.a11);
  add8(p + 2 * stride, a.a20, a.a21);
  add8(p + 3 * stride, a.a30, a.a31);
}

#endif
