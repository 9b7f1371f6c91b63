#!/usr/bin/env python3
"""Small malformed GGUF files for Palmtop's loader error-path tests.

Run (pure standard library, deterministic, instant):

    python3 scripts/make_bad_gguf.py OUT_DIR

Files written to OUT_DIR:

    valid_tiny.gguf        control: well-formed, arch "llama", one F32 [4] tensor
    empty.gguf             0 bytes
    bad_magic.gguf         valid_tiny with the magic changed to "GGUX"
    truncated_header.gguf  valid file cut in the middle of the KV section
                           (inside the second key/value pair)
    tensor_past_end.gguf   tensor info says offset+size lies beyond the end of file
    absurd_dims.gguf       a F32 tensor with ne0 = 2^62 (byte size overflows 64 bits)
    duplicate_tensor.gguf  two tensors both named "blk.0.weight"
    bad_utf8.gguf          general.name holds invalid UTF-8 bytes
    unknown_type.gguf      a tensor whose ggml type id is 99
    unsupported_arch.gguf  general.architecture = "mamba-xyz", otherwise valid
    zero_kv_heads.gguf     a palm model with attention.head_count_kv = 0 (the config divided by it)

All files are written by hand with struct.pack (gguf-py refuses to produce most
of them).  GGUF v3 layout, little-endian:

    u32 magic 'GGUF' | u32 version=3 | u64 n_tensors | u64 n_kv
    n_kv x  { str key | u32 value_type | value }
    n_tensors x { str name | u32 n_dims | u64 ne[n_dims] | u32 ggml_type | u64 offset }
    zero padding to general.alignment (32)
    tensor data (offsets relative to here, each aligned to 32)

where str = u64 byte length + bytes (no NUL).
"""

from __future__ import annotations

import os
import struct
import sys

ALIGN = 32
GGUF_VERSION = 3

# gguf metadata value types
T_UINT32 = 4
T_STRING = 8

# ggml tensor types
GGML_F32 = 0


def gstr(b: bytes | str) -> bytes:
    if isinstance(b, str):
        b = b.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv_str(key: str, value: bytes | str) -> bytes:
    return gstr(key) + struct.pack("<I", T_STRING) + gstr(value)


def kv_u32(key: str, value: int) -> bytes:
    return gstr(key) + struct.pack("<II", T_UINT32, value)


def tensor_info(name: str, ne: list[int], ggml_type: int, offset: int) -> bytes:
    out = gstr(name) + struct.pack("<I", len(ne))
    for d in ne:
        out += struct.pack("<Q", d)
    return out + struct.pack("<IQ", ggml_type, offset)


def pad(n: int) -> int:
    return (ALIGN - n % ALIGN) % ALIGN


def build(kvs: list[bytes], infos: list[bytes], data: bytes, magic: bytes = b"GGUF") -> bytes:
    """Assemble header + KVs + tensor infos + padding + data blob."""
    head = magic + struct.pack("<IQQ", GGUF_VERSION, len(infos), len(kvs))
    body = head + b"".join(kvs) + b"".join(infos)
    return body + b"\0" * pad(len(body)) + data


def f32_bytes(values: list[float]) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def standard_kvs(arch: str = "llama", name: bytes | str = "palmtop-bad-gguf") -> list[bytes]:
    return [
        kv_str("general.architecture", arch),
        kv_str("general.name", name),
        kv_u32("general.quantization_version", 2),
    ]


TINY = f32_bytes([1.0, 2.0, 3.0, 4.0])  # 16 bytes


def make_files() -> dict[str, bytes]:
    files: dict[str, bytes] = {}

    valid = build(standard_kvs(), [tensor_info("blk.0.weight", [4], GGML_F32, 0)], TINY)
    files["valid_tiny.gguf"] = valid

    files["empty.gguf"] = b""

    files["bad_magic.gguf"] = b"GGUX" + valid[4:]

    # Cut in the middle of the second KV pair: header (24 bytes) + the whole
    # first KV + half of the second one.
    kvs = standard_kvs()
    cut = 24 + len(kvs[0]) + len(kvs[1]) // 2
    files["truncated_header.gguf"] = valid[:cut]

    # 64 F32 elements = 256 bytes declared at offset 32, but only 32 bytes of
    # data follow the header -> offset+size is 256 bytes past the end.
    files["tensor_past_end.gguf"] = build(
        standard_kvs(), [tensor_info("blk.0.weight", [64], GGML_F32, ALIGN)], b"\0" * ALIGN)

    # ne0 = 2^62 elements of 4 bytes: 2^64 bytes, which wraps a u64 to 0.
    files["absurd_dims.gguf"] = build(
        standard_kvs(), [tensor_info("blk.0.weight", [1 << 62], GGML_F32, 0)], TINY)

    # Two well-formed tensors sharing one name (distinct, aligned offsets).
    files["duplicate_tensor.gguf"] = build(
        standard_kvs(),
        [tensor_info("blk.0.weight", [4], GGML_F32, 0),
         tensor_info("blk.0.weight", [4], GGML_F32, ALIGN)],
        TINY + b"\0" * pad(len(TINY)) + f32_bytes([5.0, 6.0, 7.0, 8.0]))

    # 0xFF/0xFE never occur in UTF-8; 0xC3 0x28 is a lead byte followed by a
    # non-continuation byte.
    files["bad_utf8.gguf"] = build(
        standard_kvs(name=b"bad \xff\xfe utf8 \xc3\x28"),
        [tensor_info("blk.0.weight", [4], GGML_F32, 0)], TINY)

    files["unknown_type.gguf"] = build(
        standard_kvs(), [tensor_info("blk.0.weight", [32], 99, 0)], b"\0" * 64)

    files["unsupported_arch.gguf"] = build(
        standard_kvs(arch="mamba-xyz"), [tensor_info("blk.0.weight", [4], GGML_F32, 0)], TINY)

    files["zero_kv_heads.gguf"] = build(
        standard_kvs(arch="palm") + [kv_u32("palm.embedding_length", 8), kv_u32("palm.attention.head_count", 2),
                                     kv_u32("palm.attention.head_count_kv", 0)],
        [tensor_info("blk.0.weight", [4], GGML_F32, 0)], TINY)

    return files


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name, blob in make_files().items():
        path = os.path.join(out_dir, name)
        with open(path, "wb") as f:
            f.write(blob)
        print(f"wrote {path} ({len(blob)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
