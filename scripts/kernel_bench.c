// Kernel throughput outside the model: the prefill GEMM in GFLOP/s on one core (weights hot in cache,
// and cold — 64 different copies in turn, as a model's layers are) and a decode matvec streaming a
// 262,144 × 640 bf16 matrix (Gemma 3's output projection) in GB/s on one core.
// Build and run from the repository root:
//   clang -O3 -ISources/CKernels/include -ISources/CKernels scripts/kernel_bench.c \
//     Sources/CKernels/{matmul,matvec,dispatch}.c -lm -o /tmp/kernel_bench && /tmp/kernel_bench
#include "ckernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void gemm(int64_t rows, int64_t cols, int64_t tokens, int exact) {
    const int copies = 64;
    uint16_t *w = aligned_alloc(1 << 21, (size_t)copies * rows * cols * 2);
    for (size_t i = 0; i < (size_t)copies * rows * cols; i++) w[i] = 0x3c00 + (i % 251);
    float *x = malloc(tokens * cols * 4), *y = malloc(rows * tokens * 4);
    for (int64_t i = 0; i < tokens * cols; i++) x[i] = (float)(i % 13) * 0.1f - 0.6f;
    int64_t packed = pk_packed_count(tokens, cols);
    uint16_t *hi = aligned_alloc(64, packed * 2), *lo = aligned_alloc(64, packed * 2);
    pk_pack_bf16(x, hi, exact ? lo : NULL, tokens, cols, 0, (tokens + 15) / 16);
    double flops = 2.0 * rows * cols * tokens * copies;
    double t0 = now();
    for (int c = 0; c < copies; c++) pk_matmul_bf16(w + (size_t)c * rows * cols, x, hi, exact ? lo : NULL, y, rows, 0, rows, tokens, cols);
    double t1 = now();
    for (int c = 0; c < copies; c++) pk_matmul_bf16(w, x, hi, exact ? lo : NULL, y, rows, 0, rows, tokens, cols);
    double t2 = now();
    printf("gemm %5lld x %5lld x %3lld %-5s  cold %6.1f GFLOP/s  hot %6.1f GFLOP/s\n", (long long)rows, (long long)cols,
           (long long)tokens, exact ? "exact" : "fast", flops / (t1 - t0) / 1e9, flops / (t2 - t1) / 1e9);
    free(w); free(x); free(y); free(hi); free(lo);
}

int main(void) {
    printf("kernel path %d (2 = avx512bf16)\n", (int)pk_current_path());
    gemm(2048, 640, 128, 0);   // Gemma 3 gate/up
    gemm(640, 2048, 128, 0);   // Gemma 3 down
    gemm(1536, 576, 128, 0);   // SmolLM2 gate/up
    gemm(576, 1536, 128, 0);   // SmolLM2 down
    gemm(2048, 640, 128, 1);
    int64_t rows = 262144, cols = 640;
    uint16_t *w = aligned_alloc(1 << 21, (size_t)rows * cols * 2);
    memset(w, 0x3c, (size_t)rows * cols * 2);
    float *x = malloc(cols * 4), *y = malloc(rows * 4);
    for (int64_t i = 0; i < cols; i++) x[i] = 0.01f * (float)i;
    pk_matvec_bf16(w, x, y, 0, rows, cols);
    double t0 = now();
    for (int r = 0; r < 5; r++) pk_matvec_bf16(w, x, y, 0, rows, cols);
    double t1 = now();
    printf("matvec %lld x %lld: %.1f GB/s on one core\n", (long long)rows, (long long)cols, 5.0 * rows * cols * 2 / (t1 - t0) / 1e9);
    return 0;
}
