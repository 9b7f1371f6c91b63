#include "ckernels.h"
#include "attention_internal.h"
#include <string.h>
#include <math.h>

// ---- attention: every query row that shares one KV head reads each key and value once ----
// Keys are stored transposed in blocks of 16 positions (one row of 16 per head dimension), so the
// scores of 16 positions are one FMA per dimension with no horizontal sums, and a block's keys are one
// contiguous run of memory (decode reads them once per token, straight from DRAM). The query rows of a
// call — the heads of a group, for one or two consecutive tokens of a prompt — share each loaded key
// and value vector. Rows are taken up to 8 at a time so the accumulators stay in registers.

#if defined(__x86_64__)
// Scores of R query rows against n positions (B blocks of 16 positions per step; `ks` floats from
// one key block to the next).
__attribute__((target("avx512f"), always_inline))
static inline void scores_rows(const int R, const int B, const float *const *qrow, int64_t dim, const float *kt, int64_t ks,
                               int64_t n, float scale, float *scores, int64_t sstride) {
    for (int64_t j = 0; j < n; j += 16 * B) {
        __mmask16 m[4];
        for (int b = 0; b < B; b++) m[b] = tail_mask(n - j - 16 * b);
        __m512 acc[MAX_ROWS][4];
        for (int r = 0; r < R; r++)
            for (int b = 0; b < B; b++) acc[r][b] = _mm512_setzero_ps();
        const float *block = kt + (j / 16) * ks;
        for (int64_t i = 0; i < dim; i++) {
            __m512 kv[4];
            for (int b = 0; b < B; b++) kv[b] = _mm512_maskz_loadu_ps(m[b], block + b * ks + i * 16);
            for (int r = 0; r < R; r++) {
                __m512 qb = _mm512_set1_ps(qrow[r][i]);
                for (int b = 0; b < B; b++) acc[r][b] = _mm512_fmadd_ps(qb, kv[b], acc[r][b]);
            }
        }
        __m512 sc = _mm512_set1_ps(scale);
        for (int r = 0; r < R; r++)
            for (int b = 0; b < B; b++) _mm512_mask_storeu_ps(scores + r * sstride + j + 16 * b, m[b], _mm512_mul_ps(acc[r][b], sc));
    }
}

// out[r] (+)= Σ_j p[r][j] · v[j] for R rows over n positions (B vectors of 16 dimensions per step).
__attribute__((target("avx512f"), always_inline))
static inline void values_rows(const int R, const int B, const float *p, int64_t pstride, int64_t n, const float *v, int64_t vs,
                               int64_t dim, float *const *orow, int accumulate) {
    for (int64_t d = 0; d < dim; d += 16 * B) {
        __mmask16 m[4];
        for (int b = 0; b < B; b++) m[b] = tail_mask(dim - d - 16 * b);
        __m512 acc[MAX_ROWS][4];
        for (int r = 0; r < R; r++)
            for (int b = 0; b < B; b++)
                acc[r][b] = accumulate ? _mm512_maskz_loadu_ps(m[b], orow[r] + d + 16 * b) : _mm512_setzero_ps();
        for (int64_t j = 0; j < n; j++) {
            const float *row = v + j * vs + d;
            __m512 vv[4];
            for (int b = 0; b < B; b++) vv[b] = _mm512_maskz_loadu_ps(m[b], row + 16 * b);
            for (int r = 0; r < R; r++) {
                __m512 pb = _mm512_set1_ps(p[r * pstride + j]);
                for (int b = 0; b < B; b++) acc[r][b] = _mm512_fmadd_ps(pb, vv[b], acc[r][b]);
            }
        }
        for (int r = 0; r < R; r++)
            for (int b = 0; b < B; b++) _mm512_mask_storeu_ps(orow[r] + d + 16 * b, m[b], acc[r][b]);
    }
}

