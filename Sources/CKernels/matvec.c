// Matrix × vector (decode): one row at a time, which measured best for streaming weights from memory.
#include "ckernels.h"
#include "internal.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>

// ---- portable reference ----

static void matvec_portable(const uint16_t *w, const float *x, float *y, int64_t r0, int64_t r1, int64_t cols) {
    for (int64_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        float acc[8] = {0};
        int64_t k = 0;
        for (; k + 8 <= cols; k += 8)
            for (int j = 0; j < 8; j++) acc[j] += bf16_to_f32(row[k + j]) * x[k + j];
        float s = 0;
        for (; k < cols; k++) s += bf16_to_f32(row[k]) * x[k];
        y[r] = s + ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    }
}

#if defined(__x86_64__)
// How far ahead of its loads a decode kernel prefetches its weight stream, in bytes. The rows of a
// matrix are contiguous, so this runs into the rows that follow. On a 2-core Intel Xeon (AVX512-BF16)
// the hardware prefetchers kept too few lines in flight for one stream per core: one-token decode of
// Gemma 3's output projection read 14-15 GB/s on two threads against the read probe's 24-25; with
// prefetching 2, 3, 4, 6 or 8 KB ahead it read 22-25 on both the AVX512-BF16 and the AVX2 kernels
// (0.5 KB: 17-19, 1 KB: 18-21). The several-token kernels, slower per row, need the far end: eight
// tokens took 33 ms (AVX512-BF16) and 28 ms (AVX2) at 8 KB, 40 and 43 ms at 4 KB, 39 and 52 without.
#define PREFETCH_AHEAD 8192

// ---- AVX2 + FMA: widen bf16 by shifting into the high half, f32 FMA ----

__attribute__((target("avx2,fma")))
static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma")))
static inline __m256 widen8(const uint16_t *p) {
    __m128i h = _mm_loadu_si128((const __m128i *)p);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

// The end of one row's product, shared by the one-token and the several-token kernels so both sum
// in exactly the same order: the eight chains folded pairwise, across lanes, then the last columns.
__attribute__((target("avx2,fma"), always_inline))
static inline float finish_row_avx2(__m256 a[8], const uint16_t *row, const float *x, int64_t k, int64_t cols) {
    for (int i = 0; i < 4; i++) a[i] = _mm256_add_ps(a[i], a[i + 4]);
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(a[0], a[1]), _mm256_add_ps(a[2], a[3])));
    for (; k < cols; k++) s += bf16_to_f32(row[k]) * x[k];
    return s;
}

// Decode reads each weight once, from memory: the loop is there to keep enough loads in flight.
// Eight independent accumulators over 64 weights (two cache lines) per step measured 92-94% of the
// read-bandwidth probe on a Zen 4, against 83-89% for two accumulators over 16; software prefetching
// a few lines ahead inside the row made it worse there, while on a Xeon prefetching PREFETCH_AHEAD
// bytes ahead took it from ~60% of the probe to ~95%.
// Chain i holds the products of columns 64s + 8i ... 64s + 8i + 7 over the steps s, then (chain 0)
// the 8-column steps after the last whole 64.
__attribute__((target("avx2,fma")))
static void matvec_avx2(const uint16_t *w, const float *x, float *y, int64_t r0, int64_t r1, int64_t cols) {
    for (int64_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        __m256 a[8];
        for (int i = 0; i < 8; i++) a[i] = _mm256_setzero_ps();
        int64_t k = 0;
        for (; k + 64 <= cols; k += 64) {
            _mm_prefetch((const char *)(row + k) + PREFETCH_AHEAD, _MM_HINT_T0);
            _mm_prefetch((const char *)(row + k) + PREFETCH_AHEAD + 64, _MM_HINT_T0);
            for (int i = 0; i < 8; i++) a[i] = _mm256_fmadd_ps(widen8(row + k + 8 * i), _mm256_loadu_ps(x + k + 8 * i), a[i]);
        }
        for (; k + 8 <= cols; k += 8) a[0] = _mm256_fmadd_ps(widen8(row + k), _mm256_loadu_ps(x + k), a[0]);
        y[r] = finish_row_avx2(a, row, x, k, cols);
    }
}

