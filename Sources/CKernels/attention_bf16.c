#include "ckernels.h"
#include "attention_internal.h"
#include <string.h>

// ---- bf16 attention for fast prompt passes ----
// A prompt's attention is ~12% of its pass with f32 FMAs. `vdpbf16ps` does twice the products per
// instruction from half the bytes, but wants both operands as bf16 pairs along the summed axis: keys
// paired by dimension (16 positions × one pair per vector, as the f32 cache's blocks of 16 positions
// already are by dimension), values paired by position (one pair of positions × 16 dimensions per
// vector). Rather than keep a second cache, a pass copies the positions its batch sees once per layer
// into those layouts; that costs O(positions × dim), against O(tokens × positions × heads × dim) for
// the products it speeds up.

#define MAX_DIM 512  // head dimensions this path takes (the query rows are converted on the stack)

int64_t pk_kv_bf16_count(int64_t n, int64_t dim) { return (n + 15) / 16 * 16 * dim; }

// Logical position p of a two-segment run: the second segment continues where the first's n ends
// (a multiple of 16, since it runs to the end of a ring whose size is a multiple of 16).
static const float *key_block(const pk_kv_segment *seg, int64_t p, int64_t ks) {
    return p < seg[0].n ? seg[0].keys + (p / 16) * ks : seg[1].keys + ((p - seg[0].n) / 16) * ks;
}
static const float *value_row(const pk_kv_segment *seg, int64_t p, int64_t vs) {
    return p < seg[0].n ? seg[0].values + p * vs : seg[1].values + (p - seg[0].n) * vs;
}

#if defined(__x86_64__)
// Lane i of the result is the pair (a[i], b[i]) rounded to bf16: `vdpbf16ps`'s operand for a pair.
__attribute__((target("avx512f,avx512bw,avx512bf16"), always_inline))
static inline __m512i interleave_bf16(__m512 a, __m512 b) {
    static const uint16_t order[32] = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                       8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
    return _mm512_permutexvar_epi16(_mm512_loadu_si512(order), (__m512i)_mm512_cvtne2ps_pbh(b, a));
}

__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void pack_kv_avx512(const pk_kv_segment *seg, int64_t ks, int64_t vs, int64_t dim, int64_t b0, int64_t b1,
                           uint16_t *keys, uint16_t *values) {
    const int64_t n = seg[0].n + seg[1].n;
    for (int64_t b = b0; b < b1; b++) {
        const float *src = key_block(seg, 16 * b, ks);
        __mmask16 live = tail_mask(n - 16 * b);  // positions past the run may hold anything: store zeros
        int32_t *kout = (int32_t *)keys + b * 8 * dim;
        for (int64_t i = 0; i < dim / 2; i++) {
            __m512 even = _mm512_maskz_loadu_ps(live, src + 2 * i * 16), odd = _mm512_maskz_loadu_ps(live, src + (2 * i + 1) * 16);
            _mm512_storeu_si512(kout + i * 16, interleave_bf16(even, odd));
        }
        for (int64_t p = 16 * b; p < 16 * b + 16; p += 2) {
            const float *first = p < n ? value_row(seg, p, vs) : NULL, *second = p + 1 < n ? value_row(seg, p + 1, vs) : NULL;
            int32_t *vout = (int32_t *)values + (p / 2) * dim;
            for (int64_t d = 0; d < dim; d += 16) {
                __mmask16 m = tail_mask(dim - d);
                __m512 a = first ? _mm512_maskz_loadu_ps(m, first + d) : _mm512_setzero_ps();
                __m512 c = second ? _mm512_maskz_loadu_ps(m, second + d) : _mm512_setzero_ps();
                _mm512_mask_storeu_epi32(vout + d, m, interleave_bf16(a, c));
            }
        }
    }
}

#endif

// Every other path (arm64 included, whose engine never takes the bf16 attention) uses this copy.
static void pack_kv_portable(const pk_kv_segment *seg, int64_t ks, int64_t vs, int64_t dim, int64_t b0, int64_t b1,
                             uint16_t *keys, uint16_t *values) {
    const int64_t n = seg[0].n + seg[1].n;
    for (int64_t p = 16 * b0; p < 16 * b1; p++) {
        const float *block = p < n ? key_block(seg, p, ks) : NULL, *row = p < n ? value_row(seg, p, vs) : NULL;
        for (int64_t i = 0; i < dim; i++) {
            keys[(p / 16) * 16 * dim + (i / 2) * 32 + (p % 16) * 2 + i % 2] = block ? f32_to_bf16(block[i * 16 + p % 16]) : 0;
            values[(p / 2) * 2 * dim + i * 2 + p % 2] = row ? f32_to_bf16(row[i]) : 0;
        }
    }
}

