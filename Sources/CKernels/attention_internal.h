// What the f32 and bf16 attention kernels share: how many query rows a pass takes, the dispatch on
// that count, and the masked softmax. Not part of the module's interface.
#ifndef PALMTOP_CKERNELS_ATTENTION_INTERNAL_H
#define PALMTOP_CKERNELS_ATTENTION_INTERNAL_H
#include "internal.h"
#include <math.h>

// Query rows per pass: up to 8 keep every accumulator in a register.
#define MAX_ROWS 8

#if defined(__x86_64__)
// Softmax over entries [skip, count) of a row of `n`; the others (positions before the window or after
// this row's token) become 0 so the shared value pass can run over all of them. When `stats` is given,
// it receives the row's largest entry and Σ exp(entry − largest), to merge softmaxes of parts of a run.
__attribute__((target("avx512f")))
static inline void softmax_row_avx512(float *row, int64_t skip, int64_t count, int64_t n, float *stats) {
    for (int64_t j = 0; j < skip; j++) row[j] = 0;
    float *x = row + skip;
    count -= skip;
    n -= skip;
    __m512 mv = _mm512_set1_ps(-INFINITY);
    for (int64_t j = 0; j < count; j += 16) mv = _mm512_max_ps(mv, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail_mask(count - j), x + j));
    float largest = _mm512_reduce_max_ps(mv);
    __m512 mx = _mm512_set1_ps(largest);
    __m512 sum = _mm512_setzero_ps();
    for (int64_t j = 0; j < count; j += 16) {
        __mmask16 m = tail_mask(count - j);
        __m512 e = _mm512_maskz_mov_ps(m, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + j), mx)));
        _mm512_mask_storeu_ps(x + j, m, e);
        sum = _mm512_add_ps(sum, e);
    }
    float total = _mm512_reduce_add_ps(sum);
    if (stats) { stats[0] = largest; stats[1] = total; }
    __m512 inv = _mm512_set1_ps(1.0f / total);
    for (int64_t j = 0; j < count; j += 16) {
        __mmask16 m = tail_mask(count - j);
        _mm512_mask_storeu_ps(x + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + j), inv));
    }
    for (int64_t j = count; j < n; j++) x[j] = 0;
}
#endif

// Constant R (and B chosen from it) lets the compiler keep every accumulator in a register: up to 6
// rows take 4 vectors per step, 7–8 rows 2 (three would leave a third of a step idle at the end of
// every 256-wide head and of most rows of positions).
#define BY_ROWS(R, CALL)                         \
    switch (R) {                                 \
    case 1: CALL(1, 4); break;                   \
    case 2: CALL(2, 4); break;                   \
    case 3: CALL(3, 4); break;                   \
    case 4: CALL(4, 4); break;                   \
    case 5: CALL(5, 4); break;                   \
    case 6: CALL(6, 4); break;                   \
    case 7: CALL(7, 2); break;                   \
    default: CALL(8, 2); break;                  \
    }

#endif
