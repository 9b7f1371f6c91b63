// pk_attend on AVX2 + FMA, in the layout and order of the AVX-512 kernel (attention.c): every query
// row that shares a KV head reads each key and value once; keys come in blocks of 16 positions per
// dimension, so 16 scores are two FMAs per dimension with no horizontal sums. With 16 ymm registers,
// rows are taken 4 at a time (8 accumulators) within a pass of up to MAX_ROWS rows. Decode reads the
// whole cache through this kernel, and prompt passes spend ~10% of their products in it.
#include "attention_internal.h"
#if defined(__x86_64__)

#define ROWS 4  // query rows per register tile

// Scores of R query rows against one block of up to 16 positions (`left` of them exist; masked loads
// past the run, whose last block need not exist there).
__attribute__((target("avx2,fma"), always_inline))
static inline void scores_block(const int R, const float *const *qrow, int64_t dim, const float *block, int64_t left,
                                float scale, float *scores, int64_t sstride) {
    __m256i m0 = tail_mask8(left), m1 = tail_mask8(left - 8);
    int whole = left >= 16;
    __m256 acc[ROWS][2];
    for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int64_t i = 0; i < dim; i++) {
        __m256 k0 = whole ? _mm256_loadu_ps(block + i * 16) : _mm256_maskload_ps(block + i * 16, m0);
        __m256 k1 = whole ? _mm256_loadu_ps(block + i * 16 + 8) : _mm256_maskload_ps(block + i * 16 + 8, m1);
        for (int r = 0; r < R; r++) {
            __m256 qb = _mm256_broadcast_ss(qrow[r] + i);
            acc[r][0] = _mm256_fmadd_ps(qb, k0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(qb, k1, acc[r][1]);
        }
    }
    __m256 sc = _mm256_set1_ps(scale);
    for (int r = 0; r < R; r++) {
        float *s = scores + r * sstride;
        if (whole) {
            _mm256_storeu_ps(s, _mm256_mul_ps(acc[r][0], sc));
            _mm256_storeu_ps(s + 8, _mm256_mul_ps(acc[r][1], sc));
        } else {
            _mm256_maskstore_ps(s, m0, _mm256_mul_ps(acc[r][0], sc));
            _mm256_maskstore_ps(s + 8, m1, _mm256_mul_ps(acc[r][1], sc));
        }
    }
}

// out[r] (+)= Σ_{j<jn} p[r][j] · v[j] for R rows over jn ≤ 16 positions, 16 dimensions per step (masked at the end).
__attribute__((target("avx2,fma"), always_inline))
static inline void values_block(const int R, const float *p, int64_t pstride, int64_t jn, const float *v, int64_t vs, int64_t dim,
                                float *const *orow, int accumulate) {
    for (int64_t d = 0; d < dim; d += 16) {
        __m256i m0 = tail_mask8(dim - d), m1 = tail_mask8(dim - d - 8);
        int whole = dim - d >= 16;  // plain loads and stores then: AMD's masked ones are slower
        __m256 acc[ROWS][2];
        for (int r = 0; r < R; r++) {
            acc[r][0] = accumulate ? _mm256_maskload_ps(orow[r] + d, m0) : _mm256_setzero_ps();
            acc[r][1] = accumulate ? _mm256_maskload_ps(orow[r] + d + 8, m1) : _mm256_setzero_ps();
        }
        for (int64_t j = 0; j < jn; j++) {
            const float *row = v + j * vs + d;
            __m256 v0 = whole ? _mm256_loadu_ps(row) : _mm256_maskload_ps(row, m0);
            __m256 v1 = whole ? _mm256_loadu_ps(row + 8) : _mm256_maskload_ps(row + 8, m1);
            for (int r = 0; r < R; r++) {
                __m256 pb = _mm256_broadcast_ss(p + r * pstride + j);
                acc[r][0] = _mm256_fmadd_ps(pb, v0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(pb, v1, acc[r][1]);
            }
        }
        for (int r = 0; r < R; r++) {
            if (whole) {
                _mm256_storeu_ps(orow[r] + d, acc[r][0]);
                _mm256_storeu_ps(orow[r] + d + 8, acc[r][1]);
            } else {
                _mm256_maskstore_ps(orow[r] + d, m0, acc[r][0]);
                _mm256_maskstore_ps(orow[r] + d + 8, m1, acc[r][1]);
            }
        }
    }
}

// Softmax over entries [skip, count) of a row of n; the others become 0 (see softmax_row_avx512).
__attribute__((target("avx2,fma")))
static void softmax_row(float *row, int64_t skip, int64_t count, int64_t n, float *stats) {
    for (int64_t j = 0; j < skip; j++) row[j] = 0;
    float largest = -INFINITY;
    for (int64_t j = skip; j < count; j++) largest = row[j] > largest ? row[j] : largest;
    __m256 mx = _mm256_set1_ps(largest), sum = _mm256_setzero_ps();
    int64_t j = skip;
    for (; j + 8 <= count; j += 8) {
        __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(row + j), mx));
        _mm256_storeu_ps(row + j, e);
        sum = _mm256_add_ps(sum, e);
    }
    if (j < count) {
        __m256i m = tail_mask8(count - j);
        __m256 e = _mm256_and_ps(exp256(_mm256_sub_ps(_mm256_maskload_ps(row + j, m), mx)), _mm256_castsi256_ps(m));
        _mm256_maskstore_ps(row + j, m, e);
        sum = _mm256_add_ps(sum, e);
    }
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    float total = _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
    if (stats) { stats[0] = largest; stats[1] = total; }
    float inv = 1.0f / total;
    for (j = skip; j < count; j++) row[j] *= inv;
    for (j = count; j < n; j++) row[j] = 0;
}

