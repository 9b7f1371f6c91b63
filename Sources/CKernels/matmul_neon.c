// Prefill GEMM on arm64 without the BF16 extension: y = x · wᵀ in exact f32, shaped like the AVX2
// kernel (matmul_avx2.c). A panel of 16 weight rows × up to KC columns is widened to f32 once, as
// [k][16] on the stack, and reused by every token of the batch. The register tile is 4 tokens × 16
// rows (16 accumulators of 4 lanes): four columns of each token are loaded as one vector and used
// lane by lane (FMLA by element), so the 32 NEON registers hold accumulators, panel and activations.
#include "internal.h"
#if defined(__aarch64__)

#define MR 4    // tokens per register tile
#define NR 16   // weight rows per panel: four vectors
#define KC 512  // columns per panel: 32 KB of f32

// 4 × 4 transpose of floats: r[i][j] → r[j][i].
static inline void transpose4(float32x4_t r[4]) {
    float32x4_t t0 = vtrn1q_f32(r[0], r[1]), t1 = vtrn2q_f32(r[0], r[1]);
    float32x4_t t2 = vtrn1q_f32(r[2], r[3]), t3 = vtrn2q_f32(r[2], r[3]);
    r[0] = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2)));
    r[1] = vreinterpretq_f32_f64(vtrn1q_f64(vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3)));
    r[2] = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2)));
    r[3] = vreinterpretq_f32_f64(vtrn2q_f64(vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3)));
}

// panel[k*NR + i] = w[(r + i)*cols + k0 + k] as f32 for i < nr, k < kc; rows past nr are zero.
static void pack_panel(const uint16_t *w, int64_t cols, int64_t r, int nr, int64_t k0, int64_t kc, float *panel) {
    for (int i0 = 0; i0 < NR; i0 += 4) {
        int64_t k = 0;
        if (i0 + 4 <= nr) {
            for (; k + 4 <= kc; k += 4) {
                float32x4_t b[4];
                for (int i = 0; i < 4; i++)
                    b[i] = vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(w + (r + i0 + i) * cols + k0 + k), 16));
                transpose4(b);
                for (int j = 0; j < 4; j++) vst1q_f32(panel + (k + j) * NR + i0, b[j]);
            }
        }
        for (; k < kc; k++)
            for (int i = i0; i < i0 + 4; i++) panel[k * NR + i] = i < nr ? bf16_to_f32(w[(r + i) * cols + k0 + k]) : 0.0f;
    }
}

// One column k of the panel against lane L of each token's vector of four columns.
#define STEP(L)                                                                          \
    do {                                                                                 \
        const float *p = panel + (k + L) * NR;                                           \
        float32x4_t b0 = vld1q_f32(p), b1 = vld1q_f32(p + 4), b2 = vld1q_f32(p + 8), b3 = vld1q_f32(p + 12); \
        for (int i = 0; i < M; i++) {                                                    \
            c[i][0] = vfmaq_laneq_f32(c[i][0], b0, xv[i], L);                            \
            c[i][1] = vfmaq_laneq_f32(c[i][1], b1, xv[i], L);                            \
            c[i][2] = vfmaq_laneq_f32(c[i][2], b2, xv[i], L);                            \
            c[i][3] = vfmaq_laneq_f32(c[i][3], b3, xv[i], L);                            \
        }                                                                                \
    } while (0)

// y[t][0..nr) (+)= Σ_k x[t][k] · panel[k][0..nr) for M tokens; inlined with constant M so the
// accumulators stay in registers. `first` stores instead of adding to the previous panels' sums.
__attribute__((always_inline))
static inline void tile(const int M, const float *x, int64_t ldx, const float *panel, int64_t kc, float *y, int64_t ldy,
                        int first, int nr) {
    float32x4_t c[MR][4];
    for (int i = 0; i < M; i++)
        for (int j = 0; j < 4; j++) c[i][j] = vdupq_n_f32(0);
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
        float32x4_t xv[MR];
        for (int i = 0; i < M; i++) xv[i] = vld1q_f32(x + i * ldx + k);
        STEP(0);
        STEP(1);
        STEP(2);
        STEP(3);
    }
    for (; k < kc; k++) {
        float32x4_t xv[MR];
        for (int i = 0; i < M; i++) xv[i] = vld1q_dup_f32(x + i * ldx + k);
        STEP(0);
    }
    for (int i = 0; i < M; i++) {
        float *out = y + i * ldy;
        if (nr == NR) {
            for (int j = 0; j < 4; j++) vst1q_f32(out + 4 * j, first ? c[i][j] : vaddq_f32(c[i][j], vld1q_f32(out + 4 * j)));
        } else {
            float tmp[NR];
            for (int j = 0; j < 4; j++) vst1q_f32(tmp + 4 * j, c[i][j]);
            for (int j = 0; j < nr; j++) out[j] = first ? tmp[j] : out[j] + tmp[j];
        }
    }
}

void matmul_neon(const uint16_t *w, const float *x, float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens,
                 int64_t cols) {
    float panel[KC * NR] __attribute__((aligned(64)));
    // Columns per panel: as even a split of the row as KC allows, in whole cache lines of x.
    int64_t panels = (cols + KC - 1) / KC, step = ((cols + panels - 1) / panels + 15) / 16 * 16;
    for (int64_t r = r0; r < r1; r += NR) {
        int nr = r1 - r < NR ? (int)(r1 - r) : NR;
        for (int64_t k0 = 0; k0 < cols; k0 += step) {
            int64_t kc = cols - k0 < step ? cols - k0 : step;
            pack_panel(w, cols, r, nr, k0, kc, panel);
            int first = k0 == 0;
            int64_t t = 0;
            for (; t + MR <= tokens; t += MR) tile(MR, x + t * cols + k0, cols, panel, kc, y + t * ldy + r, ldy, first, nr);
            const float *xt = x + t * cols + k0;
            float *yt = y + t * ldy + r;
            switch (tokens - t) {
            case 3: tile(3, xt, cols, panel, kc, yt, ldy, first, nr); break;
            case 2: tile(2, xt, cols, panel, kc, yt, ldy, first, nr); break;
            case 1: tile(1, xt, cols, panel, kc, yt, ldy, first, nr); break;
            default: break;
            }
        }
    }
}
#endif