// Several tokens (batched sequences, drafted tokens) with the same eight chains per output as one
// token, so every token gets exactly the numbers of decoding it alone. Eight chains for each of eight
// tokens would need 64 registers; instead the row is walked once per group of G chains, with G × T
// accumulators live (at most 12, leaving registers for the G widened weight vectors), and each
// widened weight vector feeds all T tokens — the widening and the load are paid once per T products
// instead of once per product, as when the one-token kernel ran once per token. The finished chains
// wait in `part` until the row's eight are done. G is chosen so that G × T ≥ 6 chains are in flight
// (an FMA's latency is 4 cycles at two per cycle); six to eight tokens go as two sub-tiles of the same
// row, still in L1, since one tile of seven or eight tokens has room for only one chain group at a
// time. Measured on a Zen 3 core pair, Gemma 3's output projection from memory: eight tokens 28 ms
// against 16 ms for one (4.6× the tokens per second; 53 ms, 2.9×, with the one-token kernel per
// token), seven 27 ms (4.2×; 51 ms as one tile of seven with one chain group).
__attribute__((target("avx2,fma"), always_inline))
static inline void matvec_row_tokens_avx2(const uint16_t *row, const float *x, int64_t ldx, float *y, int64_t ldy, const int T,
                                          const int G, int64_t cols) {
    __m256 part[PK_MATVEC_MAX_TOKENS][8];
    const int64_t whole = cols / 64 * 64;
    for (int i0 = 0; i0 < 8; i0 += G) {
        __m256 a[4][PK_MATVEC_MAX_TOKENS];
        for (int g = 0; g < G; g++)
            for (int t = 0; t < T; t++) a[g][t] = _mm256_setzero_ps();
        for (int64_t k = 0; k < whole; k += 64) {
            // The first walk brings the row from memory; the later ones find it in L1.
            if (i0 == 0) {
                _mm_prefetch((const char *)(row + k) + PREFETCH_AHEAD, _MM_HINT_T0);
                _mm_prefetch((const char *)(row + k) + PREFETCH_AHEAD + 64, _MM_HINT_T0);
            }
            for (int g = 0; g < G; g++) {
                const int64_t c = k + 8 * (i0 + g);
                __m256 wv = widen8(row + c);
                for (int t = 0; t < T; t++) a[g][t] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + t * ldx + c), a[g][t]);
            }
        }
        if (i0 == 0)
            for (int64_t k = whole; k + 8 <= cols; k += 8) {
                __m256 wv = widen8(row + k);
                for (int t = 0; t < T; t++) a[0][t] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + t * ldx + k), a[0][t]);
            }
        for (int g = 0; g < G; g++)
            for (int t = 0; t < T; t++) part[t][i0 + g] = a[g][t];
    }
    const int64_t tail = whole + (cols - whole) / 8 * 8;
    for (int t = 0; t < T; t++) y[t * ldy] = finish_row_avx2(part[t], row, x + t * ldx, tail, cols);
}

__attribute__((target("avx2,fma")))
static void matvec_tokens_avx2(const uint16_t *w, const float *x, float *y, int64_t ldy, int64_t r0, int64_t r1, int T,
                               int64_t cols) {
#define PK_ROWS(T, G) for (int64_t r = r0; r < r1; r++) matvec_row_tokens_avx2(w + r * cols, x, cols, y + r, ldy, T, G, cols)
#define PK_ROWS2(T1, G1, T2, G2) for (int64_t r = r0; r < r1; r++) { \
        matvec_row_tokens_avx2(w + r * cols, x, cols, y + r, ldy, T1, G1, cols); \
        matvec_row_tokens_avx2(w + r * cols, x + T1 * cols, cols, y + T1 * ldy + r, ldy, T2, G2, cols); }
    switch (T) {
    case 2: PK_ROWS(2, 4); break;
    case 3: PK_ROWS(3, 2); break;
    case 4: PK_ROWS(4, 2); break;
    case 5: PK_ROWS(5, 2); break;
    case 6: PK_ROWS2(3, 2, 3, 2); break;
    case 7: PK_ROWS2(4, 2, 3, 2); break;
    default: PK_ROWS2(4, 2, 4, 2); break;
    }
#undef PK_ROWS
#undef PK_ROWS2
}