__attribute__((target("avx512f")))
static void attend_avx512(const float *q, int64_t qstride, int64_t tokens, int64_t heads, int64_t dim,
                          const pk_kv_segment *seg, const int64_t *counts, int64_t ks, int64_t vs, float scale,
                          float *scores, float *out, int64_t ostride, float *stats) {
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
        int64_t offset = 0;
        for (int k = 0; k < 2; k++) {
            if (seg[k].n == 0) continue;
#define SCORES(RR, BB) scores_rows(RR, BB, qrow, dim, seg[k].keys, ks, seg[k].n, scale, scores + offset, n)
            BY_ROWS(R, SCORES)
            offset += seg[k].n;
        }
        for (int r = 0; r < R; r++)
            softmax_row_avx512(scores + r * n, seg[0].skip, counts[r / hc], n, stats ? stats + 2 * ((r / hc) * heads + h0 + r % hc) : NULL);
        offset = seg[0].skip;
        for (int k = 0; k < 2; k++) {
            int64_t from = k == 0 ? seg[0].skip : 0;
            if (seg[k].n - from <= 0) { offset += seg[k].n - from; continue; }
            int acc = k > 0 && seg[0].n > seg[0].skip;
#define VALUES(RR, BB) values_rows(RR, BB, scores + offset, n, seg[k].n - from, seg[k].values + from * vs, vs, dim, orow, acc)
            BY_ROWS(R, VALUES)
            offset += seg[k].n - from;
        }
    }
}

#endif

static void attend_portable(const float *q, int64_t qstride, int64_t tokens, int64_t heads, int64_t dim,
                            const pk_kv_segment *seg, const int64_t *counts, int64_t ks, int64_t vs, float scale,
                            float *scores, float *out, int64_t ostride, float *stats) {
    for (int64_t t = 0; t < tokens; t++)
        for (int64_t h = 0; h < heads; h++) {
            const float *qh = q + t * qstride + h * dim;
            float *oh = out + t * ostride + h * dim, *s = scores;
            int64_t n = counts[t], skip = seg[0].skip, j = 0;
            float mx = -INFINITY;
            for (int k = 0; k < 2; k++)
                for (int64_t c = 0; c < seg[k].n && j < n; c++, j++) {
                    if (j < skip) continue;
                    float acc = 0;
                    for (int64_t i = 0; i < dim; i++) acc += qh[i] * seg[k].keys[(c / 16) * ks + i * 16 + c % 16];
                    s[j] = acc * scale;
                    if (s[j] > mx) mx = s[j];
                }
            float total = 0;
            for (j = skip; j < n; j++) { s[j] = expf(s[j] - mx); total += s[j]; }
            for (j = skip; j < n; j++) s[j] /= total;
            if (stats) { stats[2 * (t * heads + h)] = mx; stats[2 * (t * heads + h) + 1] = total; }
            for (int64_t i = 0; i < dim; i++) oh[i] = 0;
            j = 0;
            for (int k = 0; k < 2; k++)
                for (int64_t c = 0; c < seg[k].n && j < n; c++, j++)
                    if (j >= skip)
                        for (int64_t i = 0; i < dim; i++) oh[i] += s[j] * seg[k].values[c * vs + i];
        }
}

void pk_attend(const float *q, int64_t qstride, int64_t tokens, int64_t heads, int64_t dim, const pk_kv_segment *segments,
               const int64_t *counts, int64_t ks, int64_t vs, float scale, float *scores, float *out, int64_t ostride,
               float *stats) {
    pk_path path = pk_current_path();
#if defined(__x86_64__)
    if (path == PK_PATH_AVX512BF16) {
        attend_avx512(q, qstride, tokens, heads, dim, segments, counts, ks, vs, scale, scores, out, ostride, stats);
        return;
    }
    if (path == PK_PATH_AVX2) {
        attend_avx2(q, qstride, tokens, heads, dim, segments, counts, ks, vs, scale, scores, out, ostride, stats);
        return;
    }
#elif defined(__aarch64__)
    if (path == PK_PATH_NEON || path == PK_PATH_NEON_BF16) {
        attend_neon(q, qstride, tokens, heads, dim, segments, counts, ks, vs, scale, scores, out, ostride, stats);
        return;
    }
#endif
    (void)path;
    attend_portable(q, qstride, tokens, heads, dim, segments, counts, ks, vs, scale, scores, out, ostride, stats);
}
