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

#endif
