// Main-memory read bandwidth with N threads (default 2): each streams its share of a 512 MiB buffer
// (huge pages, as Palmtop's weights) with AVX-512 loads, or AVX2 loads on CPUs without AVX-512 (the
// instruction set is picked at run time, so one binary runs on both), or NEON loads on arm64; prints
// the median of 7 passes in GB/s. Decode can read weights no faster than this, so bandwidth ÷ bytes per token is its ceiling.
// Build: cc -O2 -pthread scripts/read_bandwidth.c -o /tmp/read_bandwidth; run: /tmp/read_bandwidth [threads]
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static char *buffer;
static size_t size;
static int threads;
static volatile float sink;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static void *stream512(void *arg) {
    size_t share = size / threads;
    const char *p = buffer + (size_t)arg * share;
    __m512 a = _mm512_setzero_ps(), b = a, c = a, d = a;
    for (size_t i = 0; i < share; i += 256) {
        a = _mm512_add_ps(a, _mm512_load_ps((const float *)(p + i)));
        b = _mm512_add_ps(b, _mm512_load_ps((const float *)(p + i + 64)));
        c = _mm512_add_ps(c, _mm512_load_ps((const float *)(p + i + 128)));
        d = _mm512_add_ps(d, _mm512_load_ps((const float *)(p + i + 192)));
    }
    sink = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a, b), _mm512_add_ps(c, d)));
    return NULL;
}

// The same 256 bytes per step as eight 32-byte loads into four chains.
__attribute__((target("avx2"))) static void *stream256(void *arg) {
    size_t share = size / threads;
    const char *p = buffer + (size_t)arg * share;
    __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
    for (size_t i = 0; i < share; i += 256) {
        a = _mm256_add_ps(a, _mm256_add_ps(_mm256_load_ps((const float *)(p + i)), _mm256_load_ps((const float *)(p + i + 32))));
        b = _mm256_add_ps(b, _mm256_add_ps(_mm256_load_ps((const float *)(p + i + 64)), _mm256_load_ps((const float *)(p + i + 96))));
        c = _mm256_add_ps(c, _mm256_add_ps(_mm256_load_ps((const float *)(p + i + 128)), _mm256_load_ps((const float *)(p + i + 160))));
        d = _mm256_add_ps(d, _mm256_add_ps(_mm256_load_ps((const float *)(p + i + 192)), _mm256_load_ps((const float *)(p + i + 224))));
    }
    __m256 t = _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d));
    sink = _mm256_cvtss_f32(t);
    return NULL;
}
#elif defined(__aarch64__)
#include <arm_neon.h>

static void *stream128(void *arg) {
    size_t share = size / threads;
    const float *p = (const float *)(buffer + (size_t)arg * share);
    float32x4_t a = vdupq_n_f32(0), b = a, c = a, d = a;
    for (size_t i = 0; i < share / 4; i += 64) {
        for (int j = 0; j < 64; j += 16) {
            a = vaddq_f32(a, vld1q_f32(p + i + j));
            b = vaddq_f32(b, vld1q_f32(p + i + j + 4));
            c = vaddq_f32(c, vld1q_f32(p + i + j + 8));
            d = vaddq_f32(d, vld1q_f32(p + i + j + 12));
        }
    }
    sink = vaddvq_f32(vaddq_f32(vaddq_f32(a, b), vaddq_f32(c, d)));
    return NULL;
}
#endif

static int compare(const void *x, const void *y) { double a = *(const double *)x, b = *(const double *)y; return (a > b) - (a < b); }

int main(int argc, char **argv) {
    threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > 64) { fprintf(stderr, "threads: 1 to 64\n"); return 64; }
#if defined(__x86_64__)
    __builtin_cpu_init();
    void *(*stream)(void *) = __builtin_cpu_supports("avx512f") ? stream512 : __builtin_cpu_supports("avx2") ? stream256 : NULL;
    if (!stream) { fprintf(stderr, "read_bandwidth needs AVX2 or AVX-512 on x86\n"); return 1; }
#elif defined(__aarch64__)
    void *(*stream)(void *) = stream128;
#else
#error "read_bandwidth: x86-64 or arm64 only"
#endif
    size = (size_t)512 << 20;
    buffer = aligned_alloc(1 << 21, size);
    madvise(buffer, size, MADV_HUGEPAGE);
    memset(buffer, 1, size);
    double rates[7];
    for (int r = 0; r < 7; r++) {
        pthread_t t[64];
        double t0 = now();
        for (long i = 0; i < threads; i++) pthread_create(&t[i], NULL, stream, (void *)i);
        for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
        rates[r] = size / (now() - t0) / 1e9;
    }
    qsort(rates, 7, sizeof rates[0], compare);
    printf("%.1f\n", rates[3]);
    return 0;
}
