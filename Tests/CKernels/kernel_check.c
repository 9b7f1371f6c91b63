// Every kernel on every path this CPU offers against the portable reference (and the reference against
// plain double-precision formulas), on random shapes with ragged tails. Built and run by
// `make test-kernels` natively and `make test-arm64` under qemu; not a SwiftPM target.
// Prints one line per failure and "N passed, M failed" at the end; exits 1 when anything failed.
#include "ckernels.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;
static const char *path_label = "portable";

// Records one check; a failure prints what was compared, on which path, and stays counted.
static void check(int ok, const char *format, ...) {
    if (ok) { passed++; return; }
    failed++;
    va_list args;
    va_start(args, format);
    fprintf(stderr, "FAIL [%s] ", path_label);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
}

// ---- random inputs (xorshift: the same problems on every machine) ----

static uint64_t seed = 0x9E3779B97F4A7C15ull;
static double uniform(void) {  // in [0, 1)
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (double)(seed >> 11) / 9007199254740992.0;
}
static float symmetric(void) { return (float)(uniform() * 2 - 1); }

static float bf16_value(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}
static uint16_t bf16_bits(float f) {  // truncation: any bf16 will do as a random weight
    uint32_t bits;
    memcpy(&bits, &f, 4);
    return (uint16_t)(bits >> 16);
}
static uint16_t *random_bf16(int64_t n) {
    uint16_t *w = malloc((size_t)n * 2 + 64);
    for (int64_t i = 0; i < n; i++) w[i] = bf16_bits(symmetric());
    return w;
}
static float *random_f32(int64_t n, float scale) {
    float *x = malloc((size_t)n * 4 + 64);
    for (int64_t i = 0; i < n; i++) x[i] = symmetric() * scale;
    return x;
}
static float *filled(int64_t n, float value) {
    float *x = malloc((size_t)n * 4 + 64);
    for (int64_t i = 0; i < n; i++) x[i] = value;
    return x;
}

// ---- the paths to test ----

static pk_path paths[8];
static int path_count;

static void find_paths(void) {
    const pk_path candidates[] = {PK_PATH_AVX2, PK_PATH_AVX512BF16, PK_PATH_NEON, PK_PATH_NEON_BF16};
    printf("paths:");
    for (int i = 0; i < 4; i++)
        if (pk_set_path(candidates[i]) == candidates[i]) {
            paths[path_count++] = candidates[i];
            printf(" %s", pk_path_name(candidates[i]));
        }
    printf(" (against portable; best on this CPU: %s)\n", pk_path_name(pk_best_path()));
}

// The AVX512-BF16 path's form of products as this CPU gets it, restored after testing the other.
static int default_bf16_dot;

static void use(pk_path p) {
    pk_set_path(p);
    path_label = pk_path_name(p);
}

// A path and, on AVX512-BF16, which form of products it multiplies with (bf16 dot products or f32
// FMAs, whichever this CPU's vendor gets by default), so both are tested on every such CPU.
static void use_form(pk_path p, int bf16_dot) {
    use(p);
    if (p != PK_PATH_AVX512BF16) return;
    pk_set_bf16_dot(bf16_dot);
    if (!bf16_dot) path_label = "avx512bf16 (f32 products)";
}

// ---- path names and clamping ----

