// Kernel path selection and activation splitting, shared by every kernel.
#include "ckernels.h"
#include "internal.h"
#include <stdlib.h>
#include <string.h>
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP2_BF16
#define HWCAP2_BF16 (1UL << 14)  // older kernel headers lack it; the bit is part of the kernel ABI
#endif
#elif defined(__aarch64__) && defined(__APPLE__)
#include <sys/sysctl.h>
#endif

static pk_path g_path = (pk_path)-1;

pk_path pk_best_path(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f"))
        return PK_PATH_AVX512BF16;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return PK_PATH_AVX2;
    return PK_PATH_PORTABLE;
#elif defined(__aarch64__)
    // NEON (Advanced SIMD) is part of every arm64 CPU; the BF16 extension (Armv8.6) is optional, and
    // its kernels exist only when the compiler could build them (internal.h).
#if defined(PK_NEON_BF16) && defined(__linux__)
    if (getauxval(AT_HWCAP2) & HWCAP2_BF16) return PK_PATH_NEON_BF16;
#elif defined(PK_NEON_BF16) && defined(__APPLE__)
    int bf16 = 0;
    size_t size = sizeof bf16;
    if (sysctlbyname("hw.optional.arm.FEAT_BF16", &bf16, &size, NULL, 0) == 0 && bf16) return PK_PATH_NEON_BF16;
#endif
    return PK_PATH_NEON;
#else
    return PK_PATH_PORTABLE;
#endif
}

pk_path pk_current_path(void) {
    if ((int)g_path < 0) g_path = pk_best_path();
    return g_path;
}

// A path's architecture (0 for portable, which runs everywhere) and its rank within it.
static int family(pk_path p) { return p == PK_PATH_PORTABLE ? 0 : p == PK_PATH_AVX2 || p == PK_PATH_AVX512BF16 ? 1 : 2; }
static int rank(pk_path p) { return p == PK_PATH_PORTABLE ? 0 : p == PK_PATH_AVX2 || p == PK_PATH_NEON ? 1 : 2; }

pk_path pk_set_path(pk_path path) {
    pk_path best = pk_best_path();
    if (path != PK_PATH_PORTABLE && path != PK_PATH_AVX2 && path != PK_PATH_AVX512BF16 && path != PK_PATH_NEON &&
        path != PK_PATH_NEON_BF16)
        g_path = best;  // not a path at all: the best there is, as before paths had names
    else if (family(path) != family(best))
        g_path = PK_PATH_PORTABLE;
    else
        g_path = rank(path) > rank(best) ? best : path;
    return g_path;
}

// -1 until the first call decides (PALMTOP_BF16_DOT, else the CPU's vendor).
static int g_bf16_dot = -1;

int pk_bf16_dot(void) {
    if (pk_current_path() != PK_PATH_AVX512BF16) return 0;
    if (g_bf16_dot < 0) {
        const char *forced = getenv("PALMTOP_BF16_DOT");
        if (forced && (strcmp(forced, "on") == 0 || strcmp(forced, "off") == 0)) g_bf16_dot = strcmp(forced, "on") == 0;
        else {
#if defined(__x86_64__)
            __builtin_cpu_init();
            g_bf16_dot = !__builtin_cpu_is("intel");
#else
            g_bf16_dot = 1;
#endif
        }
    }
    return g_bf16_dot;
}

void pk_set_bf16_dot(int on) { g_bf16_dot = on != 0; }

static const char *const names[] = {"portable", "avx2", "avx512bf16", "neon", "neonbf16"};

const char *pk_path_name(pk_path path) {
    return (int)path >= 0 && (int)path < (int)(sizeof names / sizeof names[0]) ? names[path] : "unknown";
}

int pk_path_from_name(const char *name, pk_path *out) {
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (name && strcmp(name, names[i]) == 0) {
            *out = (pk_path)i;
            return 1;
        }
    return 0;
}

void pk_split_bf16(const float *x, uint16_t *hi, uint16_t *lo, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        uint16_t h = f32_to_bf16(x[i]);
        hi[i] = h;
        if (lo) lo[i] = f32_to_bf16(x[i] - bf16_to_f32(h));
    }
}