void pk_pack_kv_bf16(const pk_kv_segment *segments, int64_t ks, int64_t vs, int64_t dim, int64_t block_begin,
                     int64_t block_end, uint16_t *keys, uint16_t *values) {
#if defined(__x86_64__)
    if (pk_current_path() == PK_PATH_AVX512BF16) {
        pack_kv_avx512(segments, ks, vs, dim, block_begin, block_end, keys, values);
        return;
    }
#endif
    pack_kv_portable(segments, ks, vs, dim, block_begin, block_end, keys, values);
}

#if defined(__x86_64__)
// Scores of R query rows (bf16 pairs) against n positions, B key blocks per step.
__attribute__((target("avx512f,avx512bw,avx512bf16"), always_inline))
static inline void scores_rows_bf16(const int R, const int B, const int32_t *const *qpairs, int64_t dim, const int32_t *keys,
                                    int64_t n, float scale, float *scores, int64_t sstride) {
    const int64_t block = 8 * dim;  // 32-bit pairs from one block of 16 positions to the next
    for (int64_t j = 0; j < n; j += 16 * B) {
        __mmask16 m[4];
        for (int b = 0; b < B; b++) m[b] = tail_mask(n - j - 16 * b);
        __m512 acc[MAX_ROWS][4];
        for (int r = 0; r < R; r++)
            for (int b = 0; b < B; b++) acc[r][b] = _mm512_setzero_ps();
        const int32_t *k = keys + (j / 16) * block;
        for (int64_t i = 0; i < dim / 2; i++) {
            __m512i kv[4];
            for (int b = 0; b < B; b++) kv[b] = _mm512_maskz_loadu_epi32(m[b], k + b * block + i * 16);
            for (int r = 0; r < R; r++) {
                __m512i qb = _mm512_set1_epi32(qpairs[r][i]);
                for (int b = 0; b < B; b++) acc[r][b] = dp(acc[r][b], kv[b], qb);
            }
        }
        __m512 sc = _mm512_set1_ps(scale);
        for (int r = 0; r < R; r++)
            for (int b = 0; b < B; b++) _mm512_mask_storeu_ps(scores + r * sstride + j + 16 * b, m[b], _mm512_mul_ps(acc[r][b], sc));
    }
}

// out[r] = Σ_P (p[r][2P], p[r][2P+1]) · (v[2P], v[2P+1]) over position pairs [p0, p1), B vectors of
// 16 dimensions per step.
__attribute__((target("avx512f,avx512bw,avx512bf16"), always_inline))
static inline void values_rows_bf16(const int R, const int B, const int32_t *probs, int64_t pstride, int64_t p0, int64_t p1,
                                    const int32_t *values, int64_t dim, float *const *orow) {
    for (int64_t d = 0; d < dim; d += 16 * B) {
        __mmask16 m[4];
        for (int b = 0; b < B; b++) m[b] = tail_mask(dim - d - 16 * b);
        __m512 acc[MAX_ROWS][4];
        for (int r = 0; r < R; r++)
            for (int b = 0; b < B; b++) acc[r][b] = _mm512_setzero_ps();
        for (int64_t p = p0; p < p1; p++) {
            __m512i vv[4];
            for (int b = 0; b < B; b++) vv[b] = _mm512_maskz_loadu_epi32(m[b], values + p * dim + d + 16 * b);
            for (int r = 0; r < R; r++) {
                __m512i pb = _mm512_set1_epi32(probs[r * pstride + p]);
                for (int b = 0; b < B; b++) acc[r][b] = dp(acc[r][b], vv[b], pb);
            }
        }
        for (int r = 0; r < R; r++)
            for (int b = 0; b < B; b++) _mm512_mask_storeu_ps(orow[r] + d + 16 * b, m[b], acc[r][b]);
    }
}

// Rounds a row of probabilities to bf16 in place: element j moves to bytes 2j, behind every float
// still to be read. Zeros up to the next pair of 16, so a trailing odd position pairs with 0.
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void probabilities_to_bf16(float *row, int64_t n) {
    uint16_t *out = (uint16_t *)row;
    for (int64_t j = 0; j < n; j += 32) {
        __m512 a = _mm512_maskz_loadu_ps(tail_mask(n - j), row + j), b = _mm512_maskz_loadu_ps(tail_mask(n - j - 16), row + j + 16);
        _mm512_storeu_si512(out + j, (__m512i)_mm512_cvtne2ps_pbh(b, a));
    }
}

