// Kernel throughput outside the model, on the path PALMTOP_KERNELS names (avx512bf16, avx2, portable,
// neon, neonbf16; default the best this CPU has, and never better than it has):
// - the prefill GEMM in GFLOP/s for the default models' shapes at 512 tokens, weights hot in cache
//   and cold (64 different copies in turn, as a model's layers are); on the bf16 dot-product paths
//   both the fast (activations rounded to bf16) and the exact (hi + lo) form;
// - a decode matvec streaming a 262,144 × 640 bf16 matrix (Gemma 3's output projection) in GB/s;
// - (`tokens`) the same matrix for 2 to 8 tokens at once, as batched decoding runs it;
// - one layer's prompt-pass attention (pk_attend, f32) of each default model at 512 tokens, in ms and
//   GFLOP/s, with the units (two tokens × one KV head) dealt round-robin over the threads as the engine does.
// Each is run on every thread count given (default 1 2): threads take 48-row chunks from a shared
// counter, as the engine does, so compare 2-thread figures with 2-thread probes (fma_peak.c,
// read_bandwidth.c).
// Build and run from the repository root:
//   clang -O3 -pthread -ISources/CKernels/include scripts/kernel_bench.c Sources/CKernels/*.c -lm \
//     -o /tmp/kernel_bench && PALMTOP_KERNELS=avx2 /tmp/kernel_bench [gemm|matvec|tokens|attention] [threads...]
#include "ckernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MAX_THREADS 16
#define CHUNK 48  // rows per piece of work, as the engine hands them out

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// ---- a team of threads kept alive across calls (a new thread per call would cost more than small GEMMs) ----

// One layer of a prompt's attention: heads = KV heads × group query heads of `dim`, `tokens` positions.
typedef struct {
    int64_t kv_heads, group, dim, tokens;
    const float *q, *keys, *values;
    float *out, *scores[MAX_THREADS];
} attention_job;

typedef struct {
    const uint16_t *w;
    const float *x;
    const uint16_t *hi, *lo;
    float *y;
    int64_t rows, cols, tokens;
    int matvec;  // 1: each thread streams one contiguous share of the rows, as decode does
    const attention_job *attention;  // when set, the run is this instead
} job;

static job g_job;
static int g_threads;
static atomic_int g_generation, g_done, g_next;

static void attention_share(const attention_job *a, int part) {
    const int64_t kv_dim = a->kv_heads * a->dim, q_dim = kv_dim * a->group, pairs = (a->tokens + 1) / 2;
    for (int64_t u = part; u < pairs * a->kv_heads; u += g_threads) {
        int64_t t = u / a->kv_heads * 2, g = u % a->kv_heads, count = t + 2 <= a->tokens ? 2 : 1;
        int64_t counts[2] = {t + 1, t + 2};
        pk_kv_segment seg[2] = {{a->keys + g * a->dim * 16, a->values + g * a->dim, t + count, 0}, {NULL, NULL, 0, 0}};
        const int64_t offset = t * q_dim + g * a->group * a->dim;
        pk_attend(a->q + offset, q_dim, count, a->group, a->dim, seg, counts, kv_dim * 16, kv_dim, 0.0625f, a->scores[part],
                  a->out + offset, q_dim, NULL);
    }
}

static void run_share(int part) {
    const job *j = &g_job;
    if (j->attention) {
        attention_share(j->attention, part);
        return;
    }
    if (j->matvec) {
        int64_t a = j->rows * part / g_threads, b = j->rows * (part + 1) / g_threads;
        if (j->tokens == 1) pk_matvec_bf16(j->w, j->x, j->y, a, b, j->cols);
        else pk_matvec_bf16_tokens(j->w, j->x, j->y, j->rows, a, b, j->tokens, j->cols);
        return;
    }
    for (;;) {
        int64_t r = (int64_t)atomic_fetch_add(&g_next, 1) * CHUNK;
        if (r >= j->rows) break;
        int64_t e = r + CHUNK < j->rows ? r + CHUNK : j->rows;
        pk_matmul_bf16(j->w, j->x, j->hi, j->lo, j->y, j->rows, r, e, j->tokens, j->cols);
    }
}

// The generation current when the newest worker was created: a worker waits for the one after it, even
// if the first run it belongs to started before the thread got to run.
static int g_created_at;

static void *worker(void *arg) {
    int part = (int)(long)arg, seen = g_created_at;
    for (;;) {
        while (atomic_load(&g_generation) == seen) {}
        seen = atomic_load(&g_generation);
        if (part >= g_threads) continue;  // a run with fewer threads than were started
        run_share(part);
        atomic_fetch_add(&g_done, 1);
    }
    return NULL;
}

// Runs g_job on all threads (the caller is part 0) and returns when every share is done.
static void run(void) {
    atomic_store(&g_next, 0);
    atomic_store(&g_done, 0);
    atomic_fetch_add(&g_generation, 1);
    run_share(0);
    atomic_fetch_add(&g_done, 1);
    while (atomic_load(&g_done) < g_threads) {}
}

