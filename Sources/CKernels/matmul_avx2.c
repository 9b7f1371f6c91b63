// Prefill GEMM for CPUs with AVX2 + FMA but no bf16 dot products: y = x · wᵀ in exact f32.
// Laid out like a BLIS microkernel. A panel of 16 weight rows × up to KC columns is widened to f32
// once, transposed to [k][16], into a buffer on the stack (so concurrent callers share nothing), and
// then every token of the batch streams past it: each step loads the panel's 16 floats of column k
// as two vectors, broadcasts x[t][k] for 6 tokens and does 12 FMAs into 12 accumulators. Widening
// once per panel instead of once per token is what lets the FMAs run near the core's peak (~83% of
// the ymm FMA probe on a Zen 4 core at 512 tokens). The activations are read as f32 — no bf16
// rounding — so the xhi/xlo packing of the AVX512-BF16 path is not used here.
#include "internal.h"
#if defined(__x86_64__)
#include <immintrin.h>

#define MR 6    // tokens per register tile
#define NR 16   // weight rows per panel: two ymm vectors
// Columns per panel: 32 KB of f32, about L1. Measured 256 to 1024 within a few percent of each other;
// longer panels mean fewer passes over y, shorter ones a panel that stays in L1.
#define KC 512

// In-register transpose of an 8 × 8 block of floats.
__attribute__((target("avx2,fma"), always_inline))
static inline void transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

// panel[k*width + i] = w[(r + i)*cols + k0 + k] as f32 for i < nr and k < kc; rows from nr to width are
// zero so the microkernels never need a row mask inside their loops. Shared with matmul_avx512.c,
// whose panels are 32 rows wide (width is a multiple of 8).
__attribute__((target("avx2,fma")))
void pack_panel_f32(const uint16_t *w, int64_t cols, int64_t r, int nr, int64_t k0, int64_t kc, float *panel, int width) {
    for (int i0 = 0; i0 < width; i0 += 8) {
        int64_t k = 0;
        if (i0 + 8 <= nr) {
            // Whole 8 × 8 blocks: eight 16-byte loads, widened by shifting into the high half.
            for (; k + 8 <= kc; k += 8) {
                __m256 b[8];
                for (int i = 0; i < 8; i++) {
                    __m128i h = _mm_loadu_si128((const __m128i *)(w + (r + i0 + i) * cols + k0 + k));
                    b[i] = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
                }
                transpose8(b);
                for (int j = 0; j < 8; j++) _mm256_storeu_ps(panel + (k + j) * width + i0, b[j]);
            }
        }
        for (; k < kc; k++)
            for (int i = i0; i < i0 + 8; i++) panel[k * width + i] = i < nr ? bf16_to_f32(w[(r + i) * cols + k0 + k]) : 0.0f;
    }
}

// y[t][0..nr) (+)= Σ_k x[t][k] · panel[k][0..nr) for M tokens. Always inlined with constant M so the
// 2·M accumulators stay in registers; `first` stores instead of adding to the previous panels' sums.
__attribute__((target("avx2,fma"), always_inline))
static inline void tile(const int M, const float *x, int64_t ldx, const float *panel, int64_t kc, float *y, int64_t ldy,
                        int first, int nr) {
    __m256 c[MR][2];
    for (int i = 0; i < M; i++) c[i][0] = c[i][1] = _mm256_setzero_ps();
    for (int64_t k = 0; k < kc; k++) {
        __m256 b0 = _mm256_load_ps(panel + k * NR), b1 = _mm256_load_ps(panel + k * NR + 8);
        for (int i = 0; i < M; i++) {
            __m256 a = _mm256_broadcast_ss(x + i * ldx + k);
            c[i][0] = _mm256_fmadd_ps(a, b0, c[i][0]);
            c[i][1] = _mm256_fmadd_ps(a, b1, c[i][1]);
        }
    }
    if (nr == NR) {
        for (int i = 0; i < M; i++) {
            float *out = y + i * ldy;
            if (!first) {
                c[i][0] = _mm256_add_ps(c[i][0], _mm256_loadu_ps(out));
                c[i][1] = _mm256_add_ps(c[i][1], _mm256_loadu_ps(out + 8));
            }
            _mm256_storeu_ps(out, c[i][0]);
            _mm256_storeu_ps(out + 8, c[i][1]);
        }
    } else {
        // A ragged last panel: only nr of its rows exist in y.
        float tmp[NR] __attribute__((aligned(32)));
        for (int i = 0; i < M; i++) {
            _mm256_store_ps(tmp, c[i][0]);
            _mm256_store_ps(tmp + 8, c[i][1]);
            float *out = y + i * ldy;
            for (int j = 0; j < nr; j++) out[j] = first ? tmp[j] : out[j] + tmp[j];
        }
    }
}

__attribute__((target("avx2,fma")))
void matmul_avx2(const uint16_t *w, const float *x, float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens,
                    int64_t cols) {
    float panel[KC * NR] __attribute__((aligned(64)));
    // Columns per panel: as even a split of the row as KC allows, in whole cache lines of x.
    int64_t panels = (cols + KC - 1) / KC, step = ((cols + panels - 1) / panels + 15) / 16 * 16;
    for (int64_t r = r0; r < r1; r += NR) {
        int nr = r1 - r < NR ? (int)(r1 - r) : NR;
        for (int64_t k0 = 0; k0 < cols; k0 += step) {
            int64_t kc = cols - k0 < step ? cols - k0 : step;
            pack_panel_f32(w, cols, r, nr, k0, kc, panel, NR);
            int first = k0 == 0;
            int64_t t = 0;
            for (; t + MR <= tokens; t += MR) tile(MR, x + t * cols + k0, cols, panel, kc, y + t * ldy + r, ldy, first, nr);
            const float *xt = x + t * cols + k0;
            float *yt = y + t * ldy + r;
            switch (tokens - t) {
            case 5: tile(5, xt, cols, panel, kc, yt, ldy, first, nr); break;
            case 4: tile(4, xt, cols, panel, kc, yt, ldy, first, nr); break;
            case 3: tile(3, xt, cols, panel, kc, yt, ldy, first, nr); break;
            case 2: tile(2, xt, cols, panel, kc, yt, ldy, first, nr); break;
            case 1: tile(1, xt, cols, panel, kc, yt, ldy, first, nr); break;
            default: break;
            }
        }
    }
}
#endif
