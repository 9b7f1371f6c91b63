// Prefill GEMM in exact f32 with AVX-512 FMAs, for AVX-512 CPUs whose bf16 dot products are slow.
// On a 2-core Intel Xeon with AVX512-BF16, `vdpbf16ps` on zmm registers measured 85 GFLOP/s per core
// (counting each bf16 product as two operations) against 189 for `vfmadd231ps` on zmm, so the bf16
// GEMM of matmul.c ran at its own ceiling, ~82 GFLOP/s per core, while f32 FMAs on weights widened
// once per panel can go twice as fast and round nothing. The layout is matmul_avx2.c's, twice as
// wide: a panel of 32 weight rows × up to KC columns widened to f32 and transposed to [k][32] on the
// stack (matmul_avx2.c's pack_panel_f32), then 12 tokens at a time stream past it, each step loading
// the panel's column as two zmm vectors, broadcasting x[t][k] for 12 tokens and doing 24 FMAs into 24
// accumulators (14 loads per 24 FMAs, so the FMAs, not the loads, set the pace).
#include "internal.h"
#if defined(__x86_64__)
#include <immintrin.h>

#define MR 12   // tokens per register tile
#define NR 32   // weight rows per panel: two zmm vectors
// Columns per panel: 32 KB of f32, within a 48 KB L1 beside the activations streaming past.
#define KC 256

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

__attribute__((target("avx512f")))
void matmul_avx512(const uint16_t *w, const float *x, float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens,
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
                PK_TAIL(11); PK_TAIL(10); PK_TAIL(9); PK_TAIL(8); PK_TAIL(7); PK_TAIL(6);
                PK_TAIL(5); PK_TAIL(4); PK_TAIL(3); PK_TAIL(2); PK_TAIL(1);
            default: break;
            }
        }
    }
}
#undef PK_TAIL
#endif