// ---- measurements ----

// GFLOP/s of one shape. `exact` passes the activations' bf16 rounding error too (pk_matmul_bf16's
// xlo): the bf16 paths then do twice the products; the f32 paths read x and are always exact.
static void gemm_mode(const char *name, int64_t rows, int64_t cols, int64_t tokens, int exact) {
    const int copies = 64;
    uint16_t *w = aligned_alloc(1 << 21, ((size_t)copies * rows * cols * 2 + (1 << 21)) & ~(size_t)((1 << 21) - 1));
    for (size_t i = 0; i < (size_t)copies * rows * cols; i++) w[i] = 0x3c00 + (i % 251);
    float *x = malloc(tokens * cols * 4), *y = malloc(rows * tokens * 4);
    for (int64_t i = 0; i < tokens * cols; i++) x[i] = (float)(i % 13) * 0.1f - 0.6f;
    int64_t packed = pk_packed_count(tokens, cols);
    uint16_t *hi = aligned_alloc(64, (packed * 2 + 63) & ~63), *lo = exact ? aligned_alloc(64, (packed * 2 + 63) & ~63) : NULL;
    pk_pack_bf16(x, hi, lo, tokens, cols, 0, (tokens + 15) / 16);  // a no-op on paths that read f32
    g_job = (job){w, x, hi, lo, y, rows, cols, tokens, 0};
    run();  // warm-up
    double flops = 2.0 * rows * cols * tokens * copies;
    double t0 = now();
    for (int c = 0; c < copies; c++) {
        g_job.w = w + (size_t)c * rows * cols;
        run();
    }
    double t1 = now();
    g_job.w = w;
    for (int c = 0; c < copies; c++) run();
    double t2 = now();
    printf("gemm %-16s %-5s %5lld x %5lld x %3lld  %d thr  cold %6.1f GFLOP/s  hot %6.1f GFLOP/s\n", name, exact ? "exact" : "fast",
           (long long)rows, (long long)cols, (long long)tokens, g_threads, flops / (t1 - t0) / 1e9, flops / (t2 - t1) / 1e9);
    free(w); free(x); free(y); free(hi); free(lo);
}

