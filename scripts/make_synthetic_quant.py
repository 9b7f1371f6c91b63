#!/usr/bin/env python3
"""Small, deterministic GGUF with one tensor per supported ggml type.

Writes a synthetic GGUF (general.architecture = "synthetic") containing F32,
F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K tensors (plus a few
odd / multi-dimensional / edge-value ones), then re-reads it with
gguf.GGUFReader and writes a dequantization fixture in exactly the format of
make_dequant_fixtures.py.

Run (needs only numpy + gguf, takes ~1 s):

    python3 scripts/make_synthetic_quant.py OUT.gguf [OUT.json]

The committed fixture is Tests/Fixtures/dequant/synthetic.json; the .gguf is
never committed -- the test harness regenerates it with this script and
checks Palmtop's dequantizers against the committed JSON.  Therefore the output
must be bit-for-bit reproducible:
  * all randomness comes from np.random.RandomState (whose streams numpy
    promises never to change), with fixed seeds;
  * nothing time- or host-dependent is written into the file.
If the JSON's "file_sha256" no longer matches the regenerated file, gguf-py's
writer or quantizers changed; the per-tensor hashes are what the tests check.

gguf-py can quantize F32/F16/BF16/Q8_0/Q4_0/Q4_1/Q5_0/Q5_1 but not the
K-quants, so Q4_K/Q5_K/Q6_K tensors are random block bytes whose f16 scale
fields (d, dmin) are overwritten with finite values in +-0.1, so dequantized
values are always finite.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

sys.dont_write_bytecode = True  # don't leave scripts/__pycache__ behind in CI checkouts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_dequant_fixtures import fixture_for_gguf, write_fixture  # noqa: E402

SEED = 20240531
QK_K = 256


def normal(rng: np.random.RandomState, ne: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    """float32 N(0, scale) array in numpy (C) order, i.e. shape = reversed(ne)."""
    return (rng.standard_normal(tuple(reversed(ne))) * scale).astype(np.float32)


def random_kquant_bytes(rng: np.random.RandomState, qtype: T, ne: tuple[int, ...]) -> np.ndarray:
    """Random K-quant blocks (uint8, shape = rows x bytes_per_row) with sane f16 scales.

    Block layouts (from ggml-common.h):
      Q4_K: d f16 @0, dmin f16 @2, scales[12] @4, qs[128] @16          = 144 B
      Q5_K: d f16 @0, dmin f16 @2, scales[12] @4, qh[32] @16, qs[128] @48 = 176 B
      Q6_K: ql[128] @0, qh[64] @128, scales[16] int8 @192, d f16 @208    = 210 B
    """
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    assert ne[0] % block_size == 0
    n_blocks = int(np.prod(ne)) // block_size
    blocks = rng.randint(0, 256, size=(n_blocks, type_size)).astype(np.uint8)
    if qtype in (T.Q4_K, T.Q5_K):
        f16_offsets = (0, 2)          # d, dmin
    elif qtype == T.Q6_K:
        f16_offsets = (208,)          # d (at the end of the block)
    else:
        raise ValueError(qtype)
    for off in f16_offsets:
        vals = rng.uniform(-0.1, 0.1, size=n_blocks).astype(np.float16)
        blocks[:, off:off + 2] = vals.view(np.uint8).reshape(n_blocks, 2)
    # numpy order: outer dims reversed, packed bytes of one ne0-row last
    return blocks.reshape(tuple(reversed(ne[1:])) + (-1,))


def f32_edge_values() -> np.ndarray:
    """F32 bit patterns that exercise the f32 -> bf16 round-to-nearest-even rule."""
    bits = [
        0x00000000, 0x80000000,              # +0, -0
        0x3F800000, 0xBF800000,              # +-1
        0x3F808000,                          # tie, even lsb  -> rounds down to 0x3F80
        0x3F818000,                          # tie, odd lsb   -> rounds up   to 0x3F82
        0x3F807FFF,                          # just below tie -> 0x3F80
        0x3F808001,                          # just above tie -> 0x3F81
        0xBF818000,                          # negative tie   -> 0xBF82
        0x00000001,                          # smallest f32 subnormal -> 0x0000
        0x00008000,                          # subnormal tie, even -> 0x0000
        0x00018000,                          # subnormal tie, odd  -> 0x0002
        0x007FFFFF,                          # largest subnormal -> 0x0080 (min normal)
        0x7F7F0000,                          # exactly representable large value
        0x7F7FFFFF,                          # FLT_MAX -> rounds to +inf (0x7F80) under RNE
        0x7F800000,                          # +inf
    ]
    return np.array(bits, dtype=np.uint32).view(np.float32)


def f16_edge_values() -> np.ndarray:
    """F16 bit patterns: zeros, subnormals, min normal, max, +-inf-adjacent."""
    bits = [
        0x0000, 0x8000,        # +-0
        0x0001, 0x8001,        # smallest subnormal +-5.96e-8
        0x03FF,                # largest subnormal
        0x0400,                # smallest normal 6.1e-5
        0x3C00, 0xBC00,        # +-1
        0x3C01,                # 1 + 2^-10 (needs >8 mantissa bits: bf16 rounding)
        0x3555,                # ~1/3
        0x7BFF, 0xFBFF,        # +-65504
        0x7C00,                # +inf
        0x5640, 0x1234, 0xC800,
    ]
    return np.array(bits, dtype=np.uint16).view(np.float16)


def build(path: str) -> None:
    rng = np.random.RandomState(SEED)
    w = gguf.GGUFWriter(path, "synthetic")
    w.add_name("palmtop-synthetic-quant")
    w.add_uint32("synthetic.seed", SEED)

    def add_float(name: str, arr: np.ndarray) -> None:
        w.add_tensor(name, arr)  # dtype float32/float16 picks F32/F16

    def add_quant(name: str, qtype: T, f32: np.ndarray) -> None:
        q = gguf.quants.quantize(f32, qtype)  # uint8, shape (..., bytes_per_row)
        w.add_tensor(name, q, raw_dtype=qtype)

    main_ne = (512, 3)

    # --- plain float types ---------------------------------------------------
    add_float("f32", normal(rng, main_ne))
    add_float("f32_odd", normal(rng, (7, 5)))           # ne0 not a multiple of anything
    add_float("f32_vec7", normal(rng, (7,)))            # 1-D, 7 elements
    add_float("f32_edge", f32_edge_values())
    add_float("f16", normal(rng, main_ne).astype(np.float16))
    add_float("f16_odd", normal(rng, (7, 3)).astype(np.float16))
    add_float("f16_edge", f16_edge_values())
    add_quant("bf16", T.BF16, normal(rng, main_ne))
    add_quant("bf16_odd", T.BF16, normal(rng, (7, 3)))

    # --- legacy block quants (32-element blocks), quantized by gguf-py -------
    for qtype in (T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1):
        data = normal(rng, main_ne, scale=0.05)
        # one all-zero block exercises the d == 0 path of the quantizers
        data[1, 32:64] = 0.0
        add_quant(qtype.name.lower(), qtype, data)
    # single block, ne1 == 1
    add_quant("q8_0_one_block", T.Q8_0, normal(rng, (32, 1)))
    add_quant("q4_0_one_block", T.Q4_0, normal(rng, (32,)))
    # 3-D tensors: ne = (64, 3, 2) -- checks outer-dimension flattening order
    add_quant("q8_0_3d", T.Q8_0, normal(rng, (64, 3, 2)))
    add_quant("q5_1_3d", T.Q5_1, normal(rng, (64, 3, 2)))

    # --- K-quants (256-element super-blocks), random block bytes -------------
    for qtype in (T.Q4_K, T.Q5_K, T.Q6_K):
        raw = random_kquant_bytes(rng, qtype, main_ne)
        w.add_tensor(qtype.name.lower(), raw, raw_dtype=qtype)
    w.add_tensor("q6_k_3d", random_kquant_bytes(rng, T.Q6_K, (256, 2, 2)), raw_dtype=T.Q6_K)
    w.add_tensor("q4_k_wide", random_kquant_bytes(rng, T.Q4_K, (1024, 1)), raw_dtype=T.Q4_K)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    gguf_path = argv[1]
    os.makedirs(os.path.dirname(os.path.abspath(gguf_path)), exist_ok=True)
    build(gguf_path)
    print(f"wrote {gguf_path} ({os.path.getsize(gguf_path)} bytes)")
    if len(argv) == 3:
        fx = fixture_for_gguf(gguf_path, verbose=False)
        for t in fx["tensors"]:
            print(f"  {t['name']:<16} {t['type']:<5} ne={t['ne']}")
        write_fixture(fx, argv[2])
        print(f"wrote {argv[2]} ({len(fx['tensors'])} tensors, file_sha256={fx['file_sha256'][:16]}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