static void test_paths(void) {
    path_label = "names";
    for (int p = 0; p <= PK_PATH_NEON_BF16; p++) {
        pk_path back;
        check(pk_path_from_name(pk_path_name((pk_path)p), &back) && back == (pk_path)p, "name of path %d round trip", p);
    }
    pk_path unused = PK_PATH_PORTABLE;
    check(!pk_path_from_name("avx3", &unused) && !pk_path_from_name("", &unused), "unknown names rejected");
    check(strcmp(pk_path_name((pk_path)99), "unknown") == 0, "name of a value that is no path");
    pk_path best = pk_best_path();
    check(pk_set_path(best) == best && pk_current_path() == best, "the best path can be set");
    check(pk_set_path(PK_PATH_PORTABLE) == PK_PATH_PORTABLE, "portable can always be set");
    int arm = best == PK_PATH_NEON || best == PK_PATH_NEON_BF16;
    int x86 = best == PK_PATH_AVX2 || best == PK_PATH_AVX512BF16;
    if (arm) {
        check(pk_set_path(PK_PATH_AVX2) == PK_PATH_PORTABLE && pk_set_path(PK_PATH_AVX512BF16) == PK_PATH_PORTABLE,
              "x86 paths fall back to portable on arm64");
        check(pk_set_path(PK_PATH_NEON_BF16) == best && pk_set_path(PK_PATH_NEON) == PK_PATH_NEON, "neon ranking");
    }
    if (x86) {
        check(pk_set_path(PK_PATH_NEON) == PK_PATH_PORTABLE && pk_set_path(PK_PATH_NEON_BF16) == PK_PATH_PORTABLE,
              "arm64 paths fall back to portable on x86");
        check(pk_set_path(PK_PATH_AVX512BF16) == best && pk_set_path(PK_PATH_AVX2) == PK_PATH_AVX2, "x86 ranking");
    }
    pk_set_path(best);
}

// ---- matrix × vector ----

static void test_matvec(void) {
    const int64_t shapes[][2] = {{1, 1}, {5, 7}, {37, 31}, {37, 32}, {16, 33}, {64, 64}, {9, 100}, {40, 576}, {33, 640},
                                 {7, 1000}, {3, 2051}, {2, 16385}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int64_t rows = shapes[s][0], cols = shapes[s][1];
        uint16_t *w = random_bf16(rows * cols);
        float *x = random_f32(cols, 1), *ref = filled(rows, 0);
        use(PK_PATH_PORTABLE);
        pk_matvec_bf16(w, x, ref, 0, rows, cols);
        for (int64_t r = 0; r < rows; r++) {
            double exact = 0, magnitude = 0;
            for (int64_t k = 0; k < cols; k++) {
                exact += (double)bf16_value(w[r * cols + k]) * x[k];
                magnitude += fabs((double)bf16_value(w[r * cols + k]) * x[k]);
            }
            if (fabs(ref[r] - exact) > 1e-5 * magnitude + 1e-6) {
                check(0, "portable matvec %lldx%lld row %lld: %g, double %g", (long long)rows, (long long)cols, (long long)r, ref[r], exact);
                break;
            }
        }
        check(1, "portable matvec");
        for (int p = 0; p < path_count; p++)
        for (int dot = 1; dot >= 0; dot--) {
            if (!dot && paths[p] != PK_PATH_AVX512BF16) continue;
            use_form(paths[p], dot);
            // Rows [r0, r1) only: the rows around them keep their canary value.
            int64_t r0 = rows > 2 ? 1 : 0, r1 = rows > 2 ? rows - 1 : rows;
            float *y = filled(rows, -7);
            pk_matvec_bf16(w, x, y, r0, r1, cols);
            int ok = 1;
            for (int64_t r = 0; r < rows && ok; r++) {
                float want = r >= r0 && r < r1 ? ref[r] : -7;
                if (fabs(y[r] - want) > 1e-5 * (1 + fabs(want)) * sqrt((double)cols)) {
                    check(0, "matvec %lldx%lld rows [%lld,%lld) row %lld: %g, want %g", (long long)rows, (long long)cols,
                          (long long)r0, (long long)r1, (long long)r, y[r], want);
                    ok = 0;
                }
            }
            if (ok) check(1, "matvec");
            free(y);
            use_form(paths[p], default_bf16_dot);
        }
        free(w); free(x); free(ref);
    }
}

