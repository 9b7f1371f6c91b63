#ifndef PALMTOP_CKERNELS_H
#define PALMTOP_CKERNELS_H
#include <stdint.h>

/// Which implementation the kernels use: chosen once from the CPU's features, overridable for tests.
/// x86 paths rank portable < avx2 < avx512bf16, arm64 paths portable < neon < neonbf16.
typedef enum {
    PK_PATH_PORTABLE = 0,
    PK_PATH_AVX2 = 1,
    PK_PATH_AVX512BF16 = 2,
    PK_PATH_NEON = 3,       // arm64: bf16 widened to f32, f32 FMA
    PK_PATH_NEON_BF16 = 4,  // arm64 with the BF16 extension: BFDOT / BFMMLA
} pk_path;

/// The fastest path this CPU runs.
pk_path pk_best_path(void);
/// The path the kernels use now: pk_best_path() until pk_set_path changes it.
pk_path pk_current_path(void);
/// Forces a path no better than the CPU supports; returns the path now in use. A path the CPU lacks
/// falls back to the best one it has below it in the same ranking (avx512bf16 → avx2 on an AVX2-only
/// CPU); a path of the other architecture (avx2 on arm64, neon on x86) falls back to portable.
pk_path pk_set_path(pk_path path);

/// The path's name as PALMTOP_KERNELS and `--kernels` spell it: "portable", "avx2", "avx512bf16",
/// "neon" or "neonbf16" ("unknown" for any other value).
const char *pk_path_name(pk_path path);
/// The path called `name` (as pk_path_name spells it) into *out; returns 1, or 0 for an unknown name.
int pk_path_from_name(const char *name, pk_path *out);

/// y[r] = sum_k w[r*cols + k] * x[k] for r in [r0, r1): bf16 weights widened to f32, f32 accumulation.
void pk_matvec_bf16(const uint16_t *w, const float *x, float *y, int64_t r0, int64_t r1, int64_t cols);

/// Most tokens pk_matvec_bf16_tokens takes at once.
#define PK_MATVEC_MAX_TOKENS 8
/// y[t * ldy + r] = W[r] · x[t] for rows r0 ≤ r < r1 and `tokens` ≤ PK_MATVEC_MAX_TOKENS rows of x (stride
/// cols): bit-identical to pk_matvec_bf16 per token, reading each weight row once for the tokens.
void pk_matvec_bf16_tokens(const uint16_t *w, const float *x, float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens,
                           int64_t cols);

/// Rounds f32 activations to bf16 (`hi`) and, when `lo` is not NULL, stores the rounding error as a
/// second bf16 (`lo`): hi + lo reproduces x to ~1e-6 relative.
void pk_split_bf16(const float *x, uint16_t *hi, uint16_t *lo, int64_t n);

/// Elements (uint16) of the packed bf16 form of `tokens` × `cols` activations (see pk_pack_bf16).
int64_t pk_packed_count(int64_t tokens, int64_t cols);

/// Packs f32 activations [tokens, cols] for the AVX512-BF16 prefill kernel: tokens in groups of 16
/// (the last padded with zeros), and within a group each column pair as 16 adjacent bf16 pairs.
/// `hi` is the rounded value; `lo`, when not NULL, its rounding error (hi + lo ≈ x to ~1e-6).
/// Packs groups [group_begin, group_end) only, so threads can share the work. Does nothing on other
/// paths, which read the f32 activations.
void pk_pack_bf16(const float *x, uint16_t *hi, uint16_t *lo, int64_t tokens, int64_t cols, int64_t group_begin,
                  int64_t group_end);

/// y[t*ldy + r] = sum_k w[r*cols + k] * x[t*cols + k] for r in [r0, r1), t in [0, tokens).
/// `x` is f32 (read by the AVX2 and portable paths); `xhi`/`xlo` are its pk_pack_bf16 halves, read
/// by the AVX512-BF16 path; a NULL `xlo` skips the correction product (twice as fast, ~1e-3 relative).
void pk_matmul_bf16(const uint16_t *w, const float *x, const uint16_t *xhi, const uint16_t *xlo,
                    float *y, int64_t ldy, int64_t r0, int64_t r1, int64_t tokens, int64_t cols);