// Both prefill modes where they differ (the bf16 dot-product paths), otherwise the one exact kernel.
static void gemm(const char *name, int64_t rows, int64_t cols, int64_t tokens) {
    pk_path path = pk_current_path();
    if (path == PK_PATH_AVX512BF16 || path == PK_PATH_NEON_BF16) gemm_mode(name, rows, cols, tokens, 0);
    gemm_mode(name, rows, cols, tokens, 1);
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// Decode's matrix × vector for `tokens` tokens at once (batched sequences: each weight read once for
// all of them) over Gemma 3's output projection, streamed from memory; returns the median seconds.
static double matvec(int64_t tokens) {
    int64_t rows = 262144, cols = 640;
    size_t bytes = (size_t)rows * cols * 2;
    uint16_t *w = aligned_alloc(1 << 21, bytes);
    madvise(w, bytes, MADV_HUGEPAGE);  // as the engine maps weights, and as read_bandwidth.c reads
    memset(w, 0x3c, bytes);
    float *x = malloc(tokens * cols * 4), *y = malloc(tokens * rows * 4);
    for (int64_t i = 0; i < tokens * cols; i++) x[i] = 0.01f * (float)(i % 997);
    g_job = (job){w, x, NULL, NULL, y, rows, cols, tokens, 1};
    run();
    double seconds[7];
    for (int r = 0; r < 7; r++) {
        double t0 = now();
        run();
        seconds[r] = now() - t0;
    }
    qsort(seconds, 7, sizeof seconds[0], compare);
    if (tokens == 1)
        printf("matvec %lld x %lld  %d thr  %.1f GB/s (median of 7, as read_bandwidth.c reports)\n", (long long)rows,
               (long long)cols, g_threads, bytes / seconds[3] / 1e9);
    free(w); free(x); free(y);
    return seconds[3];
}

// The same for 1 to 8 tokens: time per pass and tokens per second against one token's (the ceiling
// on what batching B sequences can gain in a step of this shape).
static void matvec_tokens(void) {
    double one = matvec(1);
    for (int64_t t = 2; t <= PK_MATVEC_MAX_TOKENS; t++) {
        double s = matvec(t);
        printf("matvec %lld tokens  %d thr  %6.2f ms  (one token %.2f ms)  %.2fx the tokens/s of one\n", (long long)t, g_threads,
               s * 1e3, one * 1e3, t * one / s);
    }
}

// One layer's prompt-pass attention in ms (median of 7) and GFLOP/s (q·k and p·v over the causal
// triangle, 4 FLOPs per query row, position and dimension).
static void attention(const char *name, int64_t kv_heads, int64_t group, int64_t dim, int64_t tokens) {
    attention_job a = {kv_heads, group, dim, tokens, NULL, NULL, NULL, NULL, {NULL}};
    const int64_t kv_dim = kv_heads * dim, q_dim = kv_dim * group, blocks = (tokens + 15) / 16;
    float *q = malloc(tokens * q_dim * 4), *keys = aligned_alloc(64, blocks * 16 * kv_dim * 4);
    float *values = aligned_alloc(64, blocks * 16 * kv_dim * 4);
    a.out = malloc(tokens * q_dim * 4);
    for (int64_t i = 0; i < tokens * q_dim; i++) q[i] = (float)(i % 17) * 0.05f - 0.4f;
    for (int64_t i = 0; i < blocks * 16 * kv_dim; i++) { keys[i] = (float)(i % 13) * 0.05f - 0.3f; values[i] = (float)(i % 11) * 0.1f - 0.5f; }
    a.q = q; a.keys = keys; a.values = values;
    for (int i = 0; i < g_threads; i++) a.scores[i] = malloc(8 * (tokens + 64) * 4);
    g_job = (job){0};
    g_job.attention = &a;
    run();
    double times[7];
    for (int r = 0; r < 7; r++) {
        double t0 = now();
        run();
        times[r] = now() - t0;
    }
    qsort(times, 7, sizeof times[0], compare);
    double flops = 4.0 * kv_heads * group * dim * (double)tokens * (tokens + 1) / 2;
    printf("attention %-8s %lld KV heads × %lld, dim %3lld, %lld tokens  %d thr  %6.2f ms  %6.1f GFLOP/s\n", name, (long long)kv_heads,
           (long long)group, (long long)dim, (long long)tokens, g_threads, times[3] * 1e3, flops / times[3] / 1e9);
    for (int i = 0; i < g_threads; i++) free(a.scores[i]);
    free(q); free(keys); free(values); free(a.out);
    g_job.attention = NULL;
}

// The prefill shapes (rows × cols) of the default models' layers, at 512 tokens.
static void model_shapes(void) {
    gemm("gemma3 q", 1024, 640, 512);
    gemm("gemma3 k/v", 256, 640, 512);
    gemm("gemma3 o", 640, 1024, 512);
    gemm("gemma3 gate/up", 2048, 640, 512);
    gemm("gemma3 down", 640, 2048, 512);
    gemm("smollm2 q/o", 576, 576, 512);
    gemm("smollm2 k/v", 192, 576, 512);
    gemm("smollm2 gate/up", 1536, 576, 512);
    gemm("smollm2 down", 576, 1536, 512);
}

int main(int argc, char **argv) {
    const char *wanted = getenv("PALMTOP_KERNELS");
    if (wanted && *wanted) {
        pk_path p;
        if (!pk_path_from_name(wanted, &p)) {
            fprintf(stderr, "PALMTOP_KERNELS=%s: expected avx512bf16, avx2, portable, neon or neonbf16\n", wanted);
            return 64;
        }
        pk_set_path(p);
    }
    printf("kernel path %s (best on this CPU: %s)\n", pk_path_name(pk_current_path()), pk_path_name(pk_best_path()));
    // Arguments: optionally `gemm`, `matvec`, `tokens` or `attention` (default all but tokens), then thread counts (default 1 2).
    int first = 1, gemms = 1, matvecs = 1, attentions = 1, tokens = 0;
    if (argc > 1 && strcmp(argv[1], "gemm") == 0) { matvecs = attentions = 0; first = 2; }
    else if (argc > 1 && strcmp(argv[1], "tokens") == 0) { gemms = matvecs = attentions = 0; tokens = 1; first = 2; }
    else if (argc > 1 && strcmp(argv[1], "matvec") == 0) { gemms = attentions = 0; first = 2; }
    else if (argc > 1 && strcmp(argv[1], "attention") == 0) { gemms = matvecs = 0; first = 2; }
    int counts[8] = {1, 2}, n = 2;
    if (argc > first) {
        n = 0;
        for (int i = first; i < argc && n < 8; i++) counts[n++] = atoi(argv[i]);
    }
    for (int i = 0; i < n; i++)
        if (counts[i] < 1 || counts[i] > MAX_THREADS) { fprintf(stderr, "threads: 1 to %d\n", MAX_THREADS); return 64; }
    // Workers spin between runs (waking a sleeping thread costs as much as a small GEMM), so they are
    // started only when a run first needs them: a 1-thread run before a 2-thread one has the machine.
    int started = 1;
    for (int i = 0; i < n; i++) {
        for (; started < counts[i]; started++) {
            pthread_t t;
            g_created_at = atomic_load(&g_generation);
            pthread_create(&t, NULL, worker, (void *)(long)started);
        }
        g_threads = counts[i];
        if (gemms) model_shapes();
        if (matvecs) matvec(1);
        if (tokens) matvec_tokens();
        if (attentions) {
            attention("gemma3", 1, 4, 256, 512);
            attention("smollm2", 3, 3, 64, 512);
        }
    }
    return 0;
}
