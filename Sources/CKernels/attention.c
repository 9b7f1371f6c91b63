#include "ckernels.h"
#include "internal.h"
#include <immintrin.h>
#include <string.h>
#include <math.h>

// ---- attention: the query heads that share one KV head read each key and value once ----
// Keys are stored transposed (one row per head dimension, one column per position), so the scores
// of 16 positions are one FMA per dimension with no horizontal sums; the query heads of a group
// (up to 4 at a time) share each loaded key vector, and the weighted sum of values keeps its
// accumulators in registers across positions.

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
