// Helpers shared by the kernel files: bf16 conversions; on x86 the bf16 dot-product step, a vectorized
// exp and tail masks; on arm64 a NEON exp and the arm64 kernels' entry points. Not part of the
// module's interface.
#ifndef PALMTOP_CKERNELS_INTERNAL_H
#define PALMTOP_CKERNELS_INTERNAL_H
#include "ckernels.h"
#include <stdint.h>
#include <string.h>

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

// Each architecture's vector kernels are compiled only for it; every other CPU runs the portable ones.
#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f,avx512bw,avx512bf16")))
static inline __m512 dp(__m512 acc, __m512i x, __m512i w) {
    return _mm512_dpbf16_ps(acc, (__m512bh)x, (__m512bh)w);
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

// exp512 in ymm width: 2^n from the exponent field (n ≥ −126 after the clamp, so never denormal).
__attribute__((target("avx2,fma")))
static inline __m256 exp256(__m256 x) {
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-87.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
}

// Lanes [0, remaining) set, for AVX2's masked loads and stores (8 lanes).
__attribute__((target("avx2")))
static inline __m256i tail_mask8(int64_t remaining) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int32_t n = remaining > 8 ? 8 : remaining < 0 ? 0 : (int32_t)remaining;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes);
}

static inline __mmask16 tail_mask(int64_t remaining) {
    return remaining >= 16 ? (__mmask16)0xFFFF : remaining <= 0 ? (__mmask16)0 : (__mmask16)((1u << remaining) - 1);
}

/// The AVX2 + FMA prefill GEMM (matmul_avx2.c): pk_matmul_bf16's contract, f32 activations only.
/// Worth its packing from this many tokens on (one full register tile).
#define MATMUL_AVX2_MIN_TOKENS 6
void matmul_avx2(const uint16_t *w, const float *x, float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens,
                 int64_t cols);
/// Widens rows r..r+nr of w, columns k0..k0+kc, to a [k][width] f32 panel, zero past nr (matmul_avx2.c).
void pack_panel_f32(const uint16_t *w, int64_t cols, int64_t r, int nr, int64_t k0, int64_t kc, float *panel, int width);
/// The AVX-512 f32 prefill GEMM (matmul_avx512.c), the same contract, for AVX-512 CPUs whose bf16 dot
/// products are slow (pk_bf16_dot); from the same token count on.
void matmul_avx512(const uint16_t *w, const float *x, float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens,
                   int64_t cols);
/// pk_attend on AVX2 + FMA (attention_avx2.c), with the public contract.
void attend_avx2(const float *q, int64_t qstride, int64_t tokens, int64_t heads, int64_t dim, const pk_kv_segment *seg,
                 const int64_t *counts, int64_t ks, int64_t vs, float scale, float *scores, float *out, int64_t ostride,
                 float *stats);

#elif defined(__aarch64__)
#include <arm_neon.h>

// The BF16 extension (BFDOT, BFMMLA, BFCVT) is optional in Armv8.6, so its functions carry a target
// attribute and run only when pk_best_path found it. Clang's arm_neon.h offers its bf16 intrinsics to
// such functions from LLVM 17 on; older clang builds (Apple's numbering included: it runs one behind)
// leave the path out rather than fail to compile.
#if defined(__clang__) && __clang_major__ >= 17
#define PK_NEON_BF16 1
#define TARGET_BF16 __attribute__((target("bf16")))
#elif !defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 10
#define PK_NEON_BF16 1
#define TARGET_BF16 __attribute__((target("arch=armv8.2-a+bf16")))
#endif

// exp(x) = 2^n · exp(r), r = x − n·ln2 in [−ln2/2, ln2/2]; degree-6 Taylor polynomial (|rel err| < 2e-7),
// 2^n built in the exponent field (n ≥ −126 after the clamp, so it is never denormal).
static inline float32x4_t exp_neon(float32x4_t x) {
    x = vmaxq_f32(vminq_f32(x, vdupq_n_f32(88.0f)), vdupq_n_f32(-87.0f));
    float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693145751953125f));
    r = vfmsq_f32(r, n, vdupq_n_f32(1.428606765330187045e-06f));
    float32x4_t p = vdupq_n_f32(1.0f / 720);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 120), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 24), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 6), p, r);
    p = vfmaq_f32(vdupq_n_f32(0.5f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    int32x4_t scale = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
    return vmulq_f32(p, vreinterpretq_f32_s32(scale));
}

// bf16 → f32 is a 16-bit shift into the high half: the low and high four of eight values.
static inline float32x4_t widen_low(uint16x8_t v) { return vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(v), 16)); }
static inline float32x4_t widen_high(uint16x8_t v) { return vreinterpretq_f32_u32(vshll_high_n_u16(v, 16)); }

/// arm64 kernels behind pk_matvec_bf16 (matvec_neon.c), pk_matmul_bf16 and pk_pack_bf16
/// (matmul_neon.c, matmul_neonbf16.c) and pk_attend (attention_neon.c), with the public contracts.
void matvec_neon(const uint16_t *w, const float *x, float *y, int64_t r0, int64_t r1, int64_t cols);
void matmul_neon(const uint16_t *w, const float *x, float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens,
                 int64_t cols);
/// Worth their packing from this many tokens on (below it, the matvec once per token is as fast).
#define MATMUL_NEON_MIN_TOKENS 4
#if defined(PK_NEON_BF16)
/// x (for the last cols % 8) and its split into bf16 halves xh + xl (pk_split_bf16), `cols` long.
void matvec_neonbf16(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, const float *x, float *y, int64_t r0,
                     int64_t r1, int64_t cols);
void pack_neonbf16(const float *x, uint16_t *hi, uint16_t *lo, int64_t tokens, int64_t cols, int64_t g0, int64_t g1);
void matmul_neonbf16(const uint16_t *w, const uint16_t *xh, const uint16_t *xl, float *y, int64_t ldy, int64_t r0,
                     int64_t r1, int64_t tokens, int64_t cols);
#endif
void attend_neon(const float *q, int64_t qstride, int64_t tokens, int64_t heads, int64_t dim, const pk_kv_segment *seg,
                 const int64_t *counts, int64_t ks, int64_t vs, float scale, float *scores, float *out, int64_t ostride,
                 float *stats);
/// pk_gated_activation, and pk_logsumexp_entropy's sums given the row's largest logit (activations_neon.c).
void gated_neon(float *gate, const float *up, int64_t n, int gelu);
void lse_entropy_neon(const float *l, int64_t n, float mx, double *sum, double *weighted);
#endif

#endif