/// Whether the AVX512-BF16 path multiplies with bf16 dot products (`vdpbf16ps`: the bf16 GEMM, whose
/// fast form rounds activations to bf16, bf16 prompt attention, and decode's hi + lo split products)
/// rather than f32 FMAs on widened weights (exact, like the AVX2 path). Intel's cores run `vdpbf16ps`
/// at half the rate of f32 FMAs on the same registers, so there the f32 form is the faster one; AMD's
/// (Zen 4) run it at f32's rate on twice the products. Default: off on Intel, on elsewhere; PALMTOP_BF16_DOT=on|off
/// overrides it at the first call, pk_set_bf16_dot after. Always 0 off the AVX512-BF16 path.
int pk_bf16_dot(void);
void pk_set_bf16_dot(int on);

/// Weight rows of the current path's prefill register tile (or panel): a row range handed to
/// pk_matmul_bf16 that is a multiple of it leaves no tile partly empty.
int64_t pk_matmul_tile_rows(void);

/// The fewest tokens from which pk_matmul_bf16 gives each token's rows the same numbers however many
/// tokens share the call (below it some paths run the matrix × vector kernel per token instead).
int64_t pk_matmul_invariant_tokens(void);

/// A run of `n` consecutive cached positions starting at a multiple of 16, of which the first `skip`
/// are not attended to. Keys come in blocks of 16 positions, each block one row of 16 per dimension
/// (dimension i of position j is keys[(j/16)*ks + i*16 + j%16]); values are rows (values[j*vs + i]).
typedef struct { const float *keys; const float *values; int64_t n; int64_t skip; } pk_kv_segment;

/// Attention for `heads` query heads sharing one KV head, for `tokens` (1 to 8) consecutive query
/// positions that see the same first position: out[t][h] = softmax(q[t][h]·K * scale)·V over positions
/// [skip, counts[t]) of two segments taken as one run (a window that wraps around a ring buffer; the
/// second may have n = 0 and has no skip). q[t][h] is at q + t*qstride + h*dim, out likewise with `ostride`. `scores` holds
/// min(8, heads*tokens) * (total n) floats of scratch. When `stats` is not NULL, stats[2*(t*heads + h)] receives the row's
/// largest scaled score and the next float Σ exp(score − largest), so attention over parts of the positions can be merged.
void pk_attend(const float *q, int64_t qstride, int64_t tokens, int64_t heads, int64_t dim, const pk_kv_segment *segments,
               const int64_t *counts, int64_t ks, int64_t vs, float scale, float *scores, float *out, int64_t ostride,
               float *stats);


/// Elements (uint16) of pk_pack_kv_bf16's keys, and of its values, for a run of `n` positions.
int64_t pk_kv_bf16_count(int64_t n, int64_t dim);

/// Rounds blocks [block_begin, block_end) of 16 positions of a run — one or two segments as pk_attend
/// takes them, the second continuing the first — to bf16 in the layouts pk_attend_bf16 reads: keys per
/// block of 16 positions as dim/2 vectors of 16 (dimension 2i, 2i+1) pairs; values per pair of
/// positions as dim (position 2p, 2p+1) pairs. Positions past the run are zero. `dim` is even.
void pk_pack_kv_bf16(const pk_kv_segment *segments, int64_t ks, int64_t vs, int64_t dim, int64_t block_begin,
                     int64_t block_end, uint16_t *keys, uint16_t *values);

/// pk_attend over a pk_pack_kv_bf16 copy whose position 0 is `keys`/`values` (a multiple of 16 into
/// the packed run), with queries and probabilities rounded to bf16 for `vdpbf16ps` (~1e-3 relative);
/// softmax and sums in f32. Positions [skip, counts[t]) are attended. `scores` holds
/// min(8, heads*tokens) * (counts[tokens-1] rounded up to 32) floats of scratch.
void pk_attend_bf16(const float *q, int64_t qstride, int64_t tokens, int64_t heads, int64_t dim, const uint16_t *keys,
                    const uint16_t *values, int64_t skip, const int64_t *counts, float scale, float *scores, float *out,
                    int64_t ostride);

/// gate[i] = act(gate[i]) * up[i] with act = SiLU, or GELU (tanh approximation) when `gelu` is 1.
void pk_gated_activation(float *gate, const float *up, int64_t n, int gelu);

/// log Σ exp(l[i]) and, when `entropy` is not NULL, the entropy −Σ p·log p of softmax(l), in nats.
void pk_logsumexp_entropy(const float *l, int64_t n, float *lse, float *entropy);

#endif
