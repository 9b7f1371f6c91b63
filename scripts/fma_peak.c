// f32 FMA peak in GFLOP/s on 1 and N threads (default 2): 12 independent vfmadd231ps chains, enough to
// cover the FMA latency on every core seen so far, in ymm (AVX2) and, when the CPU has it, zmm
// (AVX-512) width; on arm64, 12 NEON fmla chains of 4 lanes. A prefill GEMM can go no faster than
// the width it uses, so this is its ceiling.
// Build: cc -O3 -pthread scripts/fma_peak.c -o /tmp/fma_peak; run: /tmp/fma_peak [threads]
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
#define STEPS 50000000L  // FMAs per chain and thread: ~0.25 s per measurement

static volatile float sink;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// acc = acc * m + a keeps each chain dependent on itself only; m < 1 and a small keep values finite.
#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static void *chains256(void *arg) {
    (void)arg;
    __m256 acc[CHAINS], m = _mm256_set1_ps(0.999f), a = _mm256_set1_ps(1e-3f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long s = 0; s < STEPS; s++)
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], m, a);
    __m256 t = acc[0];
    for (int i = 1; i < CHAINS; i++) t = _mm256_add_ps(t, acc[i]);
    sink = _mm256_cvtss_f32(t);
    return NULL;
}

__attribute__((target("avx512f"))) static void *chains512(void *arg) {
    (void)arg;
    __m512 acc[CHAINS], m = _mm512_set1_ps(0.999f), a = _mm512_set1_ps(1e-3f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long s = 0; s < STEPS; s++)
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
    __m512 t = acc[0];
    for (int i = 1; i < CHAINS; i++) t = _mm512_add_ps(t, acc[i]);
    sink = _mm512_reduce_add_ps(t);
    return NULL;
}
#elif defined(__aarch64__)
#include <arm_neon.h>

static void *chains128(void *arg) {
    (void)arg;
    float32x4_t acc[CHAINS], m = vdupq_n_f32(0.999f), a = vdupq_n_f32(1e-3f);
    for (int i = 0; i < CHAINS; i++) acc[i] = vdupq_n_f32((float)i);
    for (long s = 0; s < STEPS; s++)
        for (int i = 0; i < CHAINS; i++) acc[i] = vfmaq_f32(a, acc[i], m);
    float32x4_t t = acc[0];
    for (int i = 1; i < CHAINS; i++) t = vaddq_f32(t, acc[i]);
    sink = vaddvq_f32(t);
    return NULL;
}
#endif

// GFLOP/s of `threads` threads running `body` at once (2 flops per lane per FMA).
static double measure(void *(*body)(void *), int lanes, int threads) {
    pthread_t t[64];
    double t0 = now();
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, body, NULL);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    return 2.0 * lanes * CHAINS * STEPS * threads / (now() - t0) / 1e9;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > 64) { fprintf(stderr, "threads: 1 to 64\n"); return 64; }
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        printf("no AVX2 + FMA on this CPU\n");
        return 0;
    }
    printf("f32 FMA ymm (avx2): %.1f GFLOP/s on 1 thread, %.1f on %d\n", measure(chains256, 8, 1), measure(chains256, 8, threads), threads);
    if (__builtin_cpu_supports("avx512f"))
        printf("f32 FMA zmm (avx512): %.1f GFLOP/s on 1 thread, %.1f on %d\n", measure(chains512, 16, 1), measure(chains512, 16, threads), threads);
#elif defined(__aarch64__)
    printf("f32 FMA neon: %.1f GFLOP/s on 1 thread, %.1f on %d\n", measure(chains128, 4, 1), measure(chains128, 4, threads), threads);
#else
    printf("no FMA probe for this architecture\n");
#endif
    return 0;
}
