// Matrix × vector (decode) on arm64: one row at a time, the order that reads weights from memory
// fastest on x86 too. NEON widens bf16 to f32 and uses f32 FMA (exact); with the BF16 extension, BFDOT
// multiplies the weights as they are against the activations split into bf16 high and low halves
// (two BFDOTs per 8 weights, ~1e-6 relative), which needs no widening at all.
#include "internal.h"
#if defined(__aarch64__)

void matvec_neon(const uint16_t *w, const float *x, float *y, int64_t r0, int64_t r1, int64_t cols) {
    for (int64_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        float32x4_t a[8];
        for (int i = 0; i < 8; i++) a[i] = vdupq_n_f32(0);
        int64_t k = 0;
        // 32 weights (one 64-byte line) per step into eight independent accumulators.
        for (; k + 32 <= cols; k += 32)
            for (int i = 0; i < 4; i++) {
                uint16x8_t v = vld1q_u16(row + k + 8 * i);
                a[2 * i] = vfmaq_f32(a[2 * i], widen_low(v), vld1q_f32(x + k + 8 * i));
                a[2 * i + 1] = vfmaq_f32(a[2 * i + 1], widen_high(v), vld1q_f32(x + k + 8 * i + 4));
            }
        for (; k + 8 <= cols; k += 8) {
            uint16x8_t v = vld1q_u16(row + k);
            a[0] = vfmaq_f32(a[0], widen_low(v), vld1q_f32(x + k));
            a[1] = vfmaq_f32(a[1], widen_high(v), vld1q_f32(x + k + 4));
        }
        for (int i = 0; i < 4; i++) a[i] = vaddq_f32(a[i], a[i + 4]);
        float s = vaddvq_f32(vaddq_f32(vaddq_f32(a[0], a[1]), vaddq_f32(a[2], a[3])));
        for (; k < cols; k++) s += bf16_to_f32(row[k]) * x[k];
        y[r] = s;
    }
}

#if defined(PK_NEON_BF16)
TARGET_BF16
void matvec_neonbf16(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, const float *x, float *y, int64_t r0,
                     int64_t r1, int64_t cols) {
    for (int64_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        float32x4_t a[4];
        for (int i = 0; i < 4; i++) a[i] = vdupq_n_f32(0);
        int64_t k = 0;
        for (; k + 32 <= cols; k += 32)
            for (int i = 0; i < 4; i++) {
                bfloat16x8_t v = vreinterpretq_bf16_u16(vld1q_u16(row + k + 8 * i));
                a[i] = vbfdotq_f32(a[i], v, vreinterpretq_bf16_u16(vld1q_u16(xh + k + 8 * i)));
                a[i] = vbfdotq_f32(a[i], v, vreinterpretq_bf16_u16(vld1q_u16(xl + k + 8 * i)));
            }
        for (; k + 8 <= cols; k += 8) {
            bfloat16x8_t v = vreinterpretq_bf16_u16(vld1q_u16(row + k));
            a[0] = vbfdotq_f32(a[0], v, vreinterpretq_bf16_u16(vld1q_u16(xh + k)));
            a[0] = vbfdotq_f32(a[0], v, vreinterpretq_bf16_u16(vld1q_u16(xl + k)));
        }
        float s = vaddvq_f32(vaddq_f32(vaddq_f32(a[0], a[1]), vaddq_f32(a[2], a[3])));
        for (; k < cols; k++) s += bf16_to_f32(row[k]) * x[k];
        y[r] = s;
    }
}
#endif
#endif
