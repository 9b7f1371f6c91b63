#include "ckernels.h"
#include "internal.h"
#include <string.h>
#include <math.h>

// ---- matmul (prefill) ----
// The AVX512-BF16 kernel keeps 16 tokens in each accumulator's lanes and broadcasts one (even, odd)
// pair of a weight row into all lanes, so a dot product never needs a horizontal sum and the weights
// stay in their row-major layout (decode streams the same rows). The activations are packed instead —
// cheap, they are a few hundred KB — into groups of 16 tokens where each column pair of the group is
// 16 adjacent bf16 pairs, exactly the operand `vdpbf16ps` multiplies against the broadcast pair.
// Activations are rounded to bf16 (as llama.cpp's BF16 path does) and, when `lo` is given, their
// rounding error is added back as a second bf16 product: ~1e-6 relative instead of ~1e-3, at twice
// the work.

#define GROUP 16      // tokens per accumulator
#define TILE_ROWS 12  // weight rows per register tile: 12 rows × 2 groups = 24 accumulators

// Enough for either packed layout: this file's (16-token groups × column pairs) and the arm64 BF16
// path's (token pairs × column quads, matmul_neonbf16.c), so callers need not know the path.
int64_t pk_packed_count(int64_t tokens, int64_t cols) {
    return (tokens + GROUP - 1) / GROUP * GROUP * ((cols + 3) / 4 * 4);
}

#if defined(__x86_64__)
static int64_t column_pairs(int64_t cols) { return (cols + 1) / 2; }

// In-register transpose of a 16 × 16 block of 32-bit elements: r[i][c] → r[c][i].
__attribute__((target("avx512f"), always_inline))
static inline void transpose16(__m512i r[16]) {
    __m512i t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    // Within each 128-bit lane L, u[4k + m] now holds column 4L + m of rows 4k..4k+3.
    for (int k = 0; k < 16; k += 4) {
        u[k] = _mm512_unpacklo_epi64(t[k], t[k + 2]);
        u[k + 1] = _mm512_unpackhi_epi64(t[k], t[k + 2]);
        u[k + 2] = _mm512_unpacklo_epi64(t[k + 1], t[k + 3]);
        u[k + 3] = _mm512_unpackhi_epi64(t[k + 1], t[k + 3]);
    }
    for (int m = 0; m < 4; m++) {
        t[m] = _mm512_shuffle_i32x4(u[m], u[m + 4], 0x88);
        t[m + 4] = _mm512_shuffle_i32x4(u[m], u[m + 4], 0xdd);
        t[m + 8] = _mm512_shuffle_i32x4(u[m + 8], u[m + 12], 0x88);
        t[m + 12] = _mm512_shuffle_i32x4(u[m + 8], u[m + 12], 0xdd);
    }
    for (int m = 0; m < 4; m++) {
        r[m] = _mm512_shuffle_i32x4(t[m], t[m + 8], 0x88);
        r[m + 8] = _mm512_shuffle_i32x4(t[m], t[m + 8], 0xdd);
        r[m + 4] = _mm512_shuffle_i32x4(t[m + 4], t[m + 12], 0x88);
        r[m + 12] = _mm512_shuffle_i32x4(t[m + 4], t[m + 12], 0xdd);
    }
}

// For each group of 16 tokens and 16 column pairs: convert each token's 32 floats to 16 bf16 pairs
// (one 32-bit lane per pair), transpose, and store each pair's 16 tokens as one cache line.
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void pack_avx512bf16(const float *x, uint16_t *hi, uint16_t *lo, int64_t tokens, int64_t cols, int64_t g0, int64_t g1) {
    const int64_t pairs = column_pairs(cols);
    const __m512i even_index = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd_index = _mm512_add_epi32(even_index, _mm512_set1_epi32(1));
    for (int64_t g = g0; g < g1; g++) {
        int32_t *h32 = (int32_t *)hi + g * pairs * GROUP, *l32 = lo ? (int32_t *)lo + g * pairs * GROUP : NULL;
        for (int64_t p = 0; p < pairs; p += 16) {
            __m512i rh[16], rl[16];
            for (int i = 0; i < GROUP; i++) {
                int64_t t = g * GROUP + i;
                // 16 column pairs of token t: 32 floats, zero past the row's end and for padding tokens.
                int64_t left = t < tokens ? cols - 2 * p : 0;
                __m512 a = _mm512_maskz_loadu_ps(tail_mask(left), x + t * cols + 2 * p);
                __m512 b = _mm512_maskz_loadu_ps(tail_mask(left - 16), x + t * cols + 2 * p + 16);
                rh[i] = (__m512i)_mm512_cvtne2ps_pbh(b, a);  // lane k: the pair (x[2k], x[2k+1]) of a‖b
                if (l32) {
                    // Each half's rounding error, rounded to bf16 in the same pairing.
                    __m512 even = _mm512_permutex2var_ps(a, even_index, b), odd = _mm512_permutex2var_ps(a, odd_index, b);
                    __m512 even_error = _mm512_sub_ps(even, _mm512_castsi512_ps(_mm512_slli_epi32(rh[i], 16)));
                    __m512 odd_error = _mm512_sub_ps(odd, _mm512_castsi512_ps(_mm512_and_si512(rh[i], _mm512_set1_epi32((int)0xFFFF0000u))));
                    __m512i low = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(even_error));
                    __m512i high = _mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(odd_error)), 16);
                    rl[i] = _mm512_or_si512(low, high);
                }
            }
            transpose16(rh);
            int64_t n = pairs - p < 16 ? pairs - p : 16;
            for (int64_t k = 0; k < n; k++) _mm512_storeu_si512(h32 + (p + k) * GROUP, rh[k]);
            if (l32) {
                transpose16(rl);
                for (int64_t k = 0; k < n; k++) _mm512_storeu_si512(l32 + (p + k) * GROUP, rl[k]);
            }
        }
    }
}

