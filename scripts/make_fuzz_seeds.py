#!/usr/bin/env python3
"""Seed corpora for Palmtop's fuzz targets (`make fuzz`).

Run (standard library only, deterministic, instant):

    python3 scripts/make_fuzz_seeds.py OUT_DIR [GGUF_FILE...]

Writes one folder per fuzz target:

    OUT_DIR/FuzzGGUF/        every file of scripts/make_bad_gguf.py, the GGUF files given (the
                             Makefile passes the synthetic quantized file, one tensor of each
                             type), and three tiny models with a tokenizer (palm + SentencePiece
                             vocabulary, llama + byte-level BPE with merges, gemma3), so mutations
                             start from headers that reach the architecture config and tokenizer
    OUT_DIR/FuzzPromptFile/  the shipped prompts (prompts/*.yaml)
    OUT_DIR/FuzzDevSet/      the shipped dev sets (prompts/*.dev.jsonl)

and to each folder the inputs that target once crashed on (Tests/Fixtures/fuzz/TARGET/).

Files larger than MAX_SEED_BYTES are skipped: libFuzzer runs slower on big inputs and mutates
mostly the start of a file anyway.
"""

from __future__ import annotations

import glob
import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_bad_gguf as bad  # noqa: E402

MAX_SEED_BYTES = 64 * 1024
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

T_FLOAT32, T_BOOL, T_ARRAY = 6, 7, 9


def kv_bool(key: str, value: bool) -> bytes:
    return bad.gstr(key) + struct.pack("<IB", T_BOOL, value)


def kv_f32(key: str, value: float) -> bytes:
    return bad.gstr(key) + struct.pack("<If", T_FLOAT32, value)


def kv_strings(key: str, values: list[str]) -> bytes:
    return bad.gstr(key) + struct.pack("<IIQ", T_ARRAY, bad.T_STRING, len(values)) + b"".join(bad.gstr(v) for v in values)


def kv_f32s(key: str, values: list[float]) -> bytes:
    return bad.gstr(key) + struct.pack("<IIQ", T_ARRAY, T_FLOAT32, len(values)) + bad.f32_bytes(values)


def kv_u32s(key: str, values: list[int]) -> bytes:
    return bad.gstr(key) + struct.pack(f"<IIQ{len(values)}I", T_ARRAY, bad.T_UINT32, len(values), *values)


def model_kvs(arch: str, tokenizer: list[bytes]) -> list[bytes]:
    """The metadata of a one-layer model: width 8, 2 heads of 4, 1 KV head, then the tokenizer's keys."""
    kvs = [bad.kv_str("general.architecture", arch), bad.kv_str("general.name", f"fuzz-seed-{arch}")]
    for key, value in [("context_length", 64), ("embedding_length", 8), ("block_count", 1), ("feed_forward_length", 16),
                       ("attention.head_count", 2), ("attention.head_count_kv", 1), ("attention.key_length", 4)]:
        kvs.append(bad.kv_u32(f"{arch}.{key}", value))
    kvs += [kv_f32(f"{arch}.rope.freq_base", 10000.0), kv_f32(f"{arch}.attention.layer_norm_rms_epsilon", 1e-6)]
    return kvs + tokenizer


def model_file(arch: str, tokenizer: list[bytes], vocab_size: int) -> bytes:
    """The model's header with an F32 token embedding of the vocabulary's size and one norm weight."""
    kvs = model_kvs(arch, tokenizer)
    embd = bad.f32_bytes([0.5] * (8 * vocab_size))
    norm = bad.f32_bytes([1.0] * 8)
    infos = [bad.tensor_info("token_embd.weight", [8, vocab_size], bad.GGML_F32, 0),
             bad.tensor_info("blk.0.attn_norm.weight", [8], bad.GGML_F32, len(embd) + bad.pad(len(embd)))]
    return bad.build(kvs, infos, embd + b"\0" * bad.pad(len(embd)) + norm)


def sentencepiece_vocabulary() -> tuple[list[bytes], int]:
    pieces = ["<unk>", "<s>", "</s>", "<0x0A>", "<0xC3>", "<0xA9>", "\u2581", "\u2581H", "\u2581He", "\u2581Hello",
              "l", "o", "lo", ",", "!", "1", "2"]
    kinds = [2, 3, 3, 6, 6, 6] + [1] * (len(pieces) - 6)
    tokenizer = [bad.kv_str("tokenizer.ggml.model", "llama"), kv_strings("tokenizer.ggml.tokens", pieces),
                 kv_f32s("tokenizer.ggml.scores", [-float(i) for i in range(len(pieces))]),
                 kv_u32s("tokenizer.ggml.token_type", kinds),
                 bad.kv_u32("tokenizer.ggml.bos_token_id", 1), bad.kv_u32("tokenizer.ggml.eos_token_id", 2),
                 kv_bool("tokenizer.ggml.add_bos_token", True), kv_bool("tokenizer.ggml.add_space_prefix", True)]
    return tokenizer, len(pieces)


def byte_level_vocabulary() -> tuple[list[bytes], int]:
    tokens = ["<|endoftext|>", "H", "e", "l", "o", ",", "\u0120", "w", "r", "d", "!", "He", "ll", "Hell", "Hello", "\u0120w"]
    merges = ["H e", "l l", "He ll", "Hell o", "\u0120 w"]
    tokenizer = [bad.kv_str("tokenizer.ggml.model", "gpt2"), bad.kv_str("tokenizer.ggml.pre", "smollm"),
                 kv_strings("tokenizer.ggml.tokens", tokens), kv_u32s("tokenizer.ggml.token_type", [3] + [1] * (len(tokens) - 1)),
                 kv_strings("tokenizer.ggml.merges", merges),
                 bad.kv_u32("tokenizer.ggml.bos_token_id", 0), bad.kv_u32("tokenizer.ggml.eos_token_id", 0)]
    return tokenizer, len(tokens)


def write(folder: str, name: str, blob: bytes) -> None:
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(blob)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    out = argv[1]
    gguf_dir = os.path.join(out, "FuzzGGUF")
    for name, blob in bad.make_files().items():
        if blob:  # libFuzzer always tries the empty input itself
            write(gguf_dir, name, blob)
    for path in argv[2:]:
        if os.path.getsize(path) <= MAX_SEED_BYTES:
            shutil.copy(path, gguf_dir)
    spm, spm_size = sentencepiece_vocabulary()
    bpe, bpe_size = byte_level_vocabulary()
    write(gguf_dir, "palm_sentencepiece.gguf", model_file("palm", spm, spm_size))
    write(gguf_dir, "llama_byte_level.gguf", model_file("llama", bpe, bpe_size))
    write(gguf_dir, "gemma3_sentencepiece.gguf", model_file("gemma3", spm, spm_size))
    for pattern, target in [("*.yaml", "FuzzPromptFile"), ("*.dev.jsonl", "FuzzDevSet")]:
        os.makedirs(os.path.join(out, target), exist_ok=True)
        for path in sorted(glob.glob(os.path.join(ROOT, "prompts", pattern))):
            shutil.copy(path, os.path.join(out, target))
    # Inputs a target once crashed on (Tests/Fixtures/fuzz/TARGET/), so every run starts from them too.
    for target in ["FuzzGGUF", "FuzzPromptFile", "FuzzDevSet"]:
        for path in sorted(glob.glob(os.path.join(ROOT, "Tests", "Fixtures", "fuzz", target, "*"))):
            shutil.copy(path, os.path.join(out, target, "finding-" + os.path.basename(path)))
    for target in sorted(os.listdir(out)):
        print(f"{target}: {len(os.listdir(os.path.join(out, target)))} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