// ---- AVX-512 f32 FMAs on widened weights, where bf16 dot products are slow (pk_bf16_dot) ----
//
// Also the AVX512-BF16 path's one-token fallback for rows too long to split into bf16 halves. The AVX2 design with zmm registers: four chains of 16 lanes per output over 64 weights per step,
// chain i holding columns 64s + 16i ... 64s + 16i + 15, then (chain 0) the 16-column steps after the
// last whole 64; a several-token call walks each row once per group of G chains, each widened weight
// vector feeding all T tokens, and folds the chains as one token does, so both give the same bits.
__attribute__((target("avx512f"), always_inline))
static inline __m512 widen16(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}

__attribute__((target("avx512f"), always_inline))
static inline float finish_row_avx512f(__m512 a[4], const uint16_t *row, const float *x, int64_t k, int64_t cols) {
    float s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a[0], a[2]), _mm512_add_ps(a[1], a[3])));
    for (; k < cols; k++) s += bf16_to_f32(row[k]) * x[k];
    return s;
}

__attribute__((target("avx512f")))
static void matvec_avx512f(const uint16_t *w, const float *x, float *y, int64_t r0, int64_t r1, int64_t cols) {
    for (int64_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        __m512 a[4];
        for (int i = 0; i < 4; i++) a[i] = _mm512_setzero_ps();
        int64_t k = 0;
        for (; k + 64 <= cols; k += 64) {
            _mm_prefetch((const char *)(row + k) + PREFETCH_AHEAD, _MM_HINT_T0);
            _mm_prefetch((const char *)(row + k) + PREFETCH_AHEAD + 64, _MM_HINT_T0);
            for (int i = 0; i < 4; i++) a[i] = _mm512_fmadd_ps(widen16(row + k + 16 * i), _mm512_loadu_ps(x + k + 16 * i), a[i]);
        }
        for (; k + 16 <= cols; k += 16) a[0] = _mm512_fmadd_ps(widen16(row + k), _mm512_loadu_ps(x + k), a[0]);
        y[r] = finish_row_avx512f(a, row, x, k, cols);
    }
}

__attribute__((target("avx512f"), always_inline))
static inline void matvec_row_tokens_avx512f(const uint16_t *row, const float *x, int64_t ldx, float *y, int64_t ldy, const int T,
                                             const int G, int64_t cols) {
    __m512 part[PK_MATVEC_MAX_TOKENS][4];
    const int64_t whole = cols / 64 * 64;
    for (int i0 = 0; i0 < 4; i0 += G) {
        __m512 a[4][PK_MATVEC_MAX_TOKENS];
        for (int g = 0; g < G; g++)
            for (int t = 0; t < T; t++) a[g][t] = _mm512_setzero_ps();
        for (int64_t k = 0; k < whole; k += 64) {
            if (i0 == 0) {
                _mm_prefetch((const char *)(row + k) + PREFETCH_AHEAD, _MM_HINT_T0);
                _mm_prefetch((const char *)(row + k) + PREFETCH_AHEAD + 64, _MM_HINT_T0);
            }
            for (int g = 0; g < G; g++) {
                const int64_t c = k + 16 * (i0 + g);
                __m512 wv = widen16(row + c);
                for (int t = 0; t < T; t++) a[g][t] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + t * ldx + c), a[g][t]);
            }
        }
        if (i0 == 0)
            for (int64_t k = whole; k + 16 <= cols; k += 16) {
                __m512 wv = widen16(row + k);
                for (int t = 0; t < T; t++) a[0][t] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + t * ldx + k), a[0][t]);
            }
        for (int g = 0; g < G; g++)
            for (int t = 0; t < T; t++) part[t][i0 + g] = a[g][t];
    }
    const int64_t tail = whole + (cols - whole) / 16 * 16;
    for (int t = 0; t < T; t++) y[t * ldy] = finish_row_avx512f(part[t], row, x + t * ldx, tail, cols);
}

__attribute__((target("avx512f")))
static void matvec_tokens_avx512f(const uint16_t *w, const float *x, float *y, int64_t ldy, int64_t r0, int64_t r1, int T,
                                  int64_t cols) {
#define PK_ROWS(T, G) for (int64_t r = r0; r < r1; r++) matvec_row_tokens_avx512f(w + r * cols, x, cols, y + r, ldy, T, G, cols)
    switch (T) {
    case 2: PK_ROWS(2, 4); break;
    case 3: PK_ROWS(3, 4); break;
    case 4: PK_ROWS(4, 4); break;
    case 5: PK_ROWS(5, 4); break;
    case 6: PK_ROWS(6, 2); break;
    case 7: PK_ROWS(7, 2); break;
    default: PK_ROWS(8, 2); break;
    }
#undef PK_ROWS
}

