// Gated activations and logit statistics on arm64 (both NEON paths), as activations.c does them on
// x86: x·sigmoid(k·x) with a NEON exp, and the softmax sums of a logit row.
#include "internal.h"
#if defined(__aarch64__)
#include <math.h>

void gated_neon(float *gate, const float *up, int64_t n, int gelu) {
    const float32x4_t one = vdupq_n_f32(1.0f), c = vdupq_n_f32(-2.0f * 0.7978845608028654f), k = vdupq_n_f32(0.044715f);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t x = vld1q_f32(gate + i);
        float32x4_t z = gelu ? vmulq_f32(c, vfmaq_f32(x, vmulq_f32(k, x), vmulq_f32(x, x))) : vnegq_f32(x);
        float32x4_t act = vdivq_f32(x, vaddq_f32(one, exp_neon(z)));
        vst1q_f32(gate + i, vmulq_f32(act, vld1q_f32(up + i)));
    }
    for (; i < n; i++) {
        float x = gate[i];
        float z = gelu ? -2.0f * 0.7978845608028654f * (x + 0.044715f * x * x * x) : -x;
        gate[i] = x / (1.0f + expf(z)) * up[i];
    }
}

void lse_entropy_neon(const float *l, int64_t n, float mx, double *sum, double *weighted) {
    float32x4_t s = vdupq_n_f32(0), w = vdupq_n_f32(0), m = vdupq_n_f32(mx);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t d = vsubq_f32(vld1q_f32(l + i), m);
        float32x4_t e = exp_neon(d);
        s = vaddq_f32(s, e);
        w = vfmaq_f32(w, e, d);
    }
    double ss = vaddvq_f32(s), ww = vaddvq_f32(w);
    for (; i < n; i++) { double d = l[i] - mx, e = exp(d); ss += e; ww += e * d; }
    *sum = ss;
    *weighted = ww;
}
#endif
