// 3×3 stride-1 convolutions by Winograd's minimal filtering, F(4×4, 3×3): each 4×4 block of outputs
// comes from a 6×6 block of input in 36 products per channel pair instead of 144, so the
// convolution's multiply-adds shrink 4× at the cost of transforms that are linear in the channels.
// The forward pass and the input gradient (a forward pass of dy with the filter flipped) use it,
// and the filter gradient uses its dual, F(3×3, 4×4): dW = Gᵀ [Σ over blocks (A dY Aᵀ) ⊙ (Bᵀ X B)] G.
// Same memory rules as conv.c; transforms go through caller-provided scratch, never a stack.
//
// Matrices (Lavin & Gray 2016, points 0, ±1, ±2, ∞):
//   Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   G  = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
#include "kernels.h"

static inline v128_t vadd(v128_t a, v128_t b) { return wasm_f32x4_add(a, b); }
static inline v128_t vsub(v128_t a, v128_t b) { return wasm_f32x4_sub(a, b); }
static inline v128_t vmul(v128_t a, f32 s) { return wasm_f32x4_mul(a, wasm_f32x4_splat(s)); }

// out[k*stride] = (Bᵀ d)_k
static inline void bt6(v128_t d0, v128_t d1, v128_t d2, v128_t d3, v128_t d4, v128_t d5, f32 *out, long stride) {
  wasm_v128_store(out, vadd(vsub(vmul(d0, 4), vmul(d2, 5)), d4));
  wasm_v128_store(out + stride, vadd(vsub(d3, vmul(vadd(d1, d2), 4)), d4));
  wasm_v128_store(out + 2 * stride, vadd(vsub(vmul(vsub(d1, d2), 4), d3), d4));
  wasm_v128_store(out + 3 * stride, vadd(vsub(vmul(vsub(d3, d1), 2), d2), d4));
  wasm_v128_store(out + 4 * stride, vadd(vsub(vmul(vsub(d1, d3), 2), d2), d4));
  wasm_v128_store(out + 5 * stride, vadd(vsub(vmul(d1, 4), vmul(d3, 5)), d5));
}

// out[k*stride] = (G g)_k
static inline void g6(v128_t g0, v128_t g1, v128_t g2, f32 *out, long stride) {
  const v128_t sum02 = vadd(g0, g2);
  wasm_v128_store(out, vmul(g0, 0.25f));
  wasm_v128_store(out + stride, vmul(vadd(sum02, g1), -1.0f / 6));
  wasm_v128_store(out + 2 * stride, vmul(vsub(sum02, g1), -1.0f / 6));
  wasm_v128_store(out + 3 * stride, vadd(vadd(vmul(g0, 1.0f / 24), vmul(g1, 1.0f / 12)), vmul(g2, 1.0f / 6)));
  wasm_v128_store(out + 4 * stride, vadd(vsub(vmul(g0, 1.0f / 24), vmul(g1, 1.0f / 12)), vmul(g2, 1.0f / 6)));
  wasm_v128_store(out + 5 * stride, g2);
}

// out[k*stride] = (Aᵀ m)_k, k < 4
static inline void at4(v128_t m0, v128_t m1, v128_t m2, v128_t m3, v128_t m4, v128_t m5, f32 *out, long stride) {
  const v128_t s12 = vadd(m1, m2), d12 = vsub(m1, m2), s34 = vadd(m3, m4), d34 = vsub(m3, m4);
  wasm_v128_store(out, vadd(vadd(m0, s12), s34));
  wasm_v128_store(out + stride, vadd(d12, vmul(d34, 2)));
  wasm_v128_store(out + 2 * stride, vadd(s12, vmul(s34, 4)));
  wasm_v128_store(out + 3 * stride, vadd(vadd(d12, vmul(d34, 8)), m5));
}

