// The innermost bf16 loops. Everything around them (threading, layout, dispatch) lives in Swift.
// Each fast path has the portable path beside it as its reference; tests compare them.
#include "ckernels.h"
#include <immintrin.h>
#include <string.h>
#include <math.h>

static pk_path g_path = (pk_path)-1;

pk_path pk_best_path(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f"))
        return PK_PATH_AVX512BF16;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return PK_PATH_AVX2;
    return PK_PATH_PORTABLE;
}

pk_path pk_current_path(void) {
    if ((int)g_path < 0) g_path = pk_best_path();
    return g_path;
}

pk_path pk_set_path(pk_path path) {
    pk_path best = pk_best_path();
    g_path = path > best ? best : path;
    return g_path;
}

static inline float bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint16_t f32_to_bf16(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if ((bits & 0x7fffffff) > 0x7f800000) return (uint16_t)((bits >> 16) | 0x40);
    return (uint16_t)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

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

__attribute__((target("avx2,fma")))
static void matvec_avx2(const uint16_t *w, const float *x, float *y, int64_t r0, int64_t r1, int64_t cols) {
    for (int64_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        int64_t k = 0;
        for (; k + 16 <= cols; k += 16) {
            a0 = _mm256_fmadd_ps(widen8(row + k), _mm256_loadu_ps(x + k), a0);
            a1 = _mm256_fmadd_ps(widen8(row + k + 8), _mm256_loadu_ps(x + k + 8), a1);
        }
        float s = hsum256(_mm256_add_ps(a0, a1));
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
static inline __m512 dp(__m512 acc, __m512i x, __m512i w) {
    return _mm512_dpbf16_ps(acc, (__m512bh)x, (__m512bh)w);
}

// With bf16 dot products a row needs no widening: the activations are split once into bf16 high and
// low halves and each 32-weight load feeds two `vdpbf16ps` (10 instructions per 128 bytes of
// weights instead of 18), which is what keeps one core near the memory bandwidth.
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

void pk_matvec_bf16(const uint16_t *w, const float *x, float *y, int64_t r0, int64_t r1, int64_t cols) {
    switch (pk_current_path()) {
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
    default: matvec_portable(w, x, y, r0, r1, cols); break;
    }
}

void pk_split_bf16(const float *x, uint16_t *hi, uint16_t *lo, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint16_t h = f32_to_bf16(x[i]);
        hi[i] = h;
        if (lo) lo[i] = f32_to_bf16(x[i] - bf16_to_f32(h));
    }
}

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


// exp(x) = 2^n · exp(r), r = x − n·ln2 in [−ln2/2, ln2/2]; degree-6 Taylor polynomial (|rel err| < 2e-7).
__attribute__((target("avx512f")))
static inline __m512 exp512(__m512 x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.0f)), _mm512_set1_ps(-88.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

// ---- attention: the query heads that share one KV head read each key and value once ----
// Keys are stored transposed (one row per head dimension, one column per position), so the scores
// of 16 positions are one FMA per dimension with no horizontal sums; the query heads of a group
// (up to 4 at a time) share each loaded key vector, and the weighted sum of values keeps its
// accumulators in registers across positions.

static inline __mmask16 tail_mask(int64_t remaining) {
    return remaining >= 16 ? (__mmask16)0xFFFF : remaining <= 0 ? (__mmask16)0 : (__mmask16)((1u << remaining) - 1);
}

__attribute__((target("avx512f"), always_inline))
static inline void scores_group(const int G, const float *q, int64_t dim, const float *kt, int64_t ks, int64_t n,
                                float scale, float *scores, int64_t sstride) {
    for (int64_t j = 0; j < n; j += 64) {
        __mmask16 m[4];
        for (int b = 0; b < 4; b++) m[b] = tail_mask(n - j - 16 * b);
        __m512 acc[4][4];
        for (int h = 0; h < G; h++)
            for (int b = 0; b < 4; b++) acc[h][b] = _mm512_setzero_ps();
        for (int64_t i = 0; i < dim; i++) {
            const float *row = kt + i * ks + j;
            __m512 kv[4];
            for (int b = 0; b < 4; b++) kv[b] = _mm512_maskz_loadu_ps(m[b], row + 16 * b);
            for (int h = 0; h < G; h++) {
                __m512 qb = _mm512_set1_ps(q[h * dim + i]);
                for (int b = 0; b < 4; b++) acc[h][b] = _mm512_fmadd_ps(qb, kv[b], acc[h][b]);
            }
        }
        __m512 sc = _mm512_set1_ps(scale);
        for (int h = 0; h < G; h++)
            for (int b = 0; b < 4; b++) _mm512_mask_storeu_ps(scores + h * sstride + j + 16 * b, m[b], _mm512_mul_ps(acc[h][b], sc));
    }
}

__attribute__((target("avx512f"), always_inline))
static inline void weighted_values_group(const int G, const float *p, int64_t pstride, int64_t n, const float *v, int64_t vs,
                                         int64_t dim, float *out, int accumulate) {
    for (int64_t d = 0; d < dim; d += 64) {
        __mmask16 m[4];
        for (int b = 0; b < 4; b++) m[b] = tail_mask(dim - d - 16 * b);
        __m512 acc[4][4];
        for (int h = 0; h < G; h++)
            for (int b = 0; b < 4; b++)
                acc[h][b] = accumulate ? _mm512_maskz_loadu_ps(m[b], out + h * dim + d + 16 * b) : _mm512_setzero_ps();
        for (int64_t j = 0; j < n; j++) {
            const float *row = v + j * vs + d;
            __m512 vv[4];
            for (int b = 0; b < 4; b++) vv[b] = _mm512_maskz_loadu_ps(m[b], row + 16 * b);
            for (int h = 0; h < G; h++) {
                __m512 pb = _mm512_set1_ps(p[h * pstride + j]);
                for (int b = 0; b < 4; b++) acc[h][b] = _mm512_fmadd_ps(pb, vv[b], acc[h][b]);
            }
        }
        for (int h = 0; h < G; h++)
            for (int b = 0; b < 4; b++) _mm512_mask_storeu_ps(out + h * dim + d + 16 * b, m[b], acc[h][b]);
    }
}

__attribute__((target("avx512f")))
static void softmax_rows_avx512(float *s, int64_t rows, int64_t n) {
    for (int64_t r = 0; r < rows; r++) {
        float *x = s + r * n;
        __m512 mv = _mm512_set1_ps(-INFINITY);
        for (int64_t j = 0; j < n; j += 16) mv = _mm512_max_ps(mv, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail_mask(n - j), x + j));
        __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(mv));
        __m512 sum = _mm512_setzero_ps();
        for (int64_t j = 0; j < n; j += 16) {
            __mmask16 m = tail_mask(n - j);
            __m512 e = _mm512_maskz_mov_ps(m, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + j), mx)));
            _mm512_mask_storeu_ps(x + j, m, e);
            sum = _mm512_add_ps(sum, e);
        }
        __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
        for (int64_t j = 0; j < n; j += 16) {
            __mmask16 m = tail_mask(n - j);
            _mm512_mask_storeu_ps(x + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + j), inv));
        }
    }
}

