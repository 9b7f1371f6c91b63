// Prefill GEMM in exact f32 with AVX-512 FMAs, for AVX-512 CPUs whose bf16 dot products are slow.
// On a 2-core Intel Xeon with AVX512-BF16, `vdpbf16ps` on zmm registers measured 85 GFLOP/s per core
// (counting each bf16 product as two operations) against 189 for `vfmadd231ps` on zmm, so the bf16
// GEMM of matmul.c ran at its own ceiling, ~82 GFLOP/s per core, while f32 FMAs on weights widened
// once per panel can go twice as fast and round nothing. The layout is matmul_avx2.c's, twice as
// wide: a panel of 32 weight rows × up to KC columns widened to f32 and transposed to [k][32] on the
// stack, then 12 tokens at a time stream past it, each step loading the panel's column as two zmm
// vectors, broadcasting x[t][k] for 12 tokens and doing 24 FMAs into 24 accumulators (14 loads per
// 24 FMAs, so the FMAs, not the loads, set the pace).
#include "internal.h"
#if defined(__x86_64__)
#include <immintrin.h>

#define MR 12   // tokens per register tile
#define NR 32   // weight rows per panel: two zmm vectors
// Columns per panel: 32 KB of f32, within a 48 KB L1 beside the activations streaming past.
#define KC 256

// In-register transpose of an 8 × 8 block of floats (as in matmul_avx2.c).
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

// panel[k*NR + i] = w[(r + i)*cols + k0 + k] as f32 for i < nr and k < kc; rows past nr are zero so
// the microkernel never needs a row mask inside its loop.
__attribute__((target("avx2,fma")))
static void pack_panel(const uint16_t *w, int64_t cols, int64_t r, int nr, int64_t k0, int64_t kc, float *panel) {
    for (int i0 = 0; i0 < NR; i0 += 8) {
        int64_t k = 0;
        if (i0 + 8 <= nr) {
            for (; k + 8 <= kc; k += 8) {
                __m256 b[8];
                for (int i = 0; i < 8; i++) {
                    __m128i h = _mm_loadu_si128((const __m128i *)(w + (r + i0 + i) * cols + k0 + k));
                    b[i] = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
                }
                transpose8(b);
                for (int j = 0; j < 8; j++) _mm256_storeu_ps(panel + (k + j) * NR + i0, b[j]);
            }
        }
        for (; k < kc; k++)
            for (int i = i0; i < i0 + 8; i++) panel[k * NR + i] = i < nr ? bf16_to_f32(w[(r + i) * cols + k0 + k]) : 0.0f;
    }
}

// y[t][0..nr) (+)= Σ_k x[t][k] · panel[k][0..nr) for M tokens. Always inlined with constant M so the
// 2·M accumulators stay in registers; `first` stores instead of adding to the previous panels' sums.
__attribute__((target("avx512f"), always_inline))
static inline void tile(const int M, const float *x, int64_t ldx, const float *panel, int64_t kc, float *y, int64_t ldy,
                        int first, int nr) {
    __m512 c[MR][2];
    for (int i = 0; i < M; i++) c[i][0] = c[i][1] = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(panel + k * NR), b1 = _mm512_load_ps(panel + k * NR + 16);
        for (int i = 0; i < M; i++) {
            __m512 a = _mm512_set1_ps(x[i * ldx + k]);
            c[i][0] = _mm512_fmadd_ps(a, b0, c[i][0]);
            c[i][1] = _mm512_fmadd_ps(a, b1, c[i][1]);
        }
    }
    // A ragged last panel has only nr of its rows in y: masked loads and stores keep the others.
    __mmask16 m0 = tail_mask(nr), m1 = tail_mask(nr - 16);
    for (int i = 0; i < M; i++) {
        float *out = y + i * ldy;
        if (!first) {
            c[i][0] = _mm512_add_ps(c[i][0], _mm512_maskz_loadu_ps(m0, out));
            c[i][1] = _mm512_add_ps(c[i][1], _mm512_maskz_loadu_ps(m1, out + 16));
        }
        _mm512_mask_storeu_ps(out, m0, c[i][0]);
        _mm512_mask_storeu_ps(out + 16, m1, c[i][1]);
    }
}

// The tokens after the last whole tile, 1 to MR - 1 of them, each count with its own inlined tile.
#define PK_TAIL(M) case M: tile(M, xt, cols, panel, kc, yt, ldy, first, nr); break

__attribute__((target("avx512f,avx2,fma")))
void matmul_avx512(const uint16_t *w, const float *x, float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens,
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
                PK_TAIL(11); PK_TAIL(10); PK_TAIL(9); PK_TAIL(8); PK_TAIL(7); PK_TAIL(6);
                PK_TAIL(5); PK_TAIL(4); PK_TAIL(3); PK_TAIL(2); PK_TAIL(1);
            default: break;
            }
        }
    }
}
#undef PK_TAIL
#endif
