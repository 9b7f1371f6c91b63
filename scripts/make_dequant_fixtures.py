#!/usr/bin/env python3
"""Golden dequantization fixtures for Palmtop's GGUF tensor loaders.

For every tensor of a GGUF file this dequantizes the data with gguf-py's
reference implementation (``gguf.quants.dequantize``), rounds the float32
result to bfloat16 (round-to-nearest-even) and records a SHA-256 over all
values plus a handful of sampled values, so the Swift dequantizers can be
checked bit-for-bit (at bf16 precision) without committing hundreds of MB.

Run (needs only numpy + gguf):

    python3 scripts/make_dequant_fixtures.py                  # both default models
    python3 scripts/make_dequant_fixtures.py MODEL.gguf OUT.json   # one file

Default inputs:  ~/.cache/palmtop/models/{gemma-3-270m,smollm2-135m-instruct}.gguf
Default outputs: Tests/Fixtures/dequant/<model>.json

Output format (one JSON object per file):

    {
      "file_sha256": "<hex sha256 of the whole .gguf file>",
      "tensors": [
        {
          "name":    "blk.0.attn_q.weight",
          "type":    "Q4_K",              # gguf.GGMLQuantizationType name
          "ne":      [ne0, ne1, ...],     # GGUF order, ne0 = fastest-varying
          "count":   ne0*ne1*...,
          "sha256":  "<hex sha256 of all values as little-endian bf16 (uint16) bytes,
                       flattened with ne0 fastest>",
          "samples": [[flat_index, bf16_bits], ...]   # sorted by flat_index
        }, ...
      ]
    }

Samples: index 0, the last index, and 14 more drawn with a RandomState seeded
from crc32(tensor name) (all indices if the tensor has <= 16 elements).
flat_index = i0 + ne0*(i1 + ne1*(i2 + ...)).

This module is also imported by make_synthetic_quant.py (``fixture_for_gguf``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zlib

import numpy as np
import gguf

N_SAMPLES = 16
# Elements per dequantization chunk; bounds peak memory (~100 MB of temporaries)
# even for Gemma's 262144 x 640 token embedding.
CHUNK_ELEMS = 1 << 22


def f32_to_bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 array -> uint16 bf16 bit patterns, round-to-nearest-even.

    Same rule as ggml's ggml_compute_fp32_to_bf16:
        bf16 = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    NaNs become quiet NaNs (sign kept, 0x0040 forced on) so they can never
    round into an infinity.  Finite values that round past the largest bf16
    become +-inf, which is what RNE prescribes.
    """
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    # uint64 so that the addition cannot wrap (only NaN patterns could, but be safe)
    wide = bits.astype(np.uint64)
    rounded = ((wide + 0x7FFF + ((wide >> 16) & 1)) >> 16).astype(np.uint16)
    is_nan = (bits & 0x7FFFFFFF) > 0x7F800000
    if is_nan.any():
        quiet = ((bits >> 16) | 0x0040).astype(np.uint16)
        rounded = np.where(is_nan, quiet, rounded)
    return rounded


def sample_indices(name: str, count: int) -> list[int]:
    """0, last, and 14 distinct pseudo-random interior indices (stable per name)."""
    if count <= N_SAMPLES:
        return list(range(count))
    # RandomState (not Generator): numpy guarantees its stream never changes.
    rng = np.random.RandomState(zlib.crc32(name.encode("utf-8")))
    chosen = {0, count - 1}
    while len(chosen) < N_SAMPLES:
        chosen.add(int(rng.randint(1, count - 1)))
    return sorted(chosen)


def tensor_fixture(t) -> dict:
    """Dequantize one gguf.ReaderTensor and build its fixture record."""
    ne = [int(d) for d in t.shape]  # gguf-py reports shape ne0-first
    count = int(np.prod(ne, dtype=np.int64)) if ne else 1
    # t.data is C-ordered with the *reversed* shape (ne0 is the last axis);
    # quantized types come back as uint8 rows of packed blocks.  Flatten all
    # outer dims into rows so we can stream over them.
    data = t.data
    rows = data.reshape((-1, data.shape[-1]))
    n_rows = rows.shape[0]
    row_elems = count // n_rows
    rows_per_chunk = max(1, CHUNK_ELEMS // max(1, row_elems))

    wanted = sample_indices(t.name, count)
    samples: list[list[int]] = []
    h = hashlib.sha256()
    start = 0
    for r0 in range(0, n_rows, rows_per_chunk):
        chunk = rows[r0:r0 + rows_per_chunk]
        vals = gguf.quants.dequantize(chunk, t.tensor_type)
        vals = np.asarray(vals, dtype=np.float32).reshape(-1)
        bf = f32_to_bf16_bits(vals)
        h.update(bf.astype("<u2").tobytes())
        end = start + bf.size
        for idx in wanted:
            if start <= idx < end:
                samples.append([idx, int(bf[idx - start])])
        start = end
    assert start == count, (t.name, start, count)

    return {
        "name": t.name,
        "type": t.tensor_type.name,
        "ne": ne,
        "count": count,
        "sha256": h.hexdigest(),
        "samples": samples,
    }


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            h.update(block)
    return h.hexdigest()


def fixture_for_gguf(path: str, verbose: bool = True) -> dict:
    reader = gguf.GGUFReader(path)
    tensors = []
    for t in reader.tensors:
        rec = tensor_fixture(t)
        tensors.append(rec)
        if verbose:
            print(f"  {rec['name']:<40} {rec['type']:<5} ne={rec['ne']}", file=sys.stderr)
    return {"file_sha256": file_sha256(path), "tensors": tensors}


def write_fixture(fixture: dict, out_path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    # One tensor per line keeps diffs readable while the file stays compact.
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"file_sha256": ' + json.dumps(fixture["file_sha256"]) + ',\n "tensors": [\n')
        lines = [json.dumps(t, separators=(", ", ": ")) for t in fixture["tensors"]]
        f.write(",\n".join("  " + line for line in lines))
        f.write("\n]}\n")


def main(argv: list[str]) -> int:
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if len(argv) == 3:
        jobs = [(argv[1], argv[2])]
    elif len(argv) == 1:
        models_dir = os.path.expanduser("~/.cache/palmtop/models")
        jobs = [
            (os.path.join(models_dir, f"{m}.gguf"),
             os.path.join(repo, "Tests", "Fixtures", "dequant", f"{m}.json"))
            for m in ("gemma-3-270m", "smollm2-135m-instruct")
        ]
    else:
        print(__doc__)
        return 2
    for model_path, out_path in jobs:
        print(f"{model_path} -> {out_path}", file=sys.stderr)
        fx = fixture_for_gguf(model_path)
        write_fixture(fx, out_path)
        types: dict[str, int] = {}
        for t in fx["tensors"]:
            types[t["type"]] = types.get(t["type"], 0) + 1
        print(f"wrote {out_path}: {len(fx['tensors'])} tensors {types}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