// Several tokens at once (batched decoding, drafted tokens) give each token exactly the one-token
// kernel's numbers, bit for bit, on every path: every token count, ragged rows and widths.
static void test_matvec_tokens(void) {
    const int64_t shapes[][2] = {{1, 1}, {5, 7}, {37, 31}, {19, 33}, {9, 100}, {40, 640}, {11, 2100}, {3, 16385}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int64_t rows = shapes[s][0], cols = shapes[s][1], r0 = rows > 2 ? 1 : 0;
        uint16_t *w = random_bf16(rows * cols);
        float *x = random_f32(PK_MATVEC_MAX_TOKENS * cols, 3);
        for (int p = 0; p < path_count; p++)
        for (int dot = 1; dot >= 0; dot--) {
            if (!dot && paths[p] != PK_PATH_AVX512BF16) continue;
            use_form(paths[p], dot);
            for (int64_t tokens = 1; tokens <= PK_MATVEC_MAX_TOKENS; tokens++) {
                float *one = filled(tokens * rows, -7), *many = filled(tokens * rows, -7);
                for (int64_t t = 0; t < tokens; t++) pk_matvec_bf16(w, x + t * cols, one + t * rows, r0, rows, cols);
                pk_matvec_bf16_tokens(w, x, many, rows, r0, rows, tokens, cols);
                check(memcmp(one, many, (size_t)(tokens * rows) * sizeof(float)) == 0, "matvec of %lld tokens %lldx%lld equals one token's, bit for bit",
                      (long long)tokens, (long long)rows, (long long)cols);
                free(one); free(many);
            }
            use_form(paths[p], default_bf16_dot);
        }
        free(w); free(x);
    }
}

// ---- matrix × matrix (prefill) ----

// One shape on every path: rows [r0, r1) of y (ldy = rows + 3, canaries elsewhere) for `tokens` tokens.
static void matmul_case(int64_t rows, int64_t cols, int64_t tokens, int64_t r0, int64_t r1) {
    uint16_t *w = random_bf16(rows * cols);
    float *x = random_f32(tokens * cols, 2);
    const int64_t ldy = rows + 3;
    float *ref = filled(tokens * ldy, -7), *magnitude = filled(tokens * ldy, 0);
    for (int64_t t = 0; t < tokens; t++)
        for (int64_t r = r0; r < r1; r++) {
            double m = 0;
            for (int64_t k = 0; k < cols; k++) m += fabs((double)bf16_value(w[r * cols + k]) * x[t * cols + k]);
            magnitude[t * ldy + r] = (float)m;
        }
    use(PK_PATH_PORTABLE);
    pk_matmul_bf16(w, x, NULL, NULL, ref, ldy, r0, r1, tokens, cols);
    int64_t packed = pk_packed_count(tokens, cols);
    uint16_t *hi = malloc((size_t)packed * 2 + 64), *lo = malloc((size_t)packed * 2 + 64);
    for (int p = 0; p < path_count; p++)
    for (int dot = 1; dot >= 0; dot--) {
        // AVX512-BF16 has two forms of products, bf16 dot products and f32 FMAs: both run here.
        if (!dot && paths[p] != PK_PATH_AVX512BF16) continue;
        use_form(paths[p], dot);
        for (int exact = 1; exact >= 0; exact--) {
            // Packing is split between two callers, as the engine's threads share it.
            int64_t groups = (tokens + 15) / 16;
            pk_pack_bf16(x, hi, exact ? lo : NULL, tokens, cols, 0, groups / 2);
            pk_pack_bf16(x, hi, exact ? lo : NULL, tokens, cols, groups / 2, groups);
            float *y = filled(tokens * ldy, -7);
            pk_matmul_bf16(w, x, hi, exact ? lo : NULL, y, ldy, r0, r1, tokens, cols);
            // f32 paths differ from the reference by summation order only; the AVX512-BF16 path by
            // hi + lo (~1e-6) or, in its fast form, by one bf16 rounding of each activation (2^-9).
            int rounds = !exact && ((paths[p] == PK_PATH_AVX512BF16 && dot) || paths[p] == PK_PATH_NEON_BF16);
            double tolerance = rounds ? 8e-3 : 2e-5;
            int ok = 1;
            for (int64_t i = 0; i < tokens * ldy && ok; i++) {
                if (fabs(y[i] - ref[i]) > tolerance * magnitude[i] + 1e-6) {
                    check(0, "matmul %lld rows [%lld,%lld) x %lld cols x %lld tokens (%s): token %lld row %lld: %g, want %g",
                          (long long)rows, (long long)r0, (long long)r1, (long long)cols, (long long)tokens, exact ? "exact" : "fast",
                          (long long)(i / ldy), (long long)(i % ldy), y[i], ref[i]);
                    ok = 0;
                }
            }
            if (ok) check(1, "matmul");
            free(y);
        }
        use_form(paths[p], default_bf16_dot);
    }
    free(w); free(x); free(ref); free(magnitude); free(hi); free(lo);
}

