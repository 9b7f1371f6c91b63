// Prefill GEMM on arm64 with the BF16 extension. BFMMLA multiplies a 2 × 4 bf16 matrix by the
// transpose of another into a 2 × 2 f32 block: 16 products per instruction, four times an f32 FMLA.
// Both operands are therefore packed as pairs of rows × 4 columns: the activations once per batch by
// pk_pack_bf16 (token pairs; rounded to bf16 `hi` and, for exact passes, the rounding error `lo`,
// as on the AVX512-BF16 path), and 8 weight rows × up to KC columns per panel here, on the stack,
// reused by every token pair of the batch. The register tile is 4 token pairs × 4 row pairs: 16
// accumulators, each a 2 × 2 block of y.
#include "internal.h"
#if defined(__aarch64__) && defined(PK_NEON_BF16)

#define MT 4    // token pairs per register tile
#define NR 8    // weight rows per panel: four row pairs
#define KC 512  // columns per panel (a multiple of 4): 8 KB of bf16

static int64_t quads(int64_t cols) { return (cols + 3) / 4; }

// Activations [tokens, cols] → for token pair p and column quad q, 8 bf16 at ((p*Q + q) * 8): the
// pair's first token's four columns, then the second's. Zero past the last token and column. Groups
// [g0, g1) of 16 tokens (8 pairs), as pk_pack_bf16 shares the work between threads.
TARGET_BF16
void pack_neonbf16(const float *x, uint16_t *hi, uint16_t *lo, int64_t tokens, int64_t cols, int64_t g0, int64_t g1) {
    const int64_t q_count = quads(cols);
    for (int64_t p = 8 * g0; p < 8 * g1; p++)
        for (int64_t q = 0; q < q_count; q++)
            for (int h = 0; h < 2; h++) {
                int64_t t = 2 * p + h, k = 4 * q, at = (p * q_count + q) * 8 + h * 4;
                float32x4_t v;
                if (t < tokens && k + 4 <= cols) {
                    v = vld1q_f32(x + t * cols + k);
                } else {
                    float part[4] = {0, 0, 0, 0};
                    for (int j = 0; j < 4; j++)
                        if (t < tokens && k + j < cols) part[j] = x[t * cols + k + j];
                    v = vld1q_f32(part);
                }
                bfloat16x4_t rounded = vcvt_bf16_f32(v);
                vst1_u16(hi + at, vreinterpret_u16_bf16(rounded));
                if (lo) {
                    float32x4_t back = vreinterpretq_f32_u32(vshll_n_u16(vreinterpret_u16_bf16(rounded), 16));
                    vst1_u16(lo + at, vreinterpret_u16_bf16(vcvt_bf16_f32(vsubq_f32(v, back))));
                }
            }
}

// panel[(qq*4 + j)*8 + h*4 + c] = w[r + 2j + h][k0 + 4qq + c], zero past nr rows and `cols` columns.
static void pack_panel(const uint16_t *w, int64_t cols, int64_t r, int nr, int64_t k0, int64_t kc, uint16_t *panel) {
    for (int64_t qq = 0; qq < quads(kc); qq++) {
        int64_t k = k0 + 4 * qq;
        for (int j = 0; j < NR / 2; j++) {
            uint16_t *out = panel + (qq * 4 + j) * 8;
            if (2 * j + 2 <= nr && k + 4 <= k0 + kc) {
                vst1q_u16(out, vcombine_u16(vld1_u16(w + (r + 2 * j) * cols + k), vld1_u16(w + (r + 2 * j + 1) * cols + k)));
            } else {
                for (int h = 0; h < 2; h++)
                    for (int c = 0; c < 4; c++)
                        out[h * 4 + c] = 2 * j + h < nr && k + c < k0 + kc ? w[(r + 2 * j + h) * cols + k + c] : 0;
            }
        }
    }
}