// The window may wrap around a ring buffer, so positions come as two segments (the second may be empty).
__attribute__((target("avx512f")))
static void attend_group_avx512(const float *q, int64_t heads, int64_t dim, const pk_kv_segment *seg, int64_t ks, int64_t vs,
                                float scale, float *scores, float *out) {
    int64_t n = seg[0].n + seg[1].n;
    for (int64_t h0 = 0; h0 < heads; h0 += 4) {
        int g = heads - h0 < 4 ? (int)(heads - h0) : 4;
        const float *qh = q + h0 * dim;
        float *sh = scores + h0 * n, *oh = out + h0 * dim;
        int64_t offset = 0;
        for (int k = 0; k < 2; k++) {
            if (seg[k].n == 0) continue;
            // Constant group sizes let the compiler keep every accumulator in a register.
            switch (g) {
            case 1: scores_group(1, qh, dim, seg[k].keys, ks, seg[k].n, scale, sh + offset, n); break;
            case 2: scores_group(2, qh, dim, seg[k].keys, ks, seg[k].n, scale, sh + offset, n); break;
            case 3: scores_group(3, qh, dim, seg[k].keys, ks, seg[k].n, scale, sh + offset, n); break;
            default: scores_group(4, qh, dim, seg[k].keys, ks, seg[k].n, scale, sh + offset, n); break;
            }
            offset += seg[k].n;
        }
        softmax_rows_avx512(sh, g, n);
        offset = 0;
        for (int k = 0; k < 2; k++) {
            if (seg[k].n == 0) continue;
            int acc = offset > 0;
            switch (g) {
            case 1: weighted_values_group(1, sh + offset, n, seg[k].n, seg[k].values, vs, dim, oh, acc); break;
            case 2: weighted_values_group(2, sh + offset, n, seg[k].n, seg[k].values, vs, dim, oh, acc); break;
            case 3: weighted_values_group(3, sh + offset, n, seg[k].n, seg[k].values, vs, dim, oh, acc); break;
            default: weighted_values_group(4, sh + offset, n, seg[k].n, seg[k].values, vs, dim, oh, acc); break;
            }
            offset += seg[k].n;
        }
    }
}

