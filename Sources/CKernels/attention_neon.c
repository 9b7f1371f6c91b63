// pk_attend on arm64 (both NEON paths), in the layout and order of the AVX-512 kernel (attention.c):
// every query row that shares a KV head reads each key and value once; keys come in blocks of 16
// positions per dimension, so 16 scores are four FMAs per dimension with no horizontal sums. NEON has
// 4 lanes, so rows are taken 4 at a time (16 accumulators) within a pass of up to MAX_ROWS rows.
// The bf16 attention (pk_attend_bf16, pk_pack_kv_bf16) runs the portable code on arm64: the engine
// uses it only on the AVX512-BF16 path.
#include "attention_internal.h"
#if defined(__aarch64__)

#define ROWS 4  // query rows per register tile

// Scores of R query rows against n positions (one block of 16 per step; `ks` floats between blocks).
// The last, partial block is done one position at a time: a block past the run need not exist.
__attribute__((always_inline))
static inline void scores_rows(const int R, const float *const *qrow, int64_t dim, const float *kt, int64_t ks, int64_t n,
                               float scale, float *scores, int64_t sstride) {
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
        float32x4_t acc[ROWS][4];
        for (int r = 0; r < R; r++)
            for (int b = 0; b < 4; b++) acc[r][b] = vdupq_n_f32(0);
        const float *block = kt + (j / 16) * ks;
        for (int64_t i = 0; i < dim; i++) {
            float32x4_t kv[4];
            for (int b = 0; b < 4; b++) kv[b] = vld1q_f32(block + i * 16 + 4 * b);
            for (int r = 0; r < R; r++)
                for (int b = 0; b < 4; b++) acc[r][b] = vfmaq_n_f32(acc[r][b], kv[b], qrow[r][i]);
        }
        for (int r = 0; r < R; r++)
            for (int b = 0; b < 4; b++) vst1q_f32(scores + r * sstride + j + 4 * b, vmulq_n_f32(acc[r][b], scale));
    }
    for (; j < n; j++) {
        const float *column = kt + (j / 16) * ks + j % 16;
        for (int r = 0; r < R; r++) {
            float acc = 0;
            for (int64_t i = 0; i < dim; i++) acc += qrow[r][i] * column[i * 16];
            scores[r * sstride + j] = acc * scale;
        }
    }
}

// out[r][d, d + 4V) (+)= Σ_j p[r][j] · v[j][d, d + 4V) for R rows over n positions.
__attribute__((always_inline))
static inline void values_chunk(const int R, const int V, const float *p, int64_t pstride, int64_t n, const float *v, int64_t vs,
                                int64_t d, float *const *orow, int accumulate) {
    float32x4_t acc[ROWS][4];
    for (int r = 0; r < R; r++)
        for (int b = 0; b < V; b++) acc[r][b] = accumulate ? vld1q_f32(orow[r] + d + 4 * b) : vdupq_n_f32(0);
    for (int64_t j = 0; j < n; j++) {
        float32x4_t vv[4];
        for (int b = 0; b < V; b++) vv[b] = vld1q_f32(v + j * vs + d + 4 * b);
        for (int r = 0; r < R; r++) {
            float pj = p[r * pstride + j];
            for (int b = 0; b < V; b++) acc[r][b] = vfmaq_n_f32(acc[r][b], vv[b], pj);
        }
    }
    for (int r = 0; r < R; r++)
        for (int b = 0; b < V; b++) vst1q_f32(orow[r] + d + 4 * b, acc[r][b]);
}

// Every dimension: 16 at a time, then 4, then the last dim % 4 one by one.
__attribute__((always_inline))
static inline void values_rows(const int R, const float *p, int64_t pstride, int64_t n, const float *v, int64_t vs, int64_t dim,
                               float *const *orow, int accumulate) {
    int64_t d = 0;
    for (; d + 16 <= dim; d += 16) values_chunk(R, 4, p, pstride, n, v, vs, d, orow, accumulate);
    for (; d + 4 <= dim; d += 4) values_chunk(R, 1, p, pstride, n, v, vs, d, orow, accumulate);
    for (; d < dim; d++)
        for (int r = 0; r < R; r++) {
            float acc = accumulate ? orow[r][d] : 0;
            for (int64_t j = 0; j < n; j++) acc += p[r * pstride + j] * v[j * vs + d];
            orow[r][d] = acc;
        }
}

// Softmax over entries [skip, count) of a row of n; the others become 0 (see softmax_row_avx512).
static void softmax_row(float *row, int64_t skip, int64_t count, int64_t n, float *stats) {
    for (int64_t j = 0; j < skip; j++) row[j] = 0;
    float largest = -INFINITY;
    for (int64_t j = skip; j < count; j++) largest = row[j] > largest ? row[j] : largest;
    float32x4_t mx = vdupq_n_f32(largest), sum = vdupq_n_f32(0);
    int64_t j = skip;
    for (; j + 4 <= count; j += 4) {
        float32x4_t e = exp_neon(vsubq_f32(vld1q_f32(row + j), mx));
        vst1q_f32(row + j, e);
        sum = vaddq_f32(sum, e);
    }
    float total = vaddvq_f32(sum);
    for (; j < count; j++) {
        float tail[4] = {row[j] - largest, 0, 0, 0};
        row[j] = vgetq_lane_f32(exp_neon(vld1q_f32(tail)), 0);
        total += row[j];
    }
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

void attend_neon(const float *q, int64_t qstride, int64_t tokens, int64_t heads, int64_t dim, const pk_kv_segment *seg,
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
        int64_t offset = 0;
        for (int k = 0; k < 2; k++) {
            if (seg[k].n == 0) continue;
            for (int r = 0; r < R; r += ROWS) {
#define SCORES(RR) scores_rows(RR, qrow + r, dim, seg[k].keys, ks, seg[k].n, scale, scores + r * n + offset, n)
                BY_FOUR(R - r, SCORES)
            }
            offset += seg[k].n;
        }
        for (int r = 0; r < R; r++)
            softmax_row(scores + r * n, seg[0].skip, counts[r / hc], n, stats ? stats + 2 * ((r / hc) * heads + h0 + r % hc) : NULL);
        offset = seg[0].skip;
        for (int k = 0; k < 2; k++) {
            int64_t from = k == 0 ? seg[0].skip : 0;
            if (seg[k].n - from <= 0) { offset += seg[k].n - from; continue; }
            int acc = k > 0 && seg[0].n > seg[0].skip;
            for (int r = 0; r < R; r += ROWS) {
#define VALUES(RR) values_rows(RR, scores + r * n + offset, n, seg[k].n - from, seg[k].values + from * vs, vs, dim, orow + r, acc)
                BY_FOUR(R - r, VALUES)
            }
            offset += seg[k].n - from;
        }
    }
}
#endif