// One register tile: R weight rows × NB groups of 16 tokens, over every column pair. Always inlined
// with constant R, NB and `exact`, so each variant keeps its accumulators in registers. When `next`
// is given (the next tile's rows, on a tile's first pass), one of its cache lines is prefetched per
// step: a tile of 12 rows has at most 12/16 of a line per column pair, so all of it arrives in time,
// and the weights' first read from memory (~13% of the time on 576-wide rows) overlaps the products.
__attribute__((target("avx512f,avx512bw,avx512bf16"), always_inline))
static inline void tile(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, float *y, int64_t ldy,
                        int64_t r, int R, int64_t group, int NB, int exact, int64_t tokens, int64_t cols,
                        const uint16_t *next) {
    const int64_t pairs = column_pairs(cols);
    __m512 acc[TILE_ROWS][2];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < NB; j++) acc[i][j] = _mm512_setzero_ps();
    const uint16_t *wr = w + r * cols;
    const uint16_t *h0 = xh + group * pairs * 2 * GROUP, *l0 = exact ? xl + group * pairs * 2 * GROUP : NULL;
    const int64_t stride = pairs * 2 * GROUP;  // elements from one group to the next
    const int64_t lines_per_row = (cols + 31) / 32;
    int64_t prefetch_row = next ? 0 : R, prefetch_line = 0;
    for (int64_t p = 0; p < pairs; p++) {
        if (prefetch_row < R) {
            _mm_prefetch((const char *)(next + prefetch_row * cols + prefetch_line * 32), _MM_HINT_T0);
            if (++prefetch_line == lines_per_row) { prefetch_line = 0; prefetch_row++; }
        }
        __m512i xa[2], xb[2];
        for (int j = 0; j < NB; j++) {
            xa[j] = _mm512_loadu_si512(h0 + j * stride + p * 2 * GROUP);
            if (exact) xb[j] = _mm512_loadu_si512(l0 + j * stride + p * 2 * GROUP);
        }
        for (int i = 0; i < R; i++) {
            int32_t pair;
            memcpy(&pair, wr + i * cols + 2 * p, 4);
            __m512i wb = _mm512_set1_epi32(pair);
            for (int j = 0; j < NB; j++) {
                acc[i][j] = dp(acc[i][j], xa[j], wb);
                if (exact) acc[i][j] = dp(acc[i][j], xb[j], wb);
            }
        }
    }
    // Lanes are tokens but y is token-major: transpose through a small buffer (a scatter per
    // accumulator measured a third slower on 640-column rows).
    float out[TILE_ROWS][2 * GROUP] __attribute__((aligned(64)));
    for (int i = 0; i < R; i++)
        for (int j = 0; j < NB; j++) _mm512_store_ps(out[i] + j * GROUP, acc[i][j]);
    int64_t t0 = group * GROUP, n = tokens - t0 < NB * GROUP ? tokens - t0 : NB * GROUP;
    for (int64_t t = 0; t < n; t++)
        for (int i = 0; i < R; i++) y[(t0 + t) * ldy + r + i] = out[i][t];
}

// Rows [r, r + R·n) in tiles of R rows; for each tile every token group, so the tile's weights are
// read from memory once and stay in L1 while the (small, L2-resident) packed activations stream by.
__attribute__((target("avx512f,avx512bw,avx512bf16"), always_inline))
static inline int64_t row_tiles(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, float *y, int64_t ldy,
                                int64_t r, int64_t r1, int R, int exact, int64_t tokens, int64_t cols) {
    const int64_t groups = (tokens + GROUP - 1) / GROUP;
    for (; r + R <= r1; r += R) {
        // The rows after this tile, even past r1: they usually start the next chunk (of this or the other
        // core, which then finds them in cache); a prefetch past the matrix's end is harmless.
        const uint16_t *next = w + (r + R) * cols;
        int64_t g = 0;
        for (; g + 2 <= groups; g += 2) tile(w, xh, xl, y, ldy, r, R, g, 2, exact, tokens, cols, g == 0 ? next : NULL);
        if (g < groups) tile(w, xh, xl, y, ldy, r, R, g, 1, exact, tokens, cols, g == 0 ? next : NULL);
    }
    return r;
}

