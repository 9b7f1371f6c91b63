// Matrix × vector (decode): one row at a time, which measured best for streaming weights from memory.
#include "ckernels.h"
#include "internal.h"
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

// Decode reads each weight once, from memory: the loop is there to keep enough loads in flight.
// Eight independent accumulators over 64 weights (two cache lines) per step measured 92-94% of the
// read-bandwidth probe on a Zen 4, against 83-89% for two accumulators over 16; software prefetching
// inside the row made it worse (the hardware prefetcher already follows one row at a time).
__attribute__((target("avx2,fma")))
static void matvec_avx2(const uint16_t *w, const float *x, float *y, int64_t r0, int64_t r1, int64_t cols) {
    for (int64_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        __m256 a[8];
        for (int i = 0; i < 8; i++) a[i] = _mm256_setzero_ps();
        int64_t k = 0;
        for (; k + 64 <= cols; k += 64)
            for (int i = 0; i < 8; i++) a[i] = _mm256_fmadd_ps(widen8(row + k + 8 * i), _mm256_loadu_ps(x + k + 8 * i), a[i]);
        for (; k + 8 <= cols; k += 8) a[0] = _mm256_fmadd_ps(widen8(row + k), _mm256_loadu_ps(x + k), a[0]);
        for (int i = 0; i < 4; i++) a[i] = _mm256_add_ps(a[i], a[i + 4]);
        float s = hsum256(_mm256_add_ps(_mm256_add_ps(a[0], a[1]), _mm256_add_ps(a[2], a[3])));
        for (; k < cols; k++) s += bf16_to_f32(row[k]) * x[k];
        y[r] = s;
    }
}

// ---- AVX-512: matvec streams one row at a time (measured best for bandwidth), exact f32 math ----

__attribute__((target("avx512f,avx512bw")))
static void matvec_avx512(const uint16_t *w, const float *x, float *y, int64_t r0, int64_t r1, int64_t cols) {
    for (int64_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        int64_t k = 0;
        for (; k + 64 <= cols; k += 64) {
            __m512i v0 = _mm512_loadu_si512((const void *)(row + k));
            __m512i v1 = _mm512_loadu_si512((const void *)(row + k + 32));
            __m512 w0 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(v0)), 16));
            __m512 w1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(v0, 1)), 16));
            __m512 w2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(v1)), 16));
            __m512 w3 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(v1, 1)), 16));
            a0 = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + k), a0);
            a1 = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + k + 16), a1);
            a2 = _mm512_fmadd_ps(w2, _mm512_loadu_ps(x + k + 32), a2);
            a3 = _mm512_fmadd_ps(w3, _mm512_loadu_ps(x + k + 48), a3);
        }
        for (; k + 16 <= cols; k += 16) {
            __m256i h = _mm256_loadu_si256((const __m256i *)(row + k));
            __m512 wv = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
            a0 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + k), a0);
        }
        float s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
        for (; k < cols; k++) s += bf16_to_f32(row[k]) * x[k];
        y[r] = s;
    }
}

