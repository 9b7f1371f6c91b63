#include "ckernels.h"
#include "internal.h"
#include <string.h>
#include <math.h>

// ---- gated activations: gate[i] = act(gate[i]) * up[i] ----
// Both are x·sigmoid(k·x): SiLU with k = 1, and the tanh form of GELU, since
// 0.5·x·(1 + tanh(u)) = x / (1 + exp(−2u)) with u = √(2/π)·(x + 0.044715·x³).

#if defined(__x86_64__)
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

// The same in ymm width: a prompt pass computes an FFN-width row of these per token and layer.
__attribute__((target("avx2,fma")))
static void gated_avx2(float *gate, const float *up, int64_t n, int gelu) {
    const __m256 one = _mm256_set1_ps(1.0f), c = _mm256_set1_ps(-2.0f * 0.7978845608028654f), k = _mm256_set1_ps(0.044715f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(gate + i);
        __m256 z = gelu ? _mm256_mul_ps(c, _mm256_fmadd_ps(_mm256_mul_ps(k, x), _mm256_mul_ps(x, x), x)) : _mm256_sub_ps(_mm256_setzero_ps(), x);
        __m256 act = _mm256_div_ps(x, _mm256_add_ps(one, exp256(z)));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(act, _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) {
        float x = gate[i];
        float z = gelu ? -2.0f * 0.7978845608028654f * (x + 0.044715f * x * x * x) : -x;
        gate[i] = x / (1.0f + expf(z)) * up[i];
    }
}
#endif

void pk_gated_activation(float *gate, const float *up, int64_t n, int gelu) {
#if defined(__x86_64__)
    if (pk_current_path() == PK_PATH_AVX512BF16) { gated_avx512(gate, up, n, gelu); return; }
    if (pk_current_path() == PK_PATH_AVX2) { gated_avx2(gate, up, n, gelu); return; }
#elif defined(__aarch64__)
    if (pk_current_path() != PK_PATH_PORTABLE) { gated_neon(gate, up, n, gelu); return; }
#endif
    for (int64_t i = 0; i < n; i++) {
        float x = gate[i];
        float z = gelu ? -2.0f * 0.7978845608028654f * (x + 0.044715f * x * x * x) : -x;
        gate[i] = x / (1.0f + expf(z)) * up[i];
    }
}

// ---- log-softmax statistics of a logit row: log Σ exp(l) and the entropy −Σ p·log p ----

#if defined(__x86_64__)
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

__attribute__((target("avx2,fma")))
static void lse_entropy_avx2(const float *l, int64_t n, float mx, double *sum, double *weighted) {
    __m256 s = _mm256_setzero_ps(), w = _mm256_setzero_ps(), m = _mm256_set1_ps(mx);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(l + i), m);
        __m256 e = exp256(d);
        s = _mm256_add_ps(s, e);
        w = _mm256_fmadd_ps(e, d, w);
    }
    float sl[8], wl[8];
    _mm256_storeu_ps(sl, s);
    _mm256_storeu_ps(wl, w);
    double ss = 0, ww = 0;
    for (int j = 0; j < 8; j++) { ss += sl[j]; ww += wl[j]; }
    for (; i < n; i++) { double d = l[i] - mx, e = exp(d); ss += e; ww += e * d; }
    *sum = ss;
    *weighted = ww;
}
#endif

void pk_logsumexp_entropy(const float *l, int64_t n, float *lse, float *entropy) {
    float mx = -INFINITY;
    for (int64_t i = 0; i < n; i++) if (l[i] > mx) mx = l[i];
    double sum = 0, weighted = 0;
    pk_path path = pk_current_path();
#if defined(__x86_64__)
    if (path == PK_PATH_AVX512BF16) lse_entropy_avx512(l, n, mx, &sum, &weighted);
    else if (path == PK_PATH_AVX2) lse_entropy_avx2(l, n, mx, &sum, &weighted);
    else
#elif defined(__aarch64__)
    if (path != PK_PATH_PORTABLE) lse_entropy_neon(l, n, mx, &sum, &weighted);
    else
#endif
        for (int64_t i = 0; i < n; i++) { double d = l[i] - mx, e = exp(d); sum += e; weighted += e * d; }
    (void)path;
    *lse = (float)(mx + log(sum));
    if (entropy) *entropy = (float)(log(sum) - weighted / sum);
}
