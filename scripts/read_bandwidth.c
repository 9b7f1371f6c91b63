// Main-memory read bandwidth with N threads (default 2): each streams its share of a 512 MiB buffer
// (huge pages, as Palmtop's weights) with AVX-512 loads; prints the median of 7 passes in GB/s.
// Decode can read weights no faster than this, so bandwidth ÷ bytes per token is its ceiling.
// Build: cc -O2 -pthread scripts/read_bandwidth.c -o /tmp/read_bandwidth; run: /tmp/read_bandwidth [threads]
#include <immintrin.h>
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

__attribute__((target("avx512f"))) static void *stream(void *arg) {
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

static int compare(const void *x, const void *y) { double a = *(const double *)x, b = *(const double *)y; return (a > b) - (a < b); }

int main(int argc, char **argv) {
    threads = argc > 1 ? atoi(argv[1]) : 2;
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
