// Kernel path selection and activation splitting, shared by every kernel.
#include "ckernels.h"
#include "internal.h"
#include <immintrin.h>
#include <string.h>
#include <math.h>

static pk_path g_path = (pk_path)-1;

pk_path pk_best_path(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f"))
        return PK_PATH_AVX512BF16;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return PK_PATH_AVX2;
    return PK_PATH_PORTABLE;
}

pk_path pk_current_path(void) {
    if ((int)g_path < 0) g_path = pk_best_path();
    return g_path;
}

pk_path pk_set_path(pk_path path) {
    pk_path best = pk_best_path();
    g_path = path > best ? best : path;
    return g_path;
}

void pk_split_bf16(const float *x, uint16_t *hi, uint16_t *lo, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint16_t h = f32_to_bf16(x[i]);
        hi[i] = h;
        if (lo) lo[i] = f32_to_bf16(x[i] - bf16_to_f32(h));
    }
}