// out[k*stride] = (A f)_k, A = (Aᵀ)ᵀ (6×4)
static inline void a6(v128_t f0, v128_t f1, v128_t f2, v128_t f3, f32 *out, long stride) {
  const v128_t s02 = vadd(f0, f2), s13 = vadd(f1, f3);
  const v128_t q = vadd(f0, vmul(f2, 4)), r = vadd(vmul(f1, 2), vmul(f3, 8));
  wasm_v128_store(out, f0);
  wasm_v128_store(out + stride, vadd(s02, s13));
  wasm_v128_store(out + 2 * stride, vsub(s02, s13));
  wasm_v128_store(out + 3 * stride, vadd(q, r));
  wasm_v128_store(out + 4 * stride, vsub(q, r));
  wasm_v128_store(out + 5 * stride, f3);
}

// out[k*stride] = (Gᵀ p)_k, k < 3
static inline void gt3(v128_t p0, v128_t p1, v128_t p2, v128_t p3, v128_t p4, v128_t p5, f32 *out, long stride) {
  const v128_t s12 = vadd(p1, p2), s34 = vadd(p3, p4);
  wasm_v128_store(out, vadd(vsub(vmul(p0, 0.25f), vmul(s12, 1.0f / 6)), vmul(s34, 1.0f / 24)));
  wasm_v128_store(out + stride, vadd(vmul(vsub(p2, p1), 1.0f / 6), vmul(vsub(p3, p4), 1.0f / 12)));
  wasm_v128_store(out + 2 * stride, vadd(vmul(vsub(s34, s12), 1.0f / 6), p5));
}

#define LD(p) wasm_v128_load(p)

// Copies image src [h][w][c] into dst [hp][wp][cs] (cs ≥ c, a multiple of 4) at (top, left), zeros
// around and in the channels from c to cs.
static void place_padded(const f32 *src, f32 *dst, int h, int w, int c, int cs, int hp, int wp, int top, int left) {
  const int size = hp * wp * cs;
  for (int i = 0; i < size; i += 4) wasm_v128_store(dst + i, wasm_f32x4_splat(0));
  for (int r = 0; r < h; r++) {
    const int y = top + r;
    if (y < 0 || y >= hp) continue;
    for (int q = 0; q < w; q++) {
      const int x = left + q;
      if (x < 0 || x >= wp) continue;
      const f32 *s = src + (r * w + q) * c;
      f32 *d = dst + (y * wp + x) * cs;
      int i = 0;
      if ((c & 3) == 0)
        for (; i < c; i += 4) wasm_v128_store(d + i, LD(s + i));
      for (; i < c; i++) d[i] = s[i];
    }
  }
}

// The geometry of one call: images are processed in chunks of `group` images, whose tiles (4×4
// output blocks, `tiles` per chunk rounded up to 4 with empty ones) go through the transforms and
// the 36 matrix products together, so that a chunk's data stays in cache.
struct plan {
  int th, tw, per_image, group, tiles, hp, wp, cp, op;
  // Floats from one of the 36 positions to the next in V (transformed input) and in M or D
  // (products, transformed dy): a cache line more than the data, or strides that are multiples of
  // 4 KiB would send all 36 positions of a tile to the same cache set.
  int vs, ms;
};

static inline __attribute__((always_inline)) struct plan plan_for(int oh, int ow, int c, int co) {
  struct plan p;
  p.th = (oh + 3) / 4;
  p.tw = (ow + 3) / 4;
  p.per_image = p.th * p.tw;
  p.group = p.per_image >= 32 ? 1 : 32 / p.per_image;
  p.tiles = round_up(p.group * p.per_image, 4);
  p.hp = 4 * p.th + 2;
  p.wp = 4 * p.tw + 2;
  p.cp = round_up(c, 4);
  p.op = round_up(co, 8);
  p.vs = p.tiles * p.cp + 16;
  p.ms = p.tiles * p.op + 16;
  return p;
}

