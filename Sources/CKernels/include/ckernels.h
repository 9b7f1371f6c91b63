#ifndef PALMTOP_CKERNELS_H
#define PALMTOP_CKERNELS_H
#include <stdint.h>

/// Which implementation the kernels use: chosen once from the CPU's features, overridable for tests.
typedef enum { PK_PATH_PORTABLE = 0, PK_PATH_AVX2 = 1, PK_PATH_AVX512BF16 = 2 } pk_path;

pk_path pk_best_path(void);
pk_path pk_current_path(void);
/// Forces a path no better than the CPU supports; returns the path now in use.
pk_path pk_set_path(pk_path path);

/// y[r] = sum_k w[r*cols + k] * x[k] for r in [r0, r1): bf16 weights widened to f32, f32 accumulation.
void pk_matvec_bf16(const uint16_t *w, const float *x, float *y, int64_t r0, int64_t r1, int64_t cols);

/// Splits f32 activations into a bf16 high part and a bf16 residual, so two bf16 dot products
/// reproduce the f32 product to ~1e-6 relative.
void pk_split_bf16(const float *x, uint16_t *hi, uint16_t *lo, int64_t n);

/// y[t*ldy + r] = sum_k w[r*cols + k] * x[t*cols + k] for r in [r0, r1), t in [0, tokens).
/// `x` is f32; `xhi`/`xlo` are its pk_split_bf16 halves (read only by the AVX512-BF16 path).
void pk_matmul_bf16(const uint16_t *w, const float *x, const uint16_t *xhi, const uint16_t *xlo,
                    float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens, int64_t cols);

float pk_dot_f32(const float *a, const float *b, int64_t n);
/// y += a * x
void pk_axpy_f32(float *y, float a, const float *x, int64_t n);

#endif
