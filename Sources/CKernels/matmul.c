#include "ckernels.h"
#include "internal.h"
#include <immintrin.h>
#include <string.h>
#include <math.h>

// ---- matmul (prefill): AVX512-BF16 register tiles of 4 weight rows x 4 tokens ----
// Activations are rounded to bf16 (as llama.cpp's BF16 path does) and, unless `xlo` is NULL, their
// rounding error is added back as a second bf16 product: ~1e-6 relative instead of ~1e-3, at twice
// the work. Scoring fidelity needs the second product; fast prefill can drop it.

#define TILE_TOKENS 64


__attribute__((target("avx512f,avx512bw,avx512bf16")))
static inline void tile_4x4(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, float *y, int64_t ldy,
                            int64_t r, int64_t t, int64_t cols) {
    __m512 acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = _mm512_setzero_ps();
    for (int64_t k = 0; k < cols; k += 32) {
        __mmask32 m = cols - k >= 32 ? 0xFFFFFFFFu : ((1u << (cols - k)) - 1);
        __m512i wv[4];
        for (int i = 0; i < 4; i++) wv[i] = _mm512_maskz_loadu_epi16(m, w + (r + i) * cols + k);
        for (int j = 0; j < 4; j++) {
            __m512i h = _mm512_maskz_loadu_epi16(m, xh + (t + j) * cols + k);
            for (int i = 0; i < 4; i++) acc[i][j] = dp(acc[i][j], h, wv[i]);
            if (xl) {
                __m512i l = _mm512_maskz_loadu_epi16(m, xl + (t + j) * cols + k);
                for (int i = 0; i < 4; i++) acc[i][j] = dp(acc[i][j], l, wv[i]);
            }
        }
    }
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 4; i++) y[(t + j) * ldy + r + i] = _mm512_reduce_add_ps(acc[i][j]);
}

__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void tile_1x1(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, float *y, int64_t ldy,
                     int64_t r, int64_t t, int64_t cols) {
    __m512 acc = _mm512_setzero_ps();
    for (int64_t k = 0; k < cols; k += 32) {
        __mmask32 m = cols - k >= 32 ? 0xFFFFFFFFu : ((1u << (cols - k)) - 1);
        __m512i wv = _mm512_maskz_loadu_epi16(m, w + r * cols + k);
        acc = dp(acc, _mm512_maskz_loadu_epi16(m, xh + t * cols + k), wv);
        if (xl) acc = dp(acc, _mm512_maskz_loadu_epi16(m, xl + t * cols + k), wv);
    }
    y[t * ldy + r] = _mm512_reduce_add_ps(acc);
}

__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void matmul_avx512bf16(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, float *y, int64_t ldy,
                              int64_t r0, int64_t r1, int64_t tokens, int64_t cols) {
    // Token blocks keep the activations of one block in L2 while 4-row weight tiles stay in L1.
    for (int64_t tb = 0; tb < tokens; tb += TILE_TOKENS) {
        int64_t te = tb + TILE_TOKENS < tokens ? tb + TILE_TOKENS : tokens;
        int64_t r = r0;
        for (; r + 4 <= r1; r += 4) {
            int64_t t = tb;
            // Two instantiations, so the exact path's inner loop carries no per-step branch.
            if (xl) for (; t + 4 <= te; t += 4) tile_4x4(w, xh, xl, y, ldy, r, t, cols);
            else for (; t + 4 <= te; t += 4) tile_4x4(w, xh, NULL, y, ldy, r, t, cols);
            for (; t < te; t++)
                for (int i = 0; i < 4; i++) tile_1x1(w, xh, xl, y, ldy, r + i, t, cols);
        }
        for (; r < r1; r++)
            for (int64_t t = tb; t < te; t++) tile_1x1(w, xh, xl, y, ldy, r, t, cols);
    }
}

void pk_matmul_bf16(const uint16_t *w, const float *x, const uint16_t *xhi, const uint16_t *xlo,
                    float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens, int64_t cols) {
    if (pk_current_path() == PK_PATH_AVX512BF16) {
        matmul_avx512bf16(w, xhi, xlo, y, ldy, r0, r1, tokens, cols);
        return;
    }
    // Without bf16 dot products the matvec kernel is already FMA-bound; reuse it per token, with
    // a column buffer so each output row lands at its stride.
    float tmp[256];
    for (int64_t t = 0; t < tokens; t++) {
        for (int64_t r = r0; r < r1; r += 256) {
            int64_t e = r + 256 < r1 ? r + 256 : r1;
            pk_matvec_bf16(w + r * cols, x + t * cols, tmp, 0, e - r, cols);
            memcpy(y + t * ldy + r, tmp, (size_t)(e - r) * sizeof(float));
        }
    }
}