__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void matvec_avx512bf16(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, float *y, int64_t r0, int64_t r1, int64_t cols) {
    for (int64_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        int64_t k = 0;
        for (; k + 128 <= cols; k += 128) {
            __m512i w0 = _mm512_loadu_si512(row + k), w1 = _mm512_loadu_si512(row + k + 32);
            __m512i w2 = _mm512_loadu_si512(row + k + 64), w3 = _mm512_loadu_si512(row + k + 96);
            a0 = dp(dp(a0, _mm512_loadu_si512(xh + k), w0), _mm512_loadu_si512(xl + k), w0);
            a1 = dp(dp(a1, _mm512_loadu_si512(xh + k + 32), w1), _mm512_loadu_si512(xl + k + 32), w1);
            a2 = dp(dp(a2, _mm512_loadu_si512(xh + k + 64), w2), _mm512_loadu_si512(xl + k + 64), w2);
            a3 = dp(dp(a3, _mm512_loadu_si512(xh + k + 96), w3), _mm512_loadu_si512(xl + k + 96), w3);
        }
        for (; k < cols; k += 32) {
            __mmask32 m = cols - k >= 32 ? 0xFFFFFFFFu : ((1u << (cols - k)) - 1);
            __m512i wv = _mm512_maskz_loadu_epi16(m, row + k);
            a0 = dp(dp(a0, _mm512_maskz_loadu_epi16(m, xh + k), wv), _mm512_maskz_loadu_epi16(m, xl + k), wv);
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    }
}

// A few tokens at once (verifying drafted tokens): each weight row is loaded once for up to four
// tokens, and each token keeps its own four accumulators in exactly matvec_avx512bf16's order, so its
// outputs equal the one-token kernel's bit for bit while the products of different tokens overlap
// (one token alone waits on its chains of dependent products once the row is in cache).
__attribute__((target("avx512f,avx512bw,avx512bf16"), always_inline))
static inline void matvec_tokens_avx512bf16(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, int64_t ldx, float *y,
                                            int64_t ldy, int64_t r0, int64_t r1, const int T, int64_t cols) {
    for (int64_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        __m512 a[4][4];
        for (int t = 0; t < T; t++)
            for (int i = 0; i < 4; i++) a[t][i] = _mm512_setzero_ps();
        int64_t k = 0;
        for (; k + 128 <= cols; k += 128) {
            __m512i wv[4];
            for (int i = 0; i < 4; i++) wv[i] = _mm512_loadu_si512(row + k + 32 * i);
            for (int t = 0; t < T; t++)
                for (int i = 0; i < 4; i++)
                    a[t][i] = dp(dp(a[t][i], _mm512_loadu_si512(xh + t * ldx + k + 32 * i), wv[i]),
                                 _mm512_loadu_si512(xl + t * ldx + k + 32 * i), wv[i]);
        }
        for (; k < cols; k += 32) {
            __mmask32 m = cols - k >= 32 ? 0xFFFFFFFFu : ((1u << (cols - k)) - 1);
            __m512i wv = _mm512_maskz_loadu_epi16(m, row + k);
            for (int t = 0; t < T; t++)
                a[t][0] = dp(dp(a[t][0], _mm512_maskz_loadu_epi16(m, xh + t * ldx + k), wv), _mm512_maskz_loadu_epi16(m, xl + t * ldx + k), wv);
        }
        for (int t = 0; t < T; t++)
            y[t * ldy + r] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a[t][0], a[t][1]), _mm512_add_ps(a[t][2], a[t][3])));
    }
}

__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void matvec_group_avx512bf16(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, int64_t ldx, float *y, int64_t ldy,
                                    int64_t r0, int64_t r1, int T, int64_t cols) {
    switch (T) {
    case 1: matvec_tokens_avx512bf16(w, xh, xl, ldx, y, ldy, r0, r1, 1, cols); break;
    case 2: matvec_tokens_avx512bf16(w, xh, xl, ldx, y, ldy, r0, r1, 2, cols); break;
    case 3: matvec_tokens_avx512bf16(w, xh, xl, ldx, y, ldy, r0, r1, 3, cols); break;
    default: matvec_tokens_avx512bf16(w, xh, xl, ldx, y, ldy, r0, r1, 4, cols); break;
    }
}

#endif

void pk_matvec_bf16_tokens(const uint16_t *w, const float *x, float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens,
                           int64_t cols) {
#if defined(__x86_64__)
    if (pk_current_path() == PK_PATH_AVX512BF16 && tokens <= PK_MATVEC_MAX_TOKENS && cols <= 2048) {
        uint16_t xh[PK_MATVEC_MAX_TOKENS * 2048], xl[PK_MATVEC_MAX_TOKENS * 2048];
        for (int64_t t = 0; t < tokens; t++) pk_split_bf16(x + t * cols, xh + t * cols, xl + t * cols, cols);
        for (int64_t t = 0; t < tokens; t += 4) {
            int n = tokens - t < 4 ? (int)(tokens - t) : 4;
            matvec_group_avx512bf16(w, xh + t * cols, xl + t * cols, cols, y + t * ldy, ldy, r0, r1, n, cols);
        }
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
        if (cols <= 16384) {
            uint16_t xh[cols], xl[cols];
            pk_split_bf16(x, xh, xl, cols);
            matvec_avx512bf16(w, xh, xl, y, r0, r1, cols);
        } else {
            matvec_avx512(w, x, y, r0, r1, cols);
        }
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
