// 2-D convolution kernels (NHWC, float32) for training on tfjs's wasm backend: forward with fused
// bias and ReLU, the input gradient and the filter gradient. Built by scripts/build-kernels.sh into
// kernels.wasm, which runs in tfjs-wasm's own memory: every pointer here is an offset into that
// heap, so tensors are read and written in place, never copied between modules.
//
// The module has no stack and no static data (the heap belongs to tfjs-wasm's allocator): every
// function keeps its state in locals, and scratch space comes from the caller (tfjs-wasm's malloc).
// Every sum runs in one fixed order, so the same inputs give the same bits on every run and machine.
#include "kernels.h"

// Copies image `src` [h][w][c] into `dst` [hp][wp][c], zeros around: source pixel (r, q) lands at
// (top + r*dh, left + q*dw); rows and columns that fall outside dst are dropped. A dilation (dh, dw)
// above 1 spreads the pixels apart with zeros between, as the input gradient of a strided
// convolution needs.
static void place_image(const f32 *src, f32 *dst, int h, int w, int c, int hp, int wp, int top, int left, int dh, int dw) {
  const int size = hp * wp * c;
  for (int i = 0; i < size; i += 4) wasm_v128_store(dst + i, wasm_f32x4_splat(0));
  for (int r = 0; r < h; r++) {
    const int y = top + r * dh;
    if (y < 0 || y >= hp) continue;
    for (int q = 0; q < w; q++) {
      const int x = left + q * dw;
      if (x < 0 || x >= wp) continue;
      const f32 *s = src + (r * w + q) * c;
      f32 *d = dst + (y * wp + x) * c;
      int i = 0;
      for (; i + 4 <= c; i += 4) wasm_v128_store(d + i, wasm_v128_load(s + i));
      for (; i < c; i++) d[i] = s[i];
    }
  }
}

// Floats of scratch that conv_forward needs for one padded image (with slack for the 4-pixel
// blocks that run past the last column, whose extra lanes are computed and dropped).
EXPORT("conv_forward_scratch")
int conv_forward_scratch(int hp, int wp, int c, int sw) { return round_up(hp * wp * c + (4 * sw + 4) * c + 16, 4); }

// y[n][oy][ox][o] = act(bias[o] + sum over ky, kx, i of xpad[n][oy*sh + ky][ox*sw + kx][i] * w[ky][kx][i][o])
// where xpad is x [n][h][w][c] placed at (top, left) of an hp × wp zero image with dilation (dh, dw).
// w is [kh][kw][c][op] with op = co rounded up to 8 (zero columns), bias [op] or 0.
//
// Blocks of 4 output pixels × 8 output channels stay in 8 registers while the k = kh*kw*c products
// accumulate; each step loads 2 weight vectors and broadcasts 4 input values.
EXPORT("conv_forward")
void conv_forward(const f32 *x, const f32 *w, const f32 *bias, f32 *y, f32 *scratch, int n, int h, int wd, int c, int oh, int ow, int co, int kh,
                  int kw, int sh, int sw, int top, int left, int dh, int dw, int relu) {
  const int op = round_up(co, 8);
  const int hp = (oh - 1) * sh + kh;
  const int wp = (ow - 1) * sw + kw;
  const v128_t zero = wasm_f32x4_splat(0);
  for (int b = 0; b < n; b++) {
    place_image(x + (long)b * h * wd * c, scratch, h, wd, c, hp, wp, top, left, dh, dw);
    f32 *yb = y + (long)b * oh * ow * co;
    for (int o = 0; o < op; o += 8) {
      const v128_t b0 = bias ? wasm_v128_load(bias + o) : zero;
      const v128_t b1 = bias ? wasm_v128_load(bias + o + 4) : zero;
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox += 4) {
          struct block4x8 a = block_splat(b0, b1);
          for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
              const f32 *xp = scratch + ((oy * sh + ky) * wp + ox * sw + kx) * c;
              const f32 *wq = w + ((ky * kw + kx) * c) * op + o;
              a = accumulate4x8(a, xp, sw * c, 1, wq, op, c);
            }
          }
          if (relu) a = block_relu(a);
          const int count = ow - ox < 4 ? ow - ox : 4;
          const int lanes = co - o < 8 ? co - o : 8;
          block_store(yb + ((long)oy * ow + ox) * co + o, co, a, count, lanes);
        }
      }
    }
  }
}