#define BY_FOUR(R, CALL)          \
    switch (R) {                  \
    case 1: CALL(1); break;       \
    case 2: CALL(2); break;       \
    case 3: CALL(3); break;       \
    default: CALL(4); break;      \
    }

__attribute__((target("avx2,fma")))
void attend_avx2(const float *q, int64_t qstride, int64_t tokens, int64_t heads, int64_t dim, const pk_kv_segment *seg,
                 const int64_t *counts, int64_t ks, int64_t vs, float scale, float *scores, float *out, int64_t ostride,
                 float *stats) {
    int64_t n = seg[0].n + seg[1].n;
    int64_t chunk = MAX_ROWS / tokens < heads ? MAX_ROWS / tokens : heads;  // heads per pass
    for (int64_t h0 = 0; h0 < heads; h0 += chunk) {
        int64_t hc = heads - h0 < chunk ? heads - h0 : chunk;
        int R = (int)(hc * tokens);
        const float *qrow[MAX_ROWS];
        float *orow[MAX_ROWS];
        for (int r = 0; r < R; r++) {
            qrow[r] = q + (r / hc) * qstride + (h0 + r % hc) * dim;
            orow[r] = out + (r / hc) * ostride + (h0 + r % hc) * dim;
        }
        // Every row group takes a block of keys (16 KB at 256 dimensions) or values while it is in L1, so
        // the 8 rows of a pass read each from L2 once instead of once per group of 4.
        for (int k = 0; k < 2; k++)
            for (int64_t j = 0; j < seg[k].n; j += 16) {
                const float *block = seg[k].keys + (j / 16) * ks;
                float *s = scores + (k == 0 ? 0 : seg[0].n) + j;
                for (int r = 0; r < R; r += ROWS) {
#define SCORES(RR) scores_block(RR, qrow + r, dim, block, seg[k].n - j, scale, s + r * n, n)
                    BY_FOUR(R - r, SCORES)
                }
            }
        for (int r = 0; r < R; r++)
            softmax_row(scores + r * n, seg[0].skip, counts[r / hc], n, stats ? stats + 2 * ((r / hc) * heads + h0 + r % hc) : NULL);
        int64_t offset = seg[0].skip;
        int started = 0;
        for (int k = 0; k < 2; k++) {
            int64_t from = k == 0 ? seg[0].skip : 0;
            for (int64_t j = from; j < seg[k].n; j += 16) {
                int64_t jn = seg[k].n - j < 16 ? seg[k].n - j : 16;
                const float *block = seg[k].values + j * vs;
                for (int r = 0; r < R; r += ROWS) {
#define VALUES(RR) values_block(RR, scores + r * n + offset, n, jn, block, vs, dim, orow + r, started)
                    BY_FOUR(R - r, VALUES)
                }
                offset += jn;
                started = 1;
            }
        }
    }
}
#endif
