// The Adam update of one variable in one pass. Same memory rules as conv.c. Every operation rounds
// to float32 in the order tfjs's AdamOptimizer applies its ops, so the result is bit for bit what
// that chain of kernels gives, with four tensors read and three written once instead of ~10 passes.
#include "kernels.h"

// m' = m·β1 + g·(1 − β1); v' = v·β2 + g²·(1 − β2);
// value' = (m'/c1) / (√(v'/c2) + ε) · (−lr) + value, where c1 = 1 − β1ᵗ and c2 = 1 − β2ᵗ are read
// from tensors (as tfjs computes them), and one_b1 = 1 − β1, one_b2 = 1 − β2, neg_lr = −lr are the
// float32 scalars tfjs makes of those numbers.
EXPORT("adam")
void adam(const f32 *value, const f32 *grad, const f32 *m, const f32 *v, const f32 *c1p, const f32 *c2p, f32 *value_out, f32 *m_out, f32 *v_out, int size,
          f32 beta1, f32 one_b1, f32 beta2, f32 one_b2, f32 eps, f32 neg_lr) {
  const v128_t b1 = wasm_f32x4_splat(beta1), ob1 = wasm_f32x4_splat(one_b1), b2 = wasm_f32x4_splat(beta2), ob2 = wasm_f32x4_splat(one_b2);
  const v128_t c1 = wasm_f32x4_splat(*c1p), c2 = wasm_f32x4_splat(*c2p), e = wasm_f32x4_splat(eps), lr = wasm_f32x4_splat(neg_lr);
  const int sv = size & ~3;
  for (int i = 0; i < sv; i += 4) {
    const v128_t g = wasm_v128_load(grad + i);
    const v128_t m1 = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), b1), wasm_f32x4_mul(g, ob1));
    const v128_t v1 = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), b2), wasm_f32x4_mul(wasm_f32x4_mul(g, g), ob2));
    const v128_t step = wasm_f32x4_div(wasm_f32x4_div(m1, c1), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(v1, c2)), e));
    wasm_v128_store(m_out + i, m1);
    wasm_v128_store(v_out + i, v1);
    wasm_v128_store(value_out + i, wasm_f32x4_add(wasm_f32x4_mul(step, lr), wasm_v128_load(value + i)));
  }
  for (int i = sv; i < size; i++) {
    const f32 g = grad[i];
    const f32 m1 = m[i] * beta1 + g * one_b1;
    const f32 v1 = v[i] * beta2 + (g * g) * one_b2;
    m_out[i] = m1;
    v_out[i] = v1;
    value_out[i] = (m1 / *c1p) / (__builtin_sqrtf(v1 / *c2p) + eps) * neg_lr + value[i];
  }
}