// w2[ky][kx][o][i] = w[kh-1-ky][kw-1-kx][i][o], with the i axis padded to ip = c rounded up to 8:
// the filter of the forward convolution that computes a convolution's input gradient.
EXPORT("conv_flip_filter")
void conv_flip_filter(const f32 *w, f32 *w2, int kh, int kw, int c, int co) {
  const int ip = round_up(c, 8);
  for (int ky = 0; ky < kh; ky++)
    for (int kx = 0; kx < kw; kx++)
      for (int o = 0; o < co; o++)
        for (int i = 0; i < ip; i++) {
          const f32 v = i < c ? w[(((kh - 1 - ky) * kw + (kw - 1 - kx)) * c + i) * co + o] : 0;
          w2[((ky * kw + kx) * co + o) * ip + i] = v;
        }
}

// Copies w [k][co] to wp [k][op] (op = co rounded up to 8, zero columns), and bias likewise.
EXPORT("pad_columns")
void pad_columns(const f32 *w, f32 *wp, int k, int co) {
  const int op = round_up(co, 8);
  for (int r = 0; r < k; r++)
    for (int o = 0; o < op; o++) wp[r * op + o] = o < co ? w[r * co + o] : 0;
}

// Floats of scratch that conv_filter_grad needs: a padded image, a padded dy image when co is not a
// multiple of 8, and the accumulator [kh][kw][round_up(c, 4)][op].
EXPORT("conv_filter_grad_scratch")
int conv_filter_grad_scratch(int hp, int wp, int c, int oh, int ow, int co, int kh, int kw, int sw) {
  const int op = round_up(co, 8);
  return conv_forward_scratch(hp, wp, c, sw) + oh * ow * op + kh * kw * round_up(c, 4) * op + 16;
}

// dw[ky][kx][i][o] = sum over n, oy, ox of xpad[n][oy*sh + ky][ox*sw + kx][i] * dy[n][oy][ox][o], xpad as
// in conv_forward with dilation 1. Blocks of 4 input channels × 8 output channels stay in registers
// while one image's pixels accumulate; each image's block sums are then added to the accumulator.
EXPORT("conv_filter_grad")
void conv_filter_grad(const f32 *x, const f32 *dy, f32 *dw, f32 *scratch, int n, int h, int wd, int c, int oh, int ow, int co, int kh, int kw,
                      int sh, int sw, int top, int left) {
  const int op = round_up(co, 8);
  const int cp = round_up(c, 4);
  const int hp = (oh - 1) * sh + kh;
  const int wp = (ow - 1) * sw + kw;
  f32 *xs = scratch;
  f32 *dys = xs + conv_forward_scratch(hp, wp, c, sw);
  f32 *acc = dys + round_up(oh * ow * op, 4);
  const int accSize = kh * kw * cp * op;
  for (int i = 0; i < accSize; i += 4) wasm_v128_store(acc + i, wasm_f32x4_splat(0));
  const int pixels = oh * ow;
  for (int b = 0; b < n; b++) {
    place_image(x + (long)b * h * wd * c, xs, h, wd, c, hp, wp, top, left, 1, 1);
    const f32 *g = dy + (long)b * pixels * co;
    if (op != co) {
      pad_columns(g, dys, pixels, co);
      g = dys;
    }
    for (int ky = 0; ky < kh; ky++) {
      for (int kx = 0; kx < kw; kx++) {
        for (int i = 0; i < c; i += 4) {
          for (int o = 0; o < op; o += 8) {
            struct block4x8 a = block_splat(wasm_f32x4_splat(0), wasm_f32x4_splat(0));
            for (int oy = 0; oy < oh; oy++)
              a = accumulate4x8(a, xs + ((oy * sh + ky) * wp + kx) * c + i, 1, sw * c, g + oy * ow * op + o, op, ow);
            block_add(acc + ((ky * kw + kx) * cp + i) * op + o, op, a);
          }
        }
      }
    }
  }
  for (int t = 0; t < kh * kw; t++)
    for (int i = 0; i < c; i++)
      for (int o = 0; o < co; o++) dw[(t * c + i) * co + o] = acc[(t * cp + i) * op + o];
}