// ---- AVX512-BF16: activations split into bf16 halves (hi + lo ≈ x to ~1e-6), two products per weight ----
//
// Every output, for one token or many, is one accumulator fed the row's 32-weight chunks in order, the
// hi product then the lo product of each, and summed across its lanes at the end. Because the order is
// fixed per output, decoding several tokens at once (batched sequences, drafted tokens) gives every
// token exactly the numbers of decoding it alone. What changes with the token count is only how many
// outputs share a loaded chunk: one token streams a row at a time, which keeps the hardware prefetcher
// on one stream (measured: four or eight rows at once read 7.8–8.6 GB/s from memory against 15.8 for
// one, on a Zen 4); several tokens take a tile of rows × tokens so each loaded weight chunk and each
// loaded activation chunk feed several products, as in a GEMM (in cache, eight tokens: 3.0 products/ns
// with two rows × eight tokens against 2.2 with one row × four, the loads being the limit).
__attribute__((target("avx512f,avx512bw,avx512bf16"), always_inline))
static inline void matvec_tile_avx512bf16(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, int64_t ldx, float *y,
                                          int64_t ldy, int64_t r, const int R, const int T, int64_t cols) {
    __m512 a[8][8];
    for (int i = 0; i < R; i++)
        for (int t = 0; t < T; t++) a[i][t] = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k + 32 <= cols; k += 32) {
        __m512i wv[8];
        for (int i = 0; i < R; i++) {
            wv[i] = _mm512_loadu_si512(w + (r + i) * cols + k);
            // A tile of many tokens takes long enough per row that the hardware prefetcher falls behind
            // (on a Zen 4 too, where four rows ahead took 65536 × 640 at eight tokens from 22.6 ms to 10.1).
            _mm_prefetch((const char *)(w + (r + i) * cols + k) + PREFETCH_AHEAD, _MM_HINT_T0);
        }
        for (int t = 0; t < T; t++) {
            __m512i h = _mm512_loadu_si512(xh + t * ldx + k), l = _mm512_loadu_si512(xl + t * ldx + k);
            for (int i = 0; i < R; i++) a[i][t] = dp(dp(a[i][t], h, wv[i]), l, wv[i]);
        }
    }
    if (k < cols) {
        __mmask32 m = (1u << (cols - k)) - 1;
        __m512i wv[8];
        for (int i = 0; i < R; i++) wv[i] = _mm512_maskz_loadu_epi16(m, w + (r + i) * cols + k);
        for (int t = 0; t < T; t++) {
            __m512i h = _mm512_maskz_loadu_epi16(m, xh + t * ldx + k), l = _mm512_maskz_loadu_epi16(m, xl + t * ldx + k);
            for (int i = 0; i < R; i++) a[i][t] = dp(dp(a[i][t], h, wv[i]), l, wv[i]);
        }
    }
    for (int i = 0; i < R; i++)
        for (int t = 0; t < T; t++) y[t * ldy + r + i] = _mm512_reduce_add_ps(a[i][t]);
}

// Rows r0..r1 for T ≤ 8 tokens: tiles of R rows (16 accumulators at most), the last rows one at a time.
#define PK_TILES(R, T)                                                                                                          \
    do {                                                                                                                        \
        int64_t r = r0;                                                                                                         \
        for (; r + (R) <= r1; r += (R)) matvec_tile_avx512bf16(w, xh, xl, ldx, y, ldy, r, R, T, cols);                          \
        for (; r < r1; r++) matvec_tile_avx512bf16(w, xh, xl, ldx, y, ldy, r, 1, T, cols);                                      \
    } while (0)

__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void matvec_avx512bf16(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, int64_t ldx, float *y, int64_t ldy,
                              int64_t r0, int64_t r1, int T, int64_t cols) {
    switch (T) {
    case 1: PK_TILES(1, 1); break;
    case 2: PK_TILES(8, 2); break;
    case 3: PK_TILES(4, 3); break;
    case 4: PK_TILES(4, 4); break;
    case 5: PK_TILES(2, 5); break;
    case 6: PK_TILES(2, 6); break;
    case 7: PK_TILES(2, 7); break;
    default: PK_TILES(2, 8); break;
    }
}
#undef PK_TILES