// V[pos][t][cp] = Bᵀ d B for every tile t of the chunk's padded images (tiles past the chunk: zero).
static inline __attribute__((always_inline)) void input_transform(const struct plan *p, const f32 *images, int count, f32 *V, f32 *tmp) {
  const long pos_stride = p->vs;
  const int row = p->wp * p->cp;
  for (int t = 0; t < p->tiles; t++) {
    if (t >= count * p->per_image) {
      for (int pos = 0; pos < 36; pos++)
        for (int i = 0; i < p->cp; i += 4) wasm_v128_store(V + pos * pos_stride + (long)t * p->cp + i, wasm_f32x4_splat(0));
      continue;
    }
    const int b = t / p->per_image, ty = (t % p->per_image) / p->tw, tx = t % p->tw;
    const f32 *d = images + (long)b * p->hp * row + (4 * ty * p->wp + 4 * tx) * p->cp;
    for (int i = 0; i < p->cp; i += 4) {
      // tmp[k][j] = (Bᵀ d[:, j])_k, then V[k][l] = (Bᵀ tmp[k, :])_l.
      for (int j = 0; j < 6; j++) {
        const f32 *col = d + j * p->cp + i;
        bt6(LD(col), LD(col + row), LD(col + 2 * row), LD(col + 3 * row), LD(col + 4 * row), LD(col + 5 * row), tmp + j * 4, 24);
      }
      for (int k = 0; k < 6; k++) {
        const f32 *r = tmp + k * 24;
        bt6(LD(r), LD(r + 4), LD(r + 8), LD(r + 12), LD(r + 16), LD(r + 20), V + (k * 6) * pos_stride + (long)t * p->cp + i, pos_stride);
      }
    }
  }
}

// Floats of scratch wino_conv needs.
EXPORT("wino_conv_scratch")
int wino_conv_scratch(int oh, int ow, int c, int co) {
  const struct plan p = plan_for(oh, ow, c, co);
  return 36 * p.cp * p.op + p.group * p.hp * p.wp * p.cp + 36 * (p.vs + p.ms) + 36 * 4 + 64;
}

