#!/usr/bin/env python3
"""Write a tiny random-weight ``palm`` GGUF model and its golden-logits fixture.

Usage::

    python3 scripts/make_palm_model.py OUT.gguf [OUT_FIXTURE.json] [--seed N]

There are no public PaLM-architecture weights, so the engine's ``palm`` code
path is tested against this synthetic model. The output is bit-for-bit
deterministic for a given seed (numpy ``default_rng``; no timestamps or other
environment-dependent metadata), so tests can regenerate the GGUF into a
temporary directory instead of committing it. With a fixture path, the script
also reads the file back with ``gguf.GGUFReader`` and computes reference logits
with ``scripts/reference_model.py``.

Model: 4 layers, d_model 256, 4 query heads + 1 KV head (MQA), head_dim 64,
SwiGLU FFN 768, context 512, NEOX RoPE base 10000, RMSNorm eps 1e-6, tied
embeddings. 2-D weights are stored as BF16 (the engine's own precision, so the
reference's bf16 rounding is a no-op here) and norm weights as F32.

Tokenizer: a toy SentencePiece-style vocabulary (``tokenizer.ggml.model =
llama``) of exactly 512 tokens: 4 specials, the 256 byte-fallback tokens and
252 ordinary pieces using U+2581 for spaces.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import gguf
from gguf.constants import GGMLQuantizationType, TokenType

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_model as ref  # noqa: E402

DEFAULT_SEED = 20240601

CONFIG = dict(
    n_layer=4,
    n_embd=256,
    n_head=4,
    n_head_kv=1,
    head_dim=64,
    n_ff=768,
    n_ctx=512,
    rope_base=10000.0,
    eps=1e-6,
)

SPACE = "\u2581"  # SentencePiece's visible space marker
N_NORMAL_PIECES = 252  # 4 + 256 + 252 = 512 tokens

# Common English words; each is added with all its prefixes (so every piece
# can be built by merging two existing pieces, as SPM-BPE requires).
_WORDS = [
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "was", "on",
    "are", "as", "with", "he", "be", "at", "by", "this", "had", "not", "but",
    "from", "or", "have", "an", "they", "which", "one", "you", "were", "all",
    "we", "her", "she", "there", "would", "their", "will", "when", "who",
    "him", "been", "has", "more", "if", "no", "out", "so", "said", "what",
    "up", "its", "about", "into", "than", "them", "can", "only", "other",
    "new", "some", "could", "time", "these", "two", "may", "then", "do",
    "first", "any", "my", "now", "such", "like", "our", "over", "man", "me",
    "even", "most", "made", "after", "also", "did", "many", "before", "must",
    "through", "back", "years", "where", "much", "your", "way", "well",
    "down", "should", "because", "each", "just", "those", "people", "how",
    "too", "little", "state", "good", "very", "make", "world", "still",
]


def build_vocab():
    """Return (tokens, scores, types) for the toy SentencePiece vocabulary.

    Scores: higher merges first. Specials and bytes get score 0 (never used
    for merging); ordinary piece i gets -i, so shorter/earlier pieces win.
    """
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>"]
    types = [TokenType.CONTROL, TokenType.CONTROL, TokenType.CONTROL, TokenType.UNKNOWN]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [TokenType.BYTE] * 256

    pieces: list[str] = []

    def add(p: str) -> None:
        if p not in pieces and len(pieces) < N_NORMAL_PIECES:
            pieces.append(p)

    add(SPACE)
    for c in "etaoinshrdlcumwfgypbvkjxqz":
        add(c)
    for c in ".,!?'-:;0123456789":
        add(c)
    for c in "etaoinshrdlcumwfgypbvkjxqz":
        add(SPACE + c)
    for c in "TAIHW":
        add(SPACE + c)
    for w in _WORDS:
        full = SPACE + w
        for n in range(2, len(full) + 1):
            add(full[:n])
    assert len(pieces) == N_NORMAL_PIECES, len(pieces)

    tokens += pieces
    types += [TokenType.NORMAL] * len(pieces)
    scores = [0.0] * (4 + 256) + [float(-i) for i in range(len(pieces))]
    return tokens, scores, [int(t) for t in types]


def to_bf16_bits(a: np.ndarray) -> np.ndarray:
    """float array -> uint16 bfloat16 bit patterns (round-to-nearest-even)."""
    r = ref.bf16_round(a.astype(np.float32))
    return (r.view(np.uint32) >> 16).astype(np.uint16)


def make_weights(seed: int):
    """Deterministic weights: dict name -> (array, is_matrix).

    Matrices ~ N(0, 0.02); norm weights ~ 1 + N(0, 0.05). Tensors are drawn in
    a fixed order from one generator so the result depends only on ``seed``.
    Shapes are numpy (row-major) shapes, i.e. (n_out, n_in).
    """
    c = CONFIG
    rng = np.random.default_rng(seed)
    n_vocab = 4 + 256 + N_NORMAL_PIECES
    d, hd = c["n_embd"], c["head_dim"]

    def mat(rows, cols):
        return rng.normal(0.0, 0.02, size=(rows, cols))

    def norm(n):
        return 1.0 + rng.normal(0.0, 0.05, size=(n,))

    w = {"token_embd.weight": mat(n_vocab, d)}
    for il in range(c["n_layer"]):
        p = f"blk.{il}."
        w[p + "attn_norm.weight"] = norm(d)
        w[p + "attn_q.weight"] = mat(c["n_head"] * hd, d)
        w[p + "attn_k.weight"] = mat(c["n_head_kv"] * hd, d)
        w[p + "attn_v.weight"] = mat(c["n_head_kv"] * hd, d)
        w[p + "attn_output.weight"] = mat(d, c["n_head"] * hd)
        w[p + "ffn_gate.weight"] = mat(c["n_ff"], d)
        w[p + "ffn_up.weight"] = mat(c["n_ff"], d)
        w[p + "ffn_down.weight"] = mat(d, c["n_ff"])
    w["output_norm.weight"] = norm(d)
    return w


def write_gguf(path: str, seed: int = DEFAULT_SEED) -> None:
    """Write the model file. Same seed -> identical bytes."""
    c = CONFIG
    tokens, scores, types = build_vocab()
    wr = gguf.GGUFWriter(path, "palm")
    wr.add_name("palm-tiny")
    wr.add_uint32("palm.context_length", c["n_ctx"])
    wr.add_uint32("palm.embedding_length", c["n_embd"])
    wr.add_uint32("palm.block_count", c["n_layer"])
    wr.add_uint32("palm.feed_forward_length", c["n_ff"])
    wr.add_uint32("palm.attention.head_count", c["n_head"])
    wr.add_uint32("palm.attention.head_count_kv", c["n_head_kv"])
    wr.add_uint32("palm.attention.key_length", c["head_dim"])
    wr.add_float32("palm.rope.freq_base", c["rope_base"])
    wr.add_float32("palm.attention.layer_norm_rms_epsilon", c["eps"])

    wr.add_tokenizer_model("llama")
    wr.add_tokenizer_pre("default")
    wr.add_token_list(tokens)
    wr.add_token_scores(scores)
    wr.add_token_types(types)
    wr.add_bos_token_id(2)
    wr.add_eos_token_id(1)
    wr.add_unk_token_id(3)
    wr.add_pad_token_id(0)
    wr.add_add_bos_token(True)
    wr.add_add_eos_token(False)
    wr.add_add_space_prefix(False)

    for name, arr in make_weights(seed).items():
        if arr.ndim == 2:
            wr.add_tensor(name, to_bf16_bits(arr), raw_dtype=GGMLQuantizationType.BF16)
        else:
            wr.add_tensor(name, arr.astype(np.float32))

    wr.write_header_to_file()
    wr.write_kv_data_to_file()
    wr.write_tensors_to_file()
    wr.close()


def check_readback(path: str, seed: int) -> None:
    """Re-open the file with GGUFReader and compare every tensor bit-exactly."""
    r = gguf.GGUFReader(path)
    assert r.fields["general.architecture"].contents() == "palm"
    expected = make_weights(seed)
    got = {t.name: t for t in r.tensors}
    assert set(got) == set(expected), sorted(set(got) ^ set(expected))
    for name, arr in expected.items():
        t = got[name]
        assert tuple(int(n) for n in reversed(t.shape)) == arr.shape, (name, t.shape)
        if arr.ndim == 2:
            assert t.tensor_type == GGMLQuantizationType.BF16, name
            raw = np.frombuffer(np.asarray(t.data).tobytes(), dtype=np.uint16).reshape(arr.shape)
            assert np.array_equal(raw, to_bf16_bits(arr)), name
        else:
            assert t.tensor_type == GGMLQuantizationType.F32, name
            assert np.array_equal(np.asarray(t.data), arr.astype(np.float32)), name
    tokens = r.fields["tokenizer.ggml.tokens"].contents()
    assert len(tokens) == 512 and tokens[2] == "<bos>" and tokens[4 + 0x41] == "<0x41>"


def _g(x) -> float:
    """float32 value -> JSON float with 9 significant digits (round-trips f32)."""
    return float(f"{float(x):.9g}")


def make_fixture(gguf_path: str, fixture_path: str, seed: int) -> dict:
    """Reference logits for three fixed id sequences (lengths 8, 20, 40)."""
    m = ref.load(gguf_path)
    rng = np.random.default_rng(seed + 1)
    cases = []
    for length in (8, 20, 40):
        ids = [2] + [int(i) for i in rng.integers(4, m.vocab_size, size=length - 1)]
        z = ref.logits(m, ids)                      # [T, vocab] float32
        order = np.argsort(-z, axis=-1, kind="stable")
        top5 = [[[int(i), _g(row[i])] for i in o[:5]] for row, o in zip(z, order)]
        argmax = [int(o[0]) for o in order]
        margin = [_g(row[o[0]] - row[o[1]]) for row, o in zip(z, order)]
        case = {
            "ids": ids,
            "argmax": argmax,
            "argmax_margin": margin,
            "logits_all_top5": top5,
            "logits_last": [_g(v) for v in z[-1]],
            "max_abs_logit": _g(np.abs(z).max()),
            "final_hidden_norm_last": _g(np.linalg.norm(ref.hidden_states(m, ids)[-1].astype(np.float64))),
        }
        if length == 8:
            case["logits_all"] = [[_g(v) for v in row] for row in z]
        cases.append(case)

    with open(gguf_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    fixture = {
        "model": "palm-tiny",
        "generator": "scripts/make_palm_model.py",
        "seed": seed,
        "gguf_sha256": sha,
        "gguf_py_version": getattr(gguf, "__version__", None) or _gguf_version(),
        "reference": "numpy bf16 weights, f32 activations, f64 accumulation",
        "config": dict(CONFIG, n_vocab=m.vocab_size),
        "cases": cases,
    }
    with open(fixture_path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    return fixture


def _gguf_version():
    try:
        from importlib.metadata import version
        return version("gguf")
    except Exception:
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Write the tiny random PaLM GGUF (+ logits fixture).")
    ap.add_argument("out_gguf")
    ap.add_argument("out_fixture", nargs="?")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)

    t0 = time.time()
    write_gguf(args.out_gguf, args.seed)
    check_readback(args.out_gguf, args.seed)
    print(f"wrote {args.out_gguf} ({os.path.getsize(args.out_gguf)} bytes, {time.time() - t0:.2f}s)")
    if args.out_fixture:
        make_fixture(args.out_gguf, args.out_fixture, args.seed)
        print(f"wrote {args.out_fixture} ({time.time() - t0:.2f}s total)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