__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void matmul_avx512bf16(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, float *y, int64_t ldy,
                              int64_t r0, int64_t r1, int64_t tokens, int64_t cols) {
    int64_t r = r0;
    if (xl) {
        r = row_tiles(w, xh, xl, y, ldy, r, r1, TILE_ROWS, 1, tokens, cols);
        r = row_tiles(w, xh, xl, y, ldy, r, r1, 4, 1, tokens, cols);
        row_tiles(w, xh, xl, y, ldy, r, r1, 1, 1, tokens, cols);
    } else {
        r = row_tiles(w, xh, xl, y, ldy, r, r1, TILE_ROWS, 0, tokens, cols);
        r = row_tiles(w, xh, xl, y, ldy, r, r1, 4, 0, tokens, cols);
        row_tiles(w, xh, xl, y, ldy, r, r1, 1, 0, tokens, cols);
    }
}

#endif

int64_t pk_matmul_tile_rows(void) {
    switch (pk_current_path()) {
    case PK_PATH_AVX512BF16: return pk_bf16_dot() ? TILE_ROWS : 32;  // matmul_avx512.c's panels
    case PK_PATH_AVX2:
    case PK_PATH_NEON: return 16;  // panels of 16 rows (matmul_avx2.c, matmul_neon.c)
    case PK_PATH_NEON_BF16: return 8;
    default: return TILE_ROWS;
    }
}

int64_t pk_matmul_invariant_tokens(void) {
    switch (pk_current_path()) {
#if defined(__x86_64__)
    // AVX512-BF16 too: a matrix of odd row length takes the f32 GEMM there, from the same count.
    case PK_PATH_AVX2:
    case PK_PATH_AVX512BF16: return MATMUL_AVX2_MIN_TOKENS;
#elif defined(__aarch64__)
    case PK_PATH_NEON: return MATMUL_NEON_MIN_TOKENS;
#endif
    default: return 1;  // every token through the same kernel whatever the count
    }
}

void pk_pack_bf16(const float *x, uint16_t *hi, uint16_t *lo, int64_t tokens, int64_t cols, int64_t group_begin,
                  int64_t group_end) {
#if defined(__x86_64__)
    if (pk_bf16_dot()) pack_avx512bf16(x, hi, lo, tokens, cols, group_begin, group_end);
#elif defined(__aarch64__) && defined(PK_NEON_BF16)
    if (pk_current_path() == PK_PATH_NEON_BF16) pack_neonbf16(x, hi, lo, tokens, cols, group_begin, group_end);
#endif
}

void pk_matmul_bf16(const uint16_t *w, const float *x, const uint16_t *xhi, const uint16_t *xlo,
                    float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens, int64_t cols) {
    pk_path path = pk_current_path();
#if defined(__x86_64__)
    if (path == PK_PATH_AVX512BF16 && cols % 2 == 0 && pk_bf16_dot()) {
        matmul_avx512bf16(w, xhi, xlo, y, ldy, r0, r1, tokens, cols);
        return;
    }
    if (path == PK_PATH_AVX512BF16 && !pk_bf16_dot() && tokens >= MATMUL_AVX2_MIN_TOKENS) {
        matmul_avx512(w, x, y, ldy, r0, r1, tokens, cols);
        return;
    }
    // An odd row length would make bf16 pairs straddle rows: such a matrix takes the exact f32 GEMM,
    // which every AVX512-BF16 CPU can run. Below one register tile of tokens, widening a panel costs
    // more than it saves (measured: the matvec per token is as fast up to ~6 tokens).
    if ((path == PK_PATH_AVX2 || path == PK_PATH_AVX512BF16) && tokens >= MATMUL_AVX2_MIN_TOKENS) {
        matmul_avx2(w, x, y, ldy, r0, r1, tokens, cols);
        return;
    }
#elif defined(__aarch64__)
#if defined(PK_NEON_BF16)
    if (path == PK_PATH_NEON_BF16) {
        matmul_neonbf16(w, xhi, xlo, y, ldy, r0, r1, tokens, cols);
        return;
    }
#endif
    if (path == PK_PATH_NEON && tokens >= MATMUL_NEON_MIN_TOKENS) {
        matmul_neon(w, x, y, ldy, r0, r1, tokens, cols);
        return;
    }
#endif
    (void)xhi;
    (void)xlo;
    // The portable reference (and few tokens on the f32 paths): the matvec kernel once per token, with
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