__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void attend_bf16_avx512(const float *q, int64_t qstride, int64_t tokens, int64_t heads, int64_t dim, const uint16_t *keys,
                               const uint16_t *values, int64_t skip, const int64_t *counts, float scale, float *scores,
                               float *out, int64_t ostride) {
    const int64_t n = counts[tokens - 1];
    const int64_t sstride = (n + 31) / 32 * 32;  // floats per score row; whole 32s for the bf16 rounding
    const int64_t chunk = MAX_ROWS / tokens < heads ? MAX_ROWS / tokens : heads;
    int32_t qpairs[MAX_ROWS][MAX_DIM / 2];
    for (int64_t h0 = 0; h0 < heads; h0 += chunk) {
        int64_t hc = heads - h0 < chunk ? heads - h0 : chunk;
        int R = (int)(hc * tokens);
        const int32_t *qrow[MAX_ROWS];
        float *orow[MAX_ROWS];
        for (int r = 0; r < R; r++) {
            const float *qr = q + (r / hc) * qstride + (h0 + r % hc) * dim;
            for (int64_t i = 0; i < dim; i += 32)
                _mm512_mask_storeu_epi16((uint16_t *)qpairs[r] + i, (__mmask32)(dim - i >= 32 ? ~0u : (1u << (dim - i)) - 1),
                                         (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(tail_mask(dim - i - 16), qr + i + 16),
                                                                      _mm512_maskz_loadu_ps(tail_mask(dim - i), qr + i)));
            qrow[r] = qpairs[r];
            orow[r] = out + (r / hc) * ostride + (h0 + r % hc) * dim;
        }
#define SCORES_BF16(RR, BB) scores_rows_bf16(RR, BB, qrow, dim, (const int32_t *)keys, n, scale, scores, sstride)
        BY_ROWS(R, SCORES_BF16)
        for (int r = 0; r < R; r++) {
            softmax_row_avx512(scores + r * sstride, skip, counts[r / hc], n, NULL);
            probabilities_to_bf16(scores + r * sstride, n);
        }
        // Position pairs before the window's first hold zero probability: start at the pair of `skip`.
#define VALUES_BF16(RR, BB) values_rows_bf16(RR, BB, (const int32_t *)scores, sstride, skip / 2, (n + 1) / 2, (const int32_t *)values, dim, orow)
        BY_ROWS(R, VALUES_BF16)
    }
}

#endif

// The same roundings one product at a time: the reference the vector path is tested against, and
// the kernel of every path but AVX512-BF16.
static void attend_bf16_portable(const float *q, int64_t qstride, int64_t tokens, int64_t heads, int64_t dim, const uint16_t *keys,
                                 const uint16_t *values, int64_t skip, const int64_t *counts, float scale, float *scores,
                                 float *out, int64_t ostride) {
    for (int64_t t = 0; t < tokens; t++)
        for (int64_t h = 0; h < heads; h++) {
            const float *qh = q + t * qstride + h * dim;
            float *oh = out + t * ostride + h * dim, mx = -INFINITY, total = 0;
            int64_t n = counts[t];
            for (int64_t j = skip; j < n; j++) {
                float acc = 0;
                for (int64_t i = 0; i < dim; i++)
                    acc += bf16_to_f32(f32_to_bf16(qh[i])) * bf16_to_f32(keys[(j / 16) * 16 * dim + (i / 2) * 32 + (j % 16) * 2 + i % 2]);
                scores[j] = acc * scale;
                if (scores[j] > mx) mx = scores[j];
            }
            for (int64_t j = skip; j < n; j++) { scores[j] = expf(scores[j] - mx); total += scores[j]; }
            for (int64_t i = 0; i < dim; i++) oh[i] = 0;
            for (int64_t j = skip; j < n; j++) {
                float p = bf16_to_f32(f32_to_bf16(scores[j] / total));
                for (int64_t i = 0; i < dim; i++) oh[i] += p * bf16_to_f32(values[(j / 2) * 2 * dim + i * 2 + j % 2]);
            }
        }
}

void pk_attend_bf16(const float *q, int64_t qstride, int64_t tokens, int64_t heads, int64_t dim, const uint16_t *keys,
                    const uint16_t *values, int64_t skip, const int64_t *counts, float scale, float *scores, float *out,
                    int64_t ostride) {
#if defined(__x86_64__)
    if (pk_current_path() == PK_PATH_AVX512BF16 && dim <= MAX_DIM) {
        attend_bf16_avx512(q, qstride, tokens, heads, dim, keys, values, skip, counts, scale, scores, out, ostride);
        return;
    }
#endif
    attend_bf16_portable(q, qstride, tokens, heads, dim, keys, values, skip, counts, scale, scores, out, ostride);
}