// y (+)= the products of M token pairs starting at pair tp with the panel's rows, over quads [q0, q0 + nq).
// Inlined with constant M and `exact` so the accumulators stay in registers. `nt` tokens of the
// tile and `nr` rows of the panel exist in y.
TARGET_BF16 __attribute__((always_inline))
static inline void tile(const int M, const int exact, const uint16_t *xh, const uint16_t *xl, int64_t q_count, int64_t tp,
                        int64_t q0, int64_t nq, const uint16_t *panel, float *y, int64_t ldy, int first, int nt, int nr) {
    float32x4_t acc[MT][NR / 2];
    for (int i = 0; i < M; i++)
        for (int j = 0; j < NR / 2; j++) acc[i][j] = vdupq_n_f32(0);
    for (int64_t qq = 0; qq < nq; qq++) {
        bfloat16x8_t b[NR / 2];
        for (int j = 0; j < NR / 2; j++) b[j] = vreinterpretq_bf16_u16(vld1q_u16(panel + (qq * 4 + j) * 8));
        for (int i = 0; i < M; i++) {
            int64_t at = ((tp + i) * q_count + q0 + qq) * 8;
            bfloat16x8_t a = vreinterpretq_bf16_u16(vld1q_u16(xh + at));
            for (int j = 0; j < NR / 2; j++) acc[i][j] = vbfmmlaq_f32(acc[i][j], a, b[j]);
            if (exact) {
                bfloat16x8_t l = vreinterpretq_bf16_u16(vld1q_u16(xl + at));
                for (int j = 0; j < NR / 2; j++) acc[i][j] = vbfmmlaq_f32(acc[i][j], l, b[j]);
            }
        }
    }
    // Each accumulator is (token 2i, rows 2j and 2j+1) in its low half, token 2i+1 in its high half.
    for (int i = 0; i < M; i++)
        for (int h = 0; h < 2; h++) {
            int t = 2 * i + h;
            if (t >= nt) break;
            float *out = y + t * ldy;
            for (int j = 0; j < NR / 2; j++) {
                float32x2_t v = h ? vget_high_f32(acc[i][j]) : vget_low_f32(acc[i][j]);
                if (2 * j + 2 <= nr) {
                    vst1_f32(out + 2 * j, first ? v : vadd_f32(v, vld1_f32(out + 2 * j)));
                } else if (2 * j < nr) {
                    float s = vget_lane_f32(v, 0);
                    out[2 * j] = first ? s : out[2 * j] + s;
                }
            }
        }
}

#define TILES(EXACT)                                                                                             \
    switch (m) {                                                                                                 \
    case 4: tile(4, EXACT, xh, xl, q_count, tp, k0 / 4, quads(kc), panel, yt, ldy, first, nt, nr); break;        \
    case 3: tile(3, EXACT, xh, xl, q_count, tp, k0 / 4, quads(kc), panel, yt, ldy, first, nt, nr); break;        \
    case 2: tile(2, EXACT, xh, xl, q_count, tp, k0 / 4, quads(kc), panel, yt, ldy, first, nt, nr); break;        \
    default: tile(1, EXACT, xh, xl, q_count, tp, k0 / 4, quads(kc), panel, yt, ldy, first, nt, nr); break;       \
    }

TARGET_BF16
void matmul_neonbf16(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, float *y, int64_t ldy, int64_t r0,
                     int64_t r1, int64_t tokens, int64_t cols) {
    uint16_t panel[KC * NR] __attribute__((aligned(64)));
    const int64_t q_count = quads(cols), pairs = (tokens + 1) / 2;
    // Columns per panel: as even a split of the row as KC allows, in whole quads of 16.
    int64_t panels = (cols + KC - 1) / KC, step = ((cols + panels - 1) / panels + 15) / 16 * 16;
    for (int64_t r = r0; r < r1; r += NR) {
        int nr = r1 - r < NR ? (int)(r1 - r) : NR;
        for (int64_t k0 = 0; k0 < cols; k0 += step) {
            int64_t kc = cols - k0 < step ? cols - k0 : step;
            pack_panel(w, cols, r, nr, k0, kc, panel);
            int first = k0 == 0;
            for (int64_t tp = 0; tp < pairs; tp += MT) {
                int m = pairs - tp < MT ? (int)(pairs - tp) : MT;
                int nt = tokens - 2 * tp < 2 * MT ? (int)(tokens - 2 * tp) : 2 * MT;
                float *yt = y + 2 * tp * ldy + r;
                if (xl) {
                    TILES(1)
                } else {
                    TILES(0)
                }
            }
        }
    }
}
#endif