// y = act(bias + x ⋆ w) for a 3×3 stride-1 convolution: x [n][h][w][c] placed at (top, left) of a
// zero image, w [3][3][c][op] (op = co rounded up to 8, zero columns), bias [op] or 0, y [n][oh][ow][co].
EXPORT("wino_conv")
void wino_conv(const f32 *x, const f32 *w, const f32 *bias, f32 *y, f32 *scratch, int n, int h, int wd, int c, int oh, int ow, int co, int top,
               int left, int relu) {
  const struct plan p = plan_for(oh, ow, c, co);
  f32 *U = scratch;
  f32 *images = U + 36 * p.cp * p.op;
  f32 *V = images + p.group * p.hp * p.wp * p.cp;
  f32 *M = V + 36 * p.vs;
  f32 *tmp = M + 36 * p.ms;
  // U[pos][i][o] = G g G^T: tmp[k][kx] = (G g[:, kx])_k, then U[k][l] = (G tmp[k, :])_l.
  for (int i = 0; i < p.cp; i++)
    for (int o = 0; o < p.op; o += 4) {
      if (i >= c) {
        for (int pos = 0; pos < 36; pos++) wasm_v128_store(U + ((long)pos * p.cp + i) * p.op + o, wasm_f32x4_splat(0));
        continue;
      }
      const f32 *g = w + (long)i * p.op + o;
      const long tap = (long)c * p.op;
      for (int kx = 0; kx < 3; kx++) g6(LD(g + kx * tap), LD(g + (3 + kx) * tap), LD(g + (6 + kx) * tap), tmp + kx * 4, 12);
      for (int k = 0; k < 6; k++) g6(LD(tmp + k * 12), LD(tmp + k * 12 + 4), LD(tmp + k * 12 + 8), U + (((long)k * 6) * p.cp + i) * p.op + o, (long)p.cp * p.op);
    }
  const v128_t zero = wasm_f32x4_splat(0);
  const long vstride = p.vs, mstride = p.ms;
  for (int b0 = 0; b0 < n; b0 += p.group) {
    const int count = n - b0 < p.group ? n - b0 : p.group;
    for (int b = 0; b < count; b++) place_padded(x + (long)(b0 + b) * h * wd * c, images + (long)b * p.hp * p.wp * p.cp, h, wd, c, p.cp, p.hp, p.wp, top, left);
    input_transform(&p, images, count, V, tmp);
    // M[pos] = V[pos] U[pos]: 4 tiles × 8 output channels in registers.
    for (int pos = 0; pos < 36; pos++) {
      const f32 *Vp = V + pos * vstride;
      const f32 *Up = U + (long)pos * p.cp * p.op;
      f32 *Mp = M + pos * mstride;
      for (int t = 0; t < p.tiles; t += 4) {
        for (int o = 0; o < p.op; o += 8) {
          const struct block4x8 a = accumulate4x8(block_splat(zero, zero), Vp + (long)t * p.cp, p.cp, 1, Up + o, p.op, p.cp);
          block_store(Mp + (long)t * p.op + o, p.op, a, 4, 8);
        }
      }
    }
    // y block = Aᵀ M A (+ bias, ReLU): tmp[k][j] = (Aᵀ M[:, j])_k, then y[k][l] = (Aᵀ tmp[k, :])_l.
    for (int t = 0; t < count * p.per_image; t++) {
      const int b = b0 + t / p.per_image, ty = (t % p.per_image) / p.tw, tx = t % p.tw;
      for (int o = 0; o < p.op; o += 4) {
        if (o >= co) break;
        const f32 *m = M + (long)t * p.op + o;
        for (int j = 0; j < 6; j++) {
          const f32 *col = m + j * mstride;
          at4(LD(col), LD(col + 6 * mstride), LD(col + 12 * mstride), LD(col + 18 * mstride), LD(col + 24 * mstride), LD(col + 30 * mstride), tmp + j * 4, 24);
        }
        const v128_t bv = bias ? LD(bias + o) : zero;
        const int lanes = co - o < 4 ? co - o : 4;
        for (int k = 0; k < 4; k++) {
          const int oy = 4 * ty + k;
          if (oy >= oh) break;
          const f32 *r = tmp + k * 24;
          f32 *out = tmp + 144;
          at4(LD(r), LD(r + 4), LD(r + 8), LD(r + 12), LD(r + 16), LD(r + 20), out, 4);
          for (int l = 0; l < 4; l++) {
            const int ox = 4 * tx + l;
            if (ox >= ow) break;
            v128_t v = vadd(LD(out + l * 4), bv);
            if (relu) v = wasm_f32x4_max(v, zero);
            f32 *dst = y + (((long)b * oh + oy) * ow + ox) * co + o;
            if (lanes == 4)
              wasm_v128_store(dst, v);
            else
              store8(dst, v, zero, lanes);
          }
        }
      }
    }
  }
}

// Floats of scratch wino_filter_grad needs.
EXPORT("wino_filter_grad_scratch")
int wino_filter_grad_scratch(int oh, int ow, int c, int co) {
  const struct plan p = plan_for(oh, ow, c, co);
  return p.group * p.hp * p.wp * p.cp + p.group * 16 * p.per_image * p.op + 36 * (p.vs + p.ms) + 36 * p.cp * p.op + 36 * 4 + 64;
}