// The split halves of a pass's activations: per thread, grown to the largest pass seen (at most
// PK_MATVEC_MAX_TOKENS × 16384 × 2 halves, 512 KB), so a pass allocates nothing once warm.
static _Thread_local uint16_t *split_buffer;
static _Thread_local int64_t split_capacity;

static uint16_t *split_halves(const float *x, int64_t tokens, int64_t cols) {
    int64_t n = tokens * cols;
    if (n > split_capacity) {
        free(split_buffer);
        split_buffer = aligned_alloc(64, (size_t)(2 * n * 2 + 63) & ~(size_t)63);
        split_capacity = split_buffer ? n : 0;
        if (!split_buffer) return NULL;
    }
    for (int64_t t = 0; t < tokens; t++) pk_split_bf16(x + t * cols, split_buffer + t * cols, split_buffer + n + t * cols, cols);
    return split_buffer;
}

#endif

void pk_matvec_bf16_tokens(const uint16_t *w, const float *x, float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens,
                           int64_t cols) {
#if defined(__x86_64__)
    if (pk_current_path() == PK_PATH_AVX512BF16 && !pk_bf16_dot() && tokens <= PK_MATVEC_MAX_TOKENS) {
        if (tokens == 1) matvec_avx512f(w, x, y, r0, r1, cols);
        else matvec_tokens_avx512f(w, x, y, ldy, r0, r1, (int)tokens, cols);
        return;
    }
    if (pk_current_path() == PK_PATH_AVX512BF16 && tokens <= PK_MATVEC_MAX_TOKENS && cols <= 16384) {
        const uint16_t *halves = split_halves(x, tokens, cols);
        if (halves) {
            matvec_avx512bf16(w, halves, halves + tokens * cols, cols, y, ldy, r0, r1, (int)tokens, cols);
            return;
        }
    }
    if (pk_current_path() == PK_PATH_AVX2 && tokens >= 2 && tokens <= PK_MATVEC_MAX_TOKENS) {
        matvec_tokens_avx2(w, x, y, ldy, r0, r1, (int)tokens, cols);
        return;
    }
#endif
    // Elsewhere the one-token kernel per token, over blocks of rows that stay in cache between tokens.
    for (int64_t b = r0; b < r1; b += 32) {
        int64_t e = b + 32 < r1 ? b + 32 : r1;
        for (int64_t t = 0; t < tokens; t++) pk_matvec_bf16(w, x + t * cols, y + t * ldy, b, e, cols);
    }
}

void pk_matvec_bf16(const uint16_t *w, const float *x, float *y, int64_t r0, int64_t r1, int64_t cols) {
    switch (pk_current_path()) {
#if defined(__x86_64__)
    case PK_PATH_AVX512BF16:
        if (pk_bf16_dot() && cols <= 16384) {
            const uint16_t *halves = split_halves(x, 1, cols);
            if (halves) {
                matvec_avx512bf16(w, halves, halves + cols, cols, y, 0, r0, r1, 1, cols);
                break;
            }
        }
        // f32 FMAs: where bf16 dot products are slow, and for rows too long to split (or no memory to).
        matvec_avx512f(w, x, y, r0, r1, cols);
        break;
    case PK_PATH_AVX2: matvec_avx2(w, x, y, r0, r1, cols); break;
#elif defined(__aarch64__)
#if defined(PK_NEON_BF16)
    case PK_PATH_NEON_BF16:
        // The activations split into bf16 halves on the stack, as on AVX512-BF16 (up to 64 KB).
        if (cols <= 16384) {
            uint16_t xh[cols], xl[cols];
            pk_split_bf16(x, xh, xl, cols);
            matvec_neonbf16(w, xh, xl, x, y, r0, r1, cols);
            break;
        }
        matvec_neon(w, x, y, r0, r1, cols);
        break;
#endif
    case PK_PATH_NEON: matvec_neon(w, x, y, r0, r1, cols); break;
#endif
    default: matvec_portable(w, x, y, r0, r1, cols); break;
    }
}