static void test_matmul(void) {
    // The portable reference itself, against double precision.
    {
        int64_t rows = 9, cols = 77, tokens = 5;
        uint16_t *w = random_bf16(rows * cols);
        float *x = random_f32(tokens * cols, 1), *y = filled(tokens * rows, 0);
        use(PK_PATH_PORTABLE);
        pk_matmul_bf16(w, x, NULL, NULL, y, rows, 0, rows, tokens, cols);
        int ok = 1;
        for (int64_t t = 0; t < tokens; t++)
            for (int64_t r = 0; r < rows; r++) {
                double e = 0;
                for (int64_t k = 0; k < cols; k++) e += (double)bf16_value(w[r * cols + k]) * x[t * cols + k];
                if (fabs(y[t * rows + r] - e) > 1e-4) ok = 0;
            }
        check(ok, "portable matmul against double precision");
        free(w); free(x); free(y);
    }
    // Whole and ragged register tiles (rows not a multiple of 16 or 12, tokens not of 6 or 16), one
    // token, 512 tokens, odd and long rows (several column panels), a row range inside the matrix.
    const int64_t cases[][5] = {
        {16, 64, 6, 0, 16},   {8, 64, 4, 0, 8},        {13, 96, 7, 0, 13},     {64, 640, 9, 0, 64},   {5, 50, 3, 0, 5},
        {29, 34, 33, 0, 29},  {16, 66, 48, 0, 16},     {7, 33, 5, 0, 7},       {48, 576, 1, 0, 48},   {50, 640, 512, 0, 50},
        {17, 2048, 13, 0, 17}, {100, 257, 11, 3, 97},  {12, 1536, 17, 0, 12},  {40, 511, 2, 8, 40},   {3, 1, 7, 0, 3},
        {96, 640, 130, 48, 96}, {1, 600, 1, 0, 1},     {31, 1030, 64, 0, 31},  {70, 640, 25, 0, 70},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        matmul_case(cases[c][0], cases[c][1], cases[c][2], cases[c][3], cases[c][4]);
}

// ---- attention ----

typedef struct {
    int64_t heads, dim, n, ks, qdim;
    float *q, *keys, *values;
} attention_problem;

// Keys in blocks of 16 positions (dimension i of position j at keys[(j/16)*ks + i*16 + j%16]), values
// as rows, for `n` positions; queries for 8 tokens.
static attention_problem make_problem(int64_t heads, int64_t dim, int64_t n) {
    attention_problem a = {heads, dim, n, 16 * dim + 16, heads * dim, NULL, NULL, NULL};
    int64_t blocks = (n + 15) / 16;
    a.q = random_f32(8 * a.qdim, 1);
    a.keys = random_f32(blocks * a.ks, 1);
    a.values = random_f32(blocks * 16 * dim, 1);
    return a;
}

// out = softmax(q·K·scale)·V over positions [skip, count) in double: the reference's reference.
static void attend_double(const attention_problem *a, const float *qh, int64_t skip, int64_t count, double *out) {
    double *s = malloc((size_t)count * sizeof(double)), mx = -INFINITY, total = 0;
    for (int64_t j = skip; j < count; j++) {
        double acc = 0;
        for (int64_t i = 0; i < a->dim; i++) acc += (double)qh[i] * a->keys[(j / 16) * a->ks + i * 16 + j % 16];
        s[j] = acc * 0.125;
        if (s[j] > mx) mx = s[j];
    }
    for (int64_t j = skip; j < count; j++) total += s[j] = exp(s[j] - mx);
    for (int64_t i = 0; i < a->dim; i++) {
        double acc = 0;
        for (int64_t j = skip; j < count; j++) acc += s[j] / total * a->values[j * a->dim + i];
        out[i] = acc;
    }
    free(s);
}

static void test_attention(void) {
    const int64_t cases[][3] = {{1, 64, 1}, {3, 64, 37}, {4, 256, 130}, {5, 48, 17}, {9, 64, 64}, {2, 32, 200}, {1, 8, 16}, {3, 40, 75}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        attention_problem a = make_problem(cases[c][0], cases[c][1], cases[c][2]);
        const int64_t n = a.n, dim = a.dim, heads = a.heads, cut = n / 32 * 16;
        float *scores = filled(8 * ((n + 31) / 32 * 32 + 64), 0);
        for (int64_t tokens = 1; tokens <= 8; tokens = tokens * 2 + 1) {
            const int64_t skips[2] = {0, n > 5 ? 5 : n - 1};
            for (int sk = 0; sk < 2; sk++) {
                int64_t skip = skips[sk];
                if (tokens > n - skip) continue;
                // Token t sees positions up to n - tokens + 1 + t, as consecutive prompt tokens do.
                int64_t counts[8];
                for (int64_t t = 0; t < tokens; t++) counts[t] = n - tokens + 1 + t;
                pk_kv_segment whole[2] = {{a.keys, a.values, n, skip}, {NULL, NULL, 0, 0}};
                pk_kv_segment split[2] = {{a.keys, a.values, cut, skip}, {a.keys + cut / 16 * a.ks, a.values + cut * dim, n - cut, 0}};
                int splittable = cut > skip;
                float *ref = filled(tokens * a.qdim, 0), *ref_stats = filled(2 * tokens * heads, 0);
                use(PK_PATH_PORTABLE);
                pk_attend(a.q, a.qdim, tokens, heads, dim, whole, counts, a.ks, dim, 0.125f, scores, ref, a.qdim, ref_stats);
                double *expected = malloc((size_t)dim * sizeof(double));
                int ok = 1;
                for (int64_t t = 0; t < tokens && ok; t++)
                    for (int64_t h = 0; h < heads && ok; h++) {
                        attend_double(&a, a.q + t * a.qdim + h * dim, skip, counts[t], expected);
                        for (int64_t i = 0; i < dim; i++)
                            if (fabs(ref[t * a.qdim + h * dim + i] - expected[i]) > 1e-5) ok = 0;
                    }
                check(ok, "portable attention heads %lld dim %lld n %lld skip %lld tokens %lld against double", (long long)heads,
                      (long long)dim, (long long)n, (long long)skip, (long long)tokens);
                free(expected);
                for (int p = 0; p < path_count; p++) {
                    use(paths[p]);
                    for (int s = 0; s < 1 + splittable; s++) {
                        float *out = filled(tokens * a.qdim, 0), *stats = filled(2 * tokens * heads, 0);
                        pk_attend(a.q, a.qdim, tokens, heads, dim, s ? split : whole, counts, a.ks, dim, 0.125f, scores, out, a.qdim, stats);
                        int same = 1;
                        for (int64_t i = 0; i < tokens * a.qdim; i++)
                            if (fabs(out[i] - ref[i]) > 1e-5) same = 0;
                        for (int64_t i = 0; i < 2 * tokens * heads; i++)
                            if (fabs(stats[i] - ref_stats[i]) > 1e-5 * (1 + fabs(ref_stats[i]))) same = 0;
                        check(same, "attention heads %lld dim %lld n %lld skip %lld tokens %lld %s", (long long)heads, (long long)dim,
                              (long long)n, (long long)skip, (long long)tokens, s ? "split run" : "whole run");
                        free(out); free(stats);
                    }
                }
                free(ref); free(ref_stats);
            }
        }
        free(a.q); free(a.keys); free(a.values); free(scores);
    }
}

// The bf16 copy of a run is the same on every path, and attention over it agrees between paths to f32
// rounding and with f32 attention to bf16 rounding.
static void test_attention_bf16(void) {
    const int64_t cases[][3] = {{1, 64, 21}, {3, 64, 100}, {4, 256, 130}, {2, 48, 67}, {4, 32, 200}, {9, 64, 90}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        attention_problem a = make_problem(cases[c][0], cases[c][1], cases[c][2]);
        const int64_t n = a.n, dim = a.dim, heads = a.heads, blocks = (n + 15) / 16, cut = n / 32 * 16;
        const int64_t count = pk_kv_bf16_count(n, dim);
        const int64_t from = n - 2 < 21 ? n - 2 : 21, offset = from / 16 * 16, skip = from - offset;
        float *scores = filled(8 * (n + 64), 0);
        for (int64_t tokens = 1; tokens <= 2; tokens++) {
            int64_t counts[2] = {tokens == 2 ? n - 1 - offset : n - offset, n - offset};
            pk_kv_segment whole[2] = {{a.keys, a.values, n, 0}, {NULL, NULL, 0, 0}};
            pk_kv_segment split[2] = {{a.keys, a.values, cut, 0}, {a.keys + cut / 16 * a.ks, a.values + cut * dim, n - cut, 0}};
            pk_kv_segment tail[2] = {{a.keys + offset / 16 * a.ks, a.values + offset * dim, n - offset, skip}, {NULL, NULL, 0, 0}};
            float *f32 = filled(tokens * a.qdim, 0), *ref = filled(tokens * a.qdim, 0);
            use(PK_PATH_PORTABLE);
            pk_attend(a.q, a.qdim, tokens, heads, dim, tail, counts, a.ks, dim, 0.125f, scores, f32, a.qdim, NULL);
            uint16_t *ref_keys = malloc((size_t)count * 2), *ref_values = malloc((size_t)count * 2);
            pk_pack_kv_bf16(whole, a.ks, dim, dim, 0, blocks, ref_keys, ref_values);
            pk_attend_bf16(a.q, a.qdim, tokens, heads, dim, ref_keys + offset * dim, ref_values + offset * dim, skip, counts, 0.125f,
                           scores, ref, a.qdim);
            int close = 1;
            for (int64_t i = 0; i < tokens * a.qdim; i++)
                if (fabs(ref[i] - f32[i]) > 2e-2) close = 0;
            check(close, "portable bf16 attention heads %lld dim %lld n %lld against f32", (long long)heads, (long long)dim, (long long)n);
            for (int p = 0; p < path_count; p++) {
                use(paths[p]);
                for (int s = 0; s < 2; s++) {
                    uint16_t *keys = malloc((size_t)count * 2), *values = malloc((size_t)count * 2);
                    memset(keys, 0xFF, (size_t)count * 2);
                    memset(values, 0xFF, (size_t)count * 2);
                    // In two calls, as threads share the packing.
                    pk_pack_kv_bf16(s ? split : whole, a.ks, dim, dim, 0, blocks / 2, keys, values);
                    pk_pack_kv_bf16(s ? split : whole, a.ks, dim, dim, blocks / 2, blocks, keys, values);
                    check(memcmp(keys, ref_keys, (size_t)count * 2) == 0 && memcmp(values, ref_values, (size_t)count * 2) == 0,
                          "bf16 copy of the run heads %lld dim %lld n %lld %s", (long long)heads, (long long)dim, (long long)n,
                          s ? "split" : "whole");
                    float *out = filled(tokens * a.qdim, 0);
                    pk_attend_bf16(a.q, a.qdim, tokens, heads, dim, keys + offset * dim, values + offset * dim, skip, counts, 0.125f,
                                   scores, out, a.qdim);
                    int same = 1;
                    for (int64_t i = 0; i < tokens * a.qdim; i++)
                        if (fabs(out[i] - ref[i]) > 1e-5) same = 0;
                    check(same, "bf16 attention heads %lld dim %lld n %lld tokens %lld", (long long)heads, (long long)dim, (long long)n,
                          (long long)tokens);
                    free(keys); free(values); free(out);
                }
            }
            free(f32); free(ref); free(ref_keys); free(ref_values);
        }
        free(a.q); free(a.keys); free(a.values); free(scores);
    }
}

// ---- activations and logit statistics ----

static void test_activations(void) {
    const int64_t n = 1003;
    float *x = random_f32(n, 10), *up = random_f32(n, 1);
    for (int p = -1; p < path_count; p++) {
        use(p < 0 ? PK_PATH_PORTABLE : paths[p]);
        for (int gelu = 0; gelu <= 1; gelu++) {
            float *gate = malloc(n * 4);
            memcpy(gate, x, n * 4);
            pk_gated_activation(gate, up, n, gelu);
            int ok = 1;
            for (int64_t i = 0; i < n; i++) {
                double v = x[i];
                double act = gelu ? 0.5 * v * (1 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))) : v / (1 + exp(-v));
                if (fabs(gate[i] - act * up[i]) > 1e-5 * (1 + fabs(act))) ok = 0;
            }
            check(ok, "gated activation (%s) against its formula", gelu ? "gelu" : "silu");
            free(gate);
        }
    }
    free(x); free(up);
}

