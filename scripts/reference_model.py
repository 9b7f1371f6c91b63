#!/usr/bin/env python3
"""Independent numpy reference forward pass for Palmtop's decoder architectures.

This is the "golden" implementation the Swift engine is tested against. It is
deliberately slow and simple: no KV cache, every call recomputes the whole
sequence, and every step is written out the way the math reads.

Numerics (chosen to match what the engine holds, not what the GGUF holds):

* Weights are dequantized with ``gguf.quants.dequantize`` and then every 2-D
  weight matrix is rounded to bfloat16 (round-to-nearest-even) and widened
  back, because the engine stores all matrices as bf16. 1-D norm weights stay
  float32.
* Activations are float32 between operations. Inside an operation (matmul,
  norm, softmax) the arithmetic is done in float64 so that the reference
  itself contributes negligible rounding error.

Supported ``general.architecture`` values:

* ``llama``  -- e.g. SmolLM2 (RoPE "normal" mode: adjacent pairs).
* ``gemma3`` -- Gemma 3 text model (QK-norm, post-norms, GeGLU, interleaved
  sliding-window / global attention, NEOX RoPE with two bases).
* ``palm``   -- Palmtop's own parallel-block architecture (see ``_palm_layer``).

GGUF layout note: gguf-py hands back arrays in C order with the shape reversed
relative to ggml's ``ne``; a weight with ``ne = [n_in, n_out]`` arrives as
``(n_out, n_in)``, so a projection is ``y = W @ x`` (``x @ W.T`` for row
vectors stacked in a matrix).

Usage::

    python3 scripts/reference_model.py MODEL.gguf --ids 2,651,6037 [--top 10]
    python3 scripts/reference_model.py MODEL.gguf --prompt "Hello" [--greedy 8]

``--prompt`` needs llama-cpp-python for tokenization (this module never
implements a tokenizer).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from gguf import GGUFReader
from gguf.constants import GGMLQuantizationType
from gguf.quants import dequantize

F32 = np.float32
F64 = np.float64


# --------------------------------------------------------------------------
# Weight loading
# --------------------------------------------------------------------------

def bf16_round(a: np.ndarray) -> np.ndarray:
    """Round float32 values to the nearest bfloat16 (ties to even) and widen back.

    bfloat16 is the top 16 bits of a float32. Adding 0x7FFF plus the lowest
    kept bit before truncating implements round-to-nearest-even on the raw
    bit pattern. (NaN/Inf handling is irrelevant for model weights.)
    """
    u = np.ascontiguousarray(a, dtype=F32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(F32).reshape(np.shape(a))


def _field_value(reader: GGUFReader, key: str):
    """Return a scalar / string / array metadata value, or None if absent."""
    f = reader.fields.get(key)
    if f is None:
        return None
    return f.contents()


def _tensor_to_f32(t) -> np.ndarray:
    """Dequantize one GGUF tensor to float32 in gguf-py's (reversed-ne) shape."""
    qtype = GGMLQuantizationType(t.tensor_type)
    if qtype == GGMLQuantizationType.F32:
        arr = np.asarray(t.data, dtype=F32)
    elif qtype == GGMLQuantizationType.F16:
        arr = np.asarray(t.data, dtype=np.float16).astype(F32)
    else:
        # Covers BF16 and all block-quantized types (Q4_K, Q8_0, ...).
        arr = np.asarray(dequantize(t.data, qtype), dtype=F32)
    shape = tuple(int(n) for n in reversed(t.shape))
    return arr.reshape(shape)