static void attend_group_portable(const float *q, int64_t heads, int64_t dim, const pk_kv_segment *seg, int64_t ks, int64_t vs,
                                  float scale, float *scores, float *out) {
    int64_t n = seg[0].n + seg[1].n;
    for (int64_t h = 0; h < heads; h++) {
        float *s = scores + h * n;
        float mx = -INFINITY;
        int64_t j = 0;
        for (int k = 0; k < 2; k++)
            for (int64_t c = 0; c < seg[k].n; c++, j++) {
                float acc = 0;
                for (int64_t i = 0; i < dim; i++) acc += q[h * dim + i] * seg[k].keys[i * ks + c];
                s[j] = acc * scale;
                if (s[j] > mx) mx = s[j];
            }
        float total = 0;
        for (j = 0; j < n; j++) { s[j] = expf(s[j] - mx); total += s[j]; }
        for (j = 0; j < n; j++) s[j] /= total;
        for (int64_t i = 0; i < dim; i++) out[h * dim + i] = 0;
        j = 0;
        for (int k = 0; k < 2; k++)
            for (int64_t c = 0; c < seg[k].n; c++, j++)
                for (int64_t i = 0; i < dim; i++) out[h * dim + i] += s[j] * seg[k].values[c * vs + i];
    }
}

void pk_attend_group(const float *q, int64_t heads, int64_t dim, const pk_kv_segment *segments, int64_t ks, int64_t vs,
                     float scale, float *scores, float *out) {
    if (pk_current_path() == PK_PATH_AVX512BF16) attend_group_avx512(q, heads, dim, segments, ks, vs, scale, scores, out);
    else attend_group_portable(q, heads, dim, segments, ks, vs, scale, scores, out);
}

// ---- gated activations: gate[i] = act(gate[i]) * up[i] ----
// Both are x·sigmoid(k·x): SiLU with k = 1, and the tanh form of GELU, since
// 0.5·x·(1 + tanh(u)) = x / (1 + exp(−2u)) with u = √(2/π)·(x + 0.044715·x³).


__attribute__((target("avx512f")))
static void gated_avx512(float *gate, const float *up, int64_t n, int gelu) {
    const __m512 one = _mm512_set1_ps(1.0f), c = _mm512_set1_ps(-2.0f * 0.7978845608028654f), k = _mm512_set1_ps(0.044715f);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 x = _mm512_loadu_ps(gate + i);
        __m512 z = gelu ? _mm512_mul_ps(c, _mm512_fmadd_ps(_mm512_mul_ps(k, x), _mm512_mul_ps(x, x), x)) : _mm512_sub_ps(_mm512_setzero_ps(), x);
        __m512 act = _mm512_div_ps(x, _mm512_add_ps(one, exp512(z)));
        _mm512_storeu_ps(gate + i, _mm512_mul_ps(act, _mm512_loadu_ps(up + i)));
    }
    for (; i < n; i++) {
        float x = gate[i];
        float z = gelu ? -2.0f * 0.7978845608028654f * (x + 0.044715f * x * x * x) : -x;
        gate[i] = x / (1.0f + expf(z)) * up[i];
    }
}

void pk_gated_activation(float *gate, const float *up, int64_t n, int gelu) {
    if (pk_current_path() == PK_PATH_AVX512BF16) { gated_avx512(gate, up, n, gelu); return; }
    for (int64_t i = 0; i < n; i++) {
        float x = gate[i];
        float z = gelu ? -2.0f * 0.7978845608028654f * (x + 0.044715f * x * x * x) : -x;
        gate[i] = x / (1.0f + expf(z)) * up[i];
    }
}

// ---- log-softmax statistics of a logit row: log Σ exp(l) and the entropy −Σ p·log p ----

__attribute__((target("avx512f")))
static void lse_entropy_avx512(const float *l, int64_t n, float mx, double *sum, double *weighted) {
    __m512 s = _mm512_setzero_ps(), w = _mm512_setzero_ps(), m = _mm512_set1_ps(mx);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(l + i), m);
        __m512 e = exp512(d);
        s = _mm512_add_ps(s, e);
        w = _mm512_fmadd_ps(e, d, w);
    }
    double ss = _mm512_reduce_add_ps(s), ww = _mm512_reduce_add_ps(w);
    for (; i < n; i++) { double d = l[i] - mx, e = exp(d); ss += e; ww += e * d; }
    *sum = ss;
    *weighted = ww;
}

void pk_logsumexp_entropy(const float *l, int64_t n, float *lse, float *entropy) {
    float mx = -INFINITY;
    for (int64_t i = 0; i < n; i++) if (l[i] > mx) mx = l[i];
    double sum = 0, weighted = 0;
    if (pk_current_path() == PK_PATH_AVX512BF16) {
        lse_entropy_avx512(l, n, mx, &sum, &weighted);
    } else {
        for (int64_t i = 0; i < n; i++) { double d = l[i] - mx, e = exp(d); sum += e; weighted += e * d; }
    }
    *lse = (float)(mx + log(sum));
    if (entropy) *entropy = (float)(log(sum) - weighted / sum);
}