static void test_logsumexp(void) {
    const int64_t sizes[] = {1, 15, 17, 1000, 262147};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t n = sizes[s];
        float *l = random_f32(n, 15);
        double mx = -INFINITY, sum = 0, weighted = 0;
        for (int64_t i = 0; i < n; i++) if (l[i] > mx) mx = l[i];
        for (int64_t i = 0; i < n; i++) { double e = exp(l[i] - mx); sum += e; weighted += e * (l[i] - mx); }
        double lse = mx + log(sum), entropy = log(sum) - weighted / sum;
        for (int p = -1; p < path_count; p++) {
            use(p < 0 ? PK_PATH_PORTABLE : paths[p]);
            float got_lse = 0, got_entropy = 0, lse_only = 0;
            pk_logsumexp_entropy(l, n, &got_lse, &got_entropy);
            pk_logsumexp_entropy(l, n, &lse_only, NULL);
            check(fabs(got_lse - lse) < 1e-4 && fabs(got_entropy - entropy) < 1e-4 && lse_only == got_lse,
                  "logsumexp/entropy of %lld logits: %g %g, want %g %g", (long long)n, got_lse, got_entropy, lse, entropy);
        }
        free(l);
    }
}

static void test_split(void) {
    path_label = "split";
    const int64_t n = 999;
    float *x = random_f32(n, 100);
    uint16_t *hi = malloc(n * 2), *lo = malloc(n * 2);
    pk_split_bf16(x, hi, lo, n);
    int ok = 1;
    for (int64_t i = 0; i < n; i++)
        if (fabs(bf16_value(hi[i]) + bf16_value(lo[i]) - x[i]) > 1e-5 * fabs(x[i])) ok = 0;
    check(ok, "hi + lo reproduces x");
    free(x); free(hi); free(lo);
}

int main(void) {
    find_paths();
    pk_set_path(PK_PATH_AVX512BF16);
    default_bf16_dot = pk_bf16_dot();
    test_paths();
    test_split();
    test_matvec();
    test_matvec_tokens();
    test_matmul();
    test_attention();
    test_attention_bf16();
    test_activations();
    test_logsumexp();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