@dataclass
class Model:
    """Everything the forward pass needs: hyper-parameters plus weights.

    ``mats`` holds 2-D matrices as float64 copies of the bf16-rounded values
    (float64 so matmuls accumulate in double precision; the values themselves
    are exactly the bf16 numbers). ``vecs`` holds 1-D norm weights as float32.
    """

    path: str
    arch: str
    n_embd: int
    n_layer: int
    n_ff: int
    n_head: int
    n_head_kv: int
    head_dim: int
    n_rot: int
    rope_base: float
    eps: float
    vocab_size: int
    context_length: int
    bos_id: int | None
    add_bos: bool
    # gemma3 only
    rope_base_swa: float = 10000.0
    sliding_window: int = 0
    swa_pattern: int = 0
    attn_scale: float = 0.0
    mats: dict = field(default_factory=dict)
    vecs: dict = field(default_factory=dict)

    def is_swa_layer(self, il: int) -> bool:
        """gemma3: llama.cpp's ``set_swa_pattern(6)`` -> layers 0-4 local, 5 global, ..."""
        if self.swa_pattern <= 0:
            return False
        return il % self.swa_pattern < self.swa_pattern - 1


def load(path: str) -> Model:
    """Read a GGUF file and return a :class:`Model` ready for :func:`logits`."""
    r = GGUFReader(path)
    arch = _field_value(r, "general.architecture")
    if arch not in ("llama", "gemma3", "palm"):
        raise ValueError(f"unsupported architecture {arch!r}")

    def kv(name, default=None):
        v = _field_value(r, f"{arch}.{name}")
        return default if v is None else v

    n_embd = int(kv("embedding_length"))
    n_head = int(kv("attention.head_count"))
    head_dim = int(kv("attention.key_length", n_embd // n_head))
    tokens = _field_value(r, "tokenizer.ggml.tokens")
    add_bos = _field_value(r, "tokenizer.ggml.add_bos_token")
    bos = _field_value(r, "tokenizer.ggml.bos_token_id")

    m = Model(
        path=path,
        arch=arch,
        n_embd=n_embd,
        n_layer=int(kv("block_count")),
        n_ff=int(kv("feed_forward_length")),
        n_head=n_head,
        n_head_kv=int(kv("attention.head_count_kv", n_head)),
        head_dim=head_dim,
        n_rot=int(kv("rope.dimension_count", head_dim)),
        rope_base=float(kv("rope.freq_base", 10000.0)),
        eps=float(kv("attention.layer_norm_rms_epsilon")),
        vocab_size=len(tokens) if tokens is not None else 0,
        context_length=int(kv("context_length", 0)),
        bos_id=None if bos is None else int(bos),
        add_bos=bool(add_bos) if add_bos is not None else (arch != "llama"),
    )
    if arch == "gemma3":
        # Values hard-coded in llama.cpp's gemma3 hparams loader.
        m.rope_base_swa = 10000.0
        m.swa_pattern = 6
        m.sliding_window = int(kv("attention.sliding_window"))
        # query_pre_attn_scalar = head_dim for every size except 27B.
        m.attn_scale = 1.0 / math.sqrt(head_dim)
        if kv("final_logit_softcapping") is not None or kv("attn_logit_softcapping") is not None:
            # Gemma 3 has no softcapping; refuse silently-wrong results if a
            # file ever claims otherwise.
            raise ValueError("gemma3 file declares logit softcapping; not implemented")
    else:
        m.attn_scale = 1.0 / math.sqrt(head_dim)

    for t in r.tensors:
        w = _tensor_to_f32(t)
        if w.ndim == 1:
            m.vecs[t.name] = w
        else:
            # Collapse any higher-rank tensor to (rows, cols); our archs only
            # have true 2-D matrices.
            w = w.reshape(w.shape[0] if w.ndim == 2 else -1, w.shape[-1])
            m.mats[t.name] = bf16_round(w).astype(F64)
    if m.vocab_size == 0:
        m.vocab_size = m.mats["token_embd.weight"].shape[0]
    return m


# --------------------------------------------------------------------------
# Building blocks (inputs/outputs float32, internals float64)
# --------------------------------------------------------------------------

def matmul(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Rows of x times W^T: x is [T, n_in] f32, w is [n_out, n_in] -> [T, n_out] f32."""
    return (x.astype(F64) @ w.T).astype(F32)


def rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    """RMSNorm over the last axis, then elementwise weight (llama.cpp semantics)."""
    x64 = x.astype(F64)
    scale = 1.0 / np.sqrt(np.mean(x64 * x64, axis=-1, keepdims=True) + eps)
    return (x64 * scale * weight.astype(F64)).astype(F32)


def silu(x: np.ndarray) -> np.ndarray:
    x64 = x.astype(F64)
    return (x64 / (1.0 + np.exp(-x64))).astype(F32)


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    """GELU, tanh approximation (what both HF Gemma3 and ggml_gelu compute)."""
    x64 = x.astype(F64)
    inner = math.sqrt(2.0 / math.pi) * (x64 + 0.044715 * x64 ** 3)
    return (0.5 * x64 * (1.0 + np.tanh(inner))).astype(F32)


def rope(x: np.ndarray, positions: np.ndarray, base: float, n_rot: int, neox: bool) -> np.ndarray:
    """Rotary position embedding on x of shape [T, n_heads, head_dim].

    Dimension pair i (0 <= i < n_rot/2) rotates by angle pos * base^(-2i/n_rot).
    ``neox=False`` ("normal" mode) pairs adjacent elements (x[2i], x[2i+1]);
    llama GGUFs have their q/k rows permuted at conversion time to make this
    equivalent to HF's rotate_half. ``neox=True`` pairs (x[i], x[i + n_rot/2]).
    Dimensions beyond n_rot pass through unchanged.
    """
    half = n_rot // 2
    inv_freq = base ** (-np.arange(half, dtype=F64) * 2.0 / n_rot)
    ang = positions.astype(F64)[:, None] * inv_freq[None, :]        # [T, half]
    cos = np.cos(ang)[:, None, :]                                   # [T, 1, half]
    sin = np.sin(ang)[:, None, :]
    x64 = x.astype(F64)
    out = x64.copy()
    if neox:
        a, b = x64[..., :half], x64[..., half:n_rot]
        out[..., :half] = a * cos - b * sin
        out[..., half:n_rot] = a * sin + b * cos
    else:
        a, b = x64[..., 0:n_rot:2], x64[..., 1:n_rot:2]
        out[..., 0:n_rot:2] = a * cos - b * sin
        out[..., 1:n_rot:2] = a * sin + b * cos
    return out.astype(F32)


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, scale: float, window: int = 0) -> np.ndarray:
    """Causal multi-head attention with grouped/multi-query KV sharing.

    q: [T, n_head, d], k/v: [T, n_head_kv, d]. Query head h reads KV head
    h // (n_head / n_head_kv) (HF repeat_kv / ggml broadcast order).
    ``window > 0`` restricts query position p to keys p-window+1 .. p, i.e. a
    window of ``window`` tokens *including* the query itself; this is
    llama.cpp's LLAMA_SWA_TYPE_STANDARD rule (masked iff p_q - p_k >= window).
    Returns [T, n_head * d] float32.
    """
    T, n_head, d = q.shape
    group = n_head // k.shape[1]
    pq = np.arange(T)[:, None]
    pk = np.arange(T)[None, :]
    allowed = pk <= pq
    if window > 0:
        allowed &= (pq - pk) < window
    out = np.empty((T, n_head, d), dtype=F32)
    for h in range(n_head):
        kh = k[:, h // group, :].astype(F64)
        vh = v[:, h // group, :].astype(F64)
        s = (q[:, h, :].astype(F64) @ kh.T) * scale                 # [T, T]
        s = np.where(allowed, s, -np.inf)
        s -= s.max(axis=-1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(axis=-1, keepdims=True)
        out[:, h, :] = (p @ vh).astype(F32)
    return out.reshape(T, n_head * d)


def _qkv(m: Model, il: int, h: np.ndarray):
    """Project normalized input h [T, n_embd] to q [T,H,d], k and v [T,Hkv,d]."""
    T = h.shape[0]
    p = f"blk.{il}."
    q = matmul(h, m.mats[p + "attn_q.weight"]).reshape(T, m.n_head, m.head_dim)
    k = matmul(h, m.mats[p + "attn_k.weight"]).reshape(T, m.n_head_kv, m.head_dim)
    v = matmul(h, m.mats[p + "attn_v.weight"]).reshape(T, m.n_head_kv, m.head_dim)
    return q, k, v


def _embed(m: Model, ids) -> np.ndarray:
    """Token embedding rows (bf16 values) as float32 [T, n_embd]."""
    return m.mats["token_embd.weight"][np.asarray(ids, dtype=np.int64)].astype(F32)


# --------------------------------------------------------------------------
# Architectures: each layer function maps x [T, n_embd] -> x [T, n_embd]
# --------------------------------------------------------------------------

def _llama_layer(m: Model, il: int, x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    p = f"blk.{il}."
    h = rms_norm(x, m.vecs[p + "attn_norm.weight"], m.eps)
    q, k, v = _qkv(m, il, h)
    q = rope(q, pos, m.rope_base, m.n_rot, neox=False)
    k = rope(k, pos, m.rope_base, m.n_rot, neox=False)
    a = attention(q, k, v, m.attn_scale)
    x = x + matmul(a, m.mats[p + "attn_output.weight"])

    h = rms_norm(x, m.vecs[p + "ffn_norm.weight"], m.eps)
    g = silu(matmul(h, m.mats[p + "ffn_gate.weight"]))
    u = matmul(h, m.mats[p + "ffn_up.weight"])
    return x + matmul(g * u, m.mats[p + "ffn_down.weight"])


def _gemma3_layer(m: Model, il: int, x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    p = f"blk.{il}."
    swa = m.is_swa_layer(il)
    base = m.rope_base_swa if swa else m.rope_base

    # Norm weights in llama.cpp's GGUF already include Gemma's "+1".
    h = rms_norm(x, m.vecs[p + "attn_norm.weight"], m.eps)
    q, k, v = _qkv(m, il, h)
    q = rms_norm(q, m.vecs[p + "attn_q_norm.weight"], m.eps)    # per head
    k = rms_norm(k, m.vecs[p + "attn_k_norm.weight"], m.eps)
    q = rope(q, pos, base, m.n_rot, neox=True)
    k = rope(k, pos, base, m.n_rot, neox=True)
    a = attention(q, k, v, m.attn_scale, window=m.sliding_window if swa else 0)
    a = matmul(a, m.mats[p + "attn_output.weight"])
    # Post-norm is applied to the branch output, before the residual add.
    x = x + rms_norm(a, m.vecs[p + "post_attention_norm.weight"], m.eps)

    h = rms_norm(x, m.vecs[p + "ffn_norm.weight"], m.eps)
    g = gelu_tanh(matmul(h, m.mats[p + "ffn_gate.weight"]))
    u = matmul(h, m.mats[p + "ffn_up.weight"])
    f = matmul(g * u, m.mats[p + "ffn_down.weight"])
    return x + rms_norm(f, m.vecs[p + "post_ffw_norm.weight"], m.eps)


def _palm_layer(m: Model, il: int, x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """PaLM-style parallel block: attention and MLP read the same normalized h."""
    p = f"blk.{il}."
    h = rms_norm(x, m.vecs[p + "attn_norm.weight"], m.eps)
    q, k, v = _qkv(m, il, h)
    q = rope(q, pos, m.rope_base, m.n_rot, neox=True)
    k = rope(k, pos, m.rope_base, m.n_rot, neox=True)
    a = matmul(attention(q, k, v, m.attn_scale), m.mats[p + "attn_output.weight"])
    g = silu(matmul(h, m.mats[p + "ffn_gate.weight"]))
    u = matmul(h, m.mats[p + "ffn_up.weight"])
    f = matmul(g * u, m.mats[p + "ffn_down.weight"])
    return x + a + f


_LAYERS = {"llama": _llama_layer, "gemma3": _gemma3_layer, "palm": _palm_layer}


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def hidden_states(m: Model, ids) -> np.ndarray:
    """Final hidden states (after output_norm), float32 [T, n_embd]."""
    ids = list(ids)
    if not ids:
        raise ValueError("empty token sequence")
    if max(ids) >= m.vocab_size or min(ids) < 0:
        raise ValueError("token id out of range")
    pos = np.arange(len(ids))
    x = _embed(m, ids)
    if m.arch == "gemma3":
        # llama.cpp: ggml_scale(inp, sqrtf(n_embd)) -- a float32 multiply.
        x = x * F32(math.sqrt(m.n_embd))
    layer = _LAYERS[m.arch]
    for il in range(m.n_layer):
        x = layer(m, il, x, pos)
    return rms_norm(x, m.vecs["output_norm.weight"], m.eps)


def output_matrix(m: Model) -> np.ndarray:
    """LM head: output.weight if the file has one, else the tied embedding."""
    return m.mats.get("output.weight", m.mats["token_embd.weight"])


def logits(m: Model, ids, last_only: bool = False) -> np.ndarray:
    """Logits [T, vocab] float32 for every position (or [1, vocab] if last_only)."""
    h = hidden_states(m, ids)
    if last_only:
        h = h[-1:]
    return matmul(h, output_matrix(m))


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Numerically stable log-softmax over the last axis, computed in float64."""
    z64 = np.asarray(z, dtype=F64)
    z64 = z64 - z64.max(axis=-1, keepdims=True)
    return z64 - np.log(np.exp(z64).sum(axis=-1, keepdims=True))


def greedy(m: Model, ids, n: int):
    """Greedy continuation by full recompute per step.

    Returns (tokens, margins, first_logits) where margins[i] is the gap in
    log-probability between the best and second-best token at step i and
    first_logits are the float32 logits at the first generated position.
    """
    seq = list(ids)
    out, margins, first = [], [], None
    for step in range(n):
        z = logits(m, seq, last_only=True)[0]
        if step == 0:
            first = z
        lp = log_softmax(z)
        top2 = np.argsort(-lp, kind="stable")[:2]
        out.append(int(top2[0]))
        margins.append(float(lp[top2[0]] - lp[top2[1]]))
        seq.append(int(top2[0]))
    return out, margins, first


def tokenize(path: str, text: str) -> list[int]:
    """Token ids from llama-cpp-python's tokenizer (BOS per the file's metadata)."""
    import llama_cpp  # imported lazily: optional dependency

    tok = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
    return tok.tokenize(text.encode("utf-8"), special=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--ids", help="comma-separated token ids")
    g.add_argument("--prompt", help="text prompt (needs llama-cpp-python)")
    ap.add_argument("--top", type=int, default=10, help="show top-k at the last position")
    ap.add_argument("--greedy", type=int, default=0, help="greedy-decode this many tokens")
    args = ap.parse_args(argv)

    t0 = time.time()
    m = load(args.model)
    print(f"loaded {m.arch}: {m.n_layer} layers, d={m.n_embd}, vocab={m.vocab_size} "
          f"({time.time() - t0:.1f}s)")
    ids = [int(s) for s in args.ids.split(",")] if args.ids else tokenize(args.model, args.prompt)
    print("ids:", ids)
    t0 = time.time()
    z = logits(m, ids)
    lp = log_softmax(z[-1])
    print(f"forward {len(ids)} tokens: {time.time() - t0:.2f}s")
    for i in np.argsort(-lp, kind="stable")[: args.top]:
        print(f"  {int(i):7d}  logit {z[-1, i]: .4f}  logprob {lp[i]: .4f}")
    if args.greedy:
        toks, margins, _ = greedy(m, ids, args.greedy)
        print("greedy:", toks)
        print("margins:", [round(x, 3) for x in margins])
    return 0


if __name__ == "__main__":
    sys.exit(main())