// dw[ky][kx][i][o] = Σ over n, oy, ox of xpad[n][oy + ky][ox + kx][i] · dy[n][oy][ox][o] for a 3×3
// stride-1 convolution (xpad: x placed at (top, left) of a zero image).
EXPORT("wino_filter_grad")
void wino_filter_grad(const f32 *x, const f32 *dy, f32 *dw, f32 *scratch, int n, int h, int wd, int c, int oh, int ow, int co, int top, int left) {
  const struct plan p = plan_for(oh, ow, c, co);
  f32 *images = scratch;
  f32 *grads = images + p.group * p.hp * p.wp * p.cp;
  f32 *V = grads + p.group * 16 * p.per_image * p.op;
  f32 *D = V + 36 * p.vs;
  f32 *P = D + 36 * p.ms;
  f32 *tmp = P + 36 * p.cp * p.op;
  const v128_t zero = wasm_f32x4_splat(0);
  for (long i = 0; i < 36L * p.cp * p.op; i += 4) wasm_v128_store(P + i, zero);
  const long vstride = p.vs, dstride = p.ms;
  const int gh = 4 * p.th, gw = 4 * p.tw;
  // dy is read in place when its blocks and channels already fit (every layer of our networks);
  // otherwise each image is first copied into a zero-padded one.
  const int direct = gh == oh && gw == ow && p.op == co;
  for (int b0 = 0; b0 < n; b0 += p.group) {
    const int count = n - b0 < p.group ? n - b0 : p.group;
    for (int b = 0; b < count; b++) {
      place_padded(x + (long)(b0 + b) * h * wd * c, images + (long)b * p.hp * p.wp * p.cp, h, wd, c, p.cp, p.hp, p.wp, top, left);
      if (!direct) place_padded(dy + (long)(b0 + b) * oh * ow * co, grads + (long)b * gh * gw * p.op, oh, ow, co, p.op, gh, gw, 0, 0);
    }
    input_transform(&p, images, count, V, tmp);
    // D[pos][t][op] = A f Aᵀ of each tile's 4×4 block of dy: tmp[k][j] = (A f[:, j])_k, then D[k][l] = (A tmp[k, :])_l.
    for (int t = 0; t < p.tiles; t++) {
      if (t >= count * p.per_image) {
        for (int pos = 0; pos < 36; pos++)
          for (int o = 0; o < p.op; o += 4) wasm_v128_store(D + pos * dstride + (long)t * p.op + o, zero);
        continue;
      }
      const int b = t / p.per_image, ty = (t % p.per_image) / p.tw, tx = t % p.tw;
      const f32 *f = (direct ? dy + (long)(b0 + b) * gh * gw * p.op : grads + (long)b * gh * gw * p.op) + (4 * ty * gw + 4 * tx) * p.op;
      const int row = gw * p.op;
      for (int o = 0; o < p.op; o += 4) {
        for (int j = 0; j < 4; j++) {
          const f32 *col = f + j * p.op + o;
          a6(LD(col), LD(col + row), LD(col + 2 * row), LD(col + 3 * row), tmp + j * 4, 16);
        }
        for (int k = 0; k < 6; k++) {
          const f32 *r = tmp + k * 16;
          a6(LD(r), LD(r + 4), LD(r + 8), LD(r + 12), D + (k * 6) * dstride + (long)t * p.op + o, dstride);
        }
      }
    }
    // P[pos] += V[pos]ᵀ D[pos]: 4 input × 8 output channels in registers, summed over the tiles.
    for (int pos = 0; pos < 36; pos++) {
      const f32 *Vp = V + pos * vstride;
      const f32 *Dp = D + pos * dstride;
      for (int i = 0; i < p.cp; i += 4) {
        for (int o = 0; o < p.op; o += 8) {
          const struct block4x8 a = accumulate4x8(block_splat(zero, zero), Vp + i, 1, p.cp, Dp + o, p.op, p.tiles);
          block_add(P + ((long)pos * p.cp + i) * p.op + o, p.op, a);
        }
      }
    }
  }
  // dw = Gᵀ P G: tmp[k][l] = (Gᵀ P[:, l])_k, then dw[k][m] = (Gᵀ tmp[k, :])_m.
  const long ps = (long)p.cp * p.op;
  for (int i = 0; i < c; i++)
    for (int o = 0; o < p.op; o += 4) {
      if (o >= co) break;
      const f32 *q = P + (long)i * p.op + o;
      for (int l = 0; l < 6; l++) gt3(LD(q + l * ps), LD(q + (6 + l) * ps), LD(q + (12 + l) * ps), LD(q + (18 + l) * ps), LD(q + (24 + l) * ps), LD(q + (30 + l) * ps), tmp + l * 4, 24);
      const int lanes = co - o < 4 ? co - o : 4;
      for (int k = 0; k < 3; k++) {
        const f32 *r = tmp + k * 24;
        f32 *out = tmp + 72;
        gt3(LD(r), LD(r + 4), LD(r + 8), LD(r + 12), LD(r + 16), LD(r + 20), out, 4);
        for (int m = 0; m < 3; m++) store8(dw + (((long)k * 3 + m) * c + i) * co + o, LD(out + m * 4), zero, lanes);
      }
    }
}
