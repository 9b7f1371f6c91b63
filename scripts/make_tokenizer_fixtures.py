#!/usr/bin/env python3
"""Golden tokenizer fixtures for Palmtop, using llama.cpp as the reference.

For each model (Gemma 3 270M: SentencePiece-style BPE with byte fallback;
SmolLM2 135M: GPT-2 byte-level BPE with the "smollm" pre-tokenizer) and for
each of the same few hundred test strings, this records the token ids that
llama.cpp (via llama-cpp-python, vocab only) produces, in two cases:

    add_bos = model default (gemma: true, smollm2: false), special = true
    add_bos = false,                                        special = false

"special" is llama.cpp's parse_special flag: when true, control tokens such
as "<start_of_turn>" / "<|im_start|>" written in the text become their single
special id; when false they are tokenized as ordinary text.

Run:

    python3 scripts/make_tokenizer_fixtures.py [--models-dir DIR] [--out-dir DIR]
                                               [--no-crosscheck]

Needs: llama-cpp-python, gguf, numpy; optionally `tokenizers` and
`sentencepiece` for the cross-check against a second, independent reference
(mismatches are only reported, never fatal).

Output: Tests/Fixtures/tokenizer/<model>.jsonl, one JSON object per line, in
string order, the two cases for a string on consecutive lines:

    {"text": str, "add_bos": bool, "special": bool, "ids": [int, ...],
     "roundtrip": bool}

roundtrip = (llama.cpp detokenize of ids -- leading BOS removed, rendering
special tokens iff special is true -- decoded as UTF-8 == text).
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
from collections import Counter

MODELS = ("gemma-3-270m", "smollm2-135m-instruct")


# ----------------------------------------------------------------------------
# Test strings
# ----------------------------------------------------------------------------

def build_strings() -> list[str]:
    """The shared list of test strings (order is stable; duplicates dropped)."""
    s: list[str] = []

    # -- empty and single characters --------------------------------------
    s.append("")
    # every printable ASCII character on its own: exercises the byte-level
    # alphabet (GPT-2) and single-piece / byte-fallback paths (SentencePiece)
    s += [chr(c) for c in range(0x20, 0x7F)]
    s += ["\t", "\n", "\r", "\x0b", "\x0c", "\x00", "\x01", "\x1b", "\x7f"]
    s += ["é", "ß", "ñ", "ø", "€", "£", "¥", "©", "°", "µ", "中", "あ", "ア", "한",
          "ب", "א", "Ж", "Ω", "क", "ก", "😀", "\u00a0", "\u3000", "\ufffd"]

    # -- ASCII prose -------------------------------------------------------
    prose = [
        "Hello",
        "Hello, world!",
        "hello world",
        "The quick brown fox jumps over the lazy dog.",
        "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
        "Pack my box with five dozen liquor jugs.",
        "I'm sure you're right, but we've got to go; they'll wait, won't they? It's John's.",
        "I'M SURE YOU'RE RIGHT. IT'S JOHN'S.",
        "She said, \"Don't do that!\" and left.",
        "Once upon a time, in a land far, far away, there lived a small dragon who loved books.",
        "To be, or not to be, that is the question.",
        "Wait... what?! Really??? No way!!!",
        "e.g. i.e. etc. vs. Mr. Mrs. Dr. St.",
        "state-of-the-art, well-known, self-driving",
        "(parentheses) [brackets] {braces} <angles>",
        "Tokenization is the first step of every language model pipeline.",
        "antidisestablishmentarianism",
        "Supercalifragilisticexpialidocious",
        "aaaaa bbbbb ccccc",
        "a b c d e f g h i j k l m n o p q r s t u v w x y z",
        "A",
        "a",
        "I",
        "What is the capital of France?",
        "Summarize the following text in one sentence:",
        "user",
        "model",
        "assistant",
        "system",
        "You are a helpful assistant.",
    ]
    s += prose
    # whitespace and case variants of a few phrases: the leading-space form is
    # how words appear mid-sentence, which both tokenizers treat specially
    for p in ("Hello", "hello world", "The quick brown fox", "It's", "don't",
              "tokenization", "1234", "Привет", "日本語", "🙂 ok"):
        s += [" " + p, p + " ", "  " + p, p + "\n", "\n" + p, p.upper(), p.capitalize()]

    # -- whitespace --------------------------------------------------------
    s += [" ", "  ", "   ", "    ", "        ", "\t\t", "\n\n", "\n\n\n", "\n\n\n\n\n",
          "\r\n", "\r\n\r\n", "a\r\nb", "a\rb", " \n ", "\t\n", " \t \n",
          "hello  world", "hello   world", "hello\tworld", "hello\nworld",
          "hello\n\nworld", "hello\n\n\nworld", "hello \nworld", "hello\n world",
          "  leading spaces", "trailing spaces  ", "  both sides  ",
          "line1\nline2\nline3\n", "\tindented with tab", "    indented with spaces",
          "a \u00a0b", "non\u00a0breaking", "ideographic\u3000space", "em\u2003space",
          "tab\there\tand\tthere", "trailing tab\t", "mixed \t\n\r\n whitespace"]
    for n in (1, 2, 3, 5, 8, 16):
        s += [" " * n + "x", "x" + " " * n, "x" + " " * n + "y", "\n" * n + "x", "x" + "\t" * n]

    # -- numbers -----------------------------------------------------------
    s += ["0", "00", "007", "42", "-42", "+42", "3.14159", "-0.5", "1e-5", "6.02e23",
          "12345678901234567890", "1,000,000", "1.000.000,00", "$1,234.56", "€99.99",
          "99%", "50/50", "1/2", "2024-05-31", "12:30:45", "+1 (555) 123-4567",
          "0x1F", "0b1010", "v1.2.3", "Version 10.15.7", "192.168.0.1",
          "in 1984 and 2001", "abc123def456", "x1y2z3", "3 + 4 = 7",
          "½ ¼ ¾", "Ⅻ ⅳ", "²³¹", "١٢٣٤٥", "１２３", "१२३", "๑๒๓", "一二三"]
    s += [str(10 ** k) for k in range(0, 21, 3)]
    s += ["9" * k for k in (2, 4, 7, 10)]

    # -- scripts -------------------------------------------------------------
    s += [
        # Chinese
        "你好，世界！", "我爱自然语言处理。", "今天天气很好，我们去公园散步吧。",
        "中华人民共和国", "繁體中文測試", "「引号」、《书名》……",
        # Japanese
        "こんにちは", "カタカナ", "日本語のテキストです。", "ｶﾀｶﾅ", "東京都渋谷区",
        "ひらがなとカタカナと漢字", "ー～・",
        # Korean
        "안녕하세요", "한국어 텍스트입니다.", "대한민국 서울특별시",
        "\u1100\u1161\u11a8",  # decomposed Hangul jamo (ㄱ ㅏ ㄱ)
        # Arabic
        "مرحبا بالعالم", "اللغة العربية جميلة", "السَّلَامُ عَلَيْكُمْ", "العدد ١٢٣",
        # Hebrew
        "שלום עולם", "עִבְרִית", "ירושלים 2024",
        # Cyrillic
        "Привет, мир!", "Съешь же ещё этих мягких французских булок, да выпей чаю.",
        "ПРИВЕТ", "Україна, Ґґ Єє Її", "Српски језик",
        # Greek
        "Γειά σου Κόσμε", "ελληνικά", "Ἀθῆναι", "αβγδεζηθικλμνξοπρστυφχψω",
        # Indic
        "नमस्ते दुनिया", "हिन्दी भाषा", "क्षत्रिय", "বাংলা ভাষা", "தமிழ்", "తెలుగు",
        # Thai (no spaces between words)
        "สวัสดีครับ", "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
        # others
        "Tiếng Việt có nhiều dấu", "ქართული", "Հայերեն", "ᚠᚢᚦᚨᚱᚲ", "ꦗꦮ",
        "İstanbul ıi", "Straße Maß", "Zażółć gęślą jaźń", "Ærø Ålborg Øl",
        "naïve café résumé coöperate", "façade Noël", "ǅ ǈ ǋ",
        "𝕳𝖊𝖑𝖑𝖔", "𝒜𝒷𝒸", "ｆｕｌｌｗｉｄｔｈ",
    ]

    # -- emoji ---------------------------------------------------------------
    s += ["😀", "😀😃😄", "👍", "👍🏻", "👍🏽", "👍🏿", "👋🏼 hi",
          "👨‍👩‍👧‍👦", "👩‍❤️‍💋‍👨", "🧑🏿‍💻", "👩🏽‍🚀", "🏳️‍🌈", "🏴‍☠️",
          "🇺🇸", "🇯🇵🇫🇷🇩🇪", "🇺🇳 flag", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
          "❤️", "❤", "✔️ done", "1️⃣2️⃣3️⃣", "#️⃣", "☺︎", "©️®️™️",
          "I love 🍕 and 🍣!", "🔥🔥🔥", "🤖: beep boop", "🦀 Rust + 🐍 Python",
          "\U0001F9D1\u200D\U0001F91D\u200D\U0001F9D1"]

    # -- combining marks, zero-width and bidi controls ----------------------
    s += ["e\u0301", "\u00e9", "cafe\u0301", "n\u0303", "a\u0308\u0304",
          "\u0301", "o\u0302\u0323", "Z\u0334\u0321\u031ba\u0337l\u0338g\u0335o\u0336",
          "a\u200bb", "\u200b", "zero\u200bwidth\u200bspace", "a\u200db", "\u200d",
          "\ufeffhello", "\ufeff", "a\u200cb", "word\u2060joiner", "soft\u00adhyphen",
          "\u200eleft\u200fright", "\u202eevil\u202c", "a\ufe0fb", "\u2028\u2029"]

    # -- code ------------------------------------------------------------------
    s += [
        "def hello(name):\n    print(f\"Hello, {name}!\")\n    return None\n",
        "for i in range(10):\n\tif i % 2 == 0:\n\t\tcontinue\n",
        "import numpy as np\nx = np.zeros((3, 4), dtype=np.float32)",
        "class Foo(Bar):\n    \"\"\"Docstring.\"\"\"\n    pass",
        "lambda x: x**2 + 2*x - 1",
        "struct Point: Equatable {\n    var x: Double\n    var y: Double\n}",
        "let names = [\"a\", \"b\"].map { $0.uppercased() }",
        "func f<T: Sendable>(_ x: T) async throws -> [T] { [x] }",
        "guard let value = optional else { return }",
        "{\"name\": \"Palmtop\", \"version\": 1, \"tags\": [\"llm\", \"swift\"], \"ok\": true, \"n\": null}",
        "{\n  \"a\": {\n    \"b\": [1, 2, 3]\n  }\n}",
        "#include <stdio.h>\n\nint main(void) {\n\tprintf(\"%d\\n\", 42);\n\treturn 0;\n}\n",
        "for (int i = 0; i < n; ++i) {\n\t\tsum += a[i] * b[i];\n\t}",
        "x->y = *p++; // pointer\n/* block comment */",
        "fn main() {\n    let v: Vec<u8> = vec![1, 2, 3];\n    println!(\"{:?}\", v);\n}",
        "const add = (a, b) => a + b; console.log(`sum=${add(1, 2)}`);",
        "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
        "#!/bin/bash\nset -euo pipefail\necho \"$HOME\" | grep -v '^#' > /dev/null 2>&1",
        "<div class=\"main\"><p>Hello &amp; welcome</p></div>",
        "<table><tr><td>cell</td></tr></table>",
        "<b>bold</b> <i>italic</i> <code>x</code>",
        "<h1>Title</h1>",
        "^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$",
        "if (a && b || !c) { x <<= 2; y >>= 1; z ^= 0xFF; }",
        "    ",
        "\t\t\treturn;",
        "}\n}\n}",
        "===",
        "!==",
        "...",
        "->",
        "=>",
        "::",
        "__init__",
        "snake_case_identifier camelCaseIdentifier PascalCase SCREAMING_CASE kebab-case",
    ]

    # -- URLs, emails, paths --------------------------------------------------
    s += ["https://www.example.com/path/to/page?query=1&lang=en#section",
          "http://localhost:8080/api/v1/users/42",
          "ftp://files.example.org/pub/file.tar.gz",
          "mailto:someone@example.com", "john.doe+tag@sub.example.co.uk",
          "Contact us at support@example.com or visit https://example.com.",
          "/usr/local/bin/python3", "C:\\Users\\Admin\\Documents\\file.txt",
          "~/.cache/palmtop/models/model.gguf", "www.example.com",
          "https://example.com/%E4%BD%A0%E5%A5%BD"]

    # -- markdown --------------------------------------------------------------
    s += ["# Heading 1\n## Heading 2\n### Heading 3",
          "- item one\n- item two\n  - nested item\n",
          "1. first\n2. second\n3. third",
          "**bold** and *italic* and ~~strike~~ and `code`",
          "[link text](https://example.com) and ![alt](image.png)",
          "> quoted text\n> continues here",
          "| a | b |\n|---|---|\n| 1 | 2 |",
          "```python\nprint('hi')\n```",
          "---", "***", "- [ ] todo\n- [x] done",
          "Term\n: Definition", "Footnote[^1]\n\n[^1]: The note."]

    # -- special-token markers (both models' vocabularies) ---------------------
    s += ["<bos>", "<eos>", "<pad>", "<unk>", "<mask>",
          "<start_of_turn>", "<end_of_turn>",
          "<start_of_turn>user\nhi<end_of_turn>",
          "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n",
          "<bos><start_of_turn>user\nhello<end_of_turn>\n",
          "<bos><bos>", " <bos> ", "text<bos>text", "<BOS>", "< bos >", "<bos",
          "<start_of_turn", "start_of_turn>", "<end_of_turn><eos>",
          "<start_of_image>", "<end_of_image>", "[multimodal]", "<unused0>",
          "<|im_start|>", "<|im_end|>", "<|endoftext|>",
          "<|im_start|>user\nhi<|im_end|>",
          "<|im_start|>system\nYou are a helpful AI assistant named SmolLM.<|im_end|>\n"
          "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
          "<|im_start|", "|im_end|>", "<|im_start|><|im_end|>", " <|im_start|> ",
          "a<|endoftext|>b", "<|endoftext|><|endoftext|>",
          "<repo_name>palmtop<file_sep>main.swift", "<filename>", "<jupyter_code>",
          "<s>", "</s>", "[INST]", "<|user|>", "<think>", "<|eot_id|>"]

    # -- long repeats ------------------------------------------------------------
    s += ["a" * 500, "a" * 33, "ab" * 250, " " * 100, "\n" * 64, "\t" * 40,
          "1" * 200, "=" * 80, "-" * 120, "😀" * 50, "中" * 300, "é" * 100,
          "the " * 100, "Hello world! " * 40, "\u200b" * 20, "a " * 150,
          ". " * 60, "ha" * 100]

    # -- mixed scripts ------------------------------------------------------------
    s += ["Hello世界", "日本語とEnglishの混在テキスト", "Привет, world! 你好 🌍",
          "abc١٢٣def", "Café 中文 русский ελληνικά עברית العربية हिन्दी 한국어 ไทย 😀",
          "The word 'naïve' is French-derived; 日本語では「ナイーブ」。",
          "price: ¥1,000 / $9.99 / €8,50 / ₹700 / ₩10,000",
          "math: ∀x∈ℝ, ∃y: x² + y² ≤ 1 ⇒ |x| ≤ 1; ∑ᵢ aᵢ ≈ ∞; √2 ≠ π",
          "arrows → ← ↑ ↓ ⇐ ⇔ and boxes ┌─┐│└┘ ░▒▓█",
          "quotes “double” ‘single’ «guillemets» „low“ — em – en … ellipsis",
          "Line with emoji 🎉 and CJK 漢字 and Arabic مرحبا\nand a newline"]

    # de-duplicate, keeping first occurrence
    seen: set[str] = set()
    out: list[str] = []
    for t in s:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


# ----------------------------------------------------------------------------
# llama.cpp reference
# ----------------------------------------------------------------------------

def llama_detokenize(llm, ids: list[int], special: bool) -> bytes:
    """llama.cpp's own llama_detokenize (C API).

    Not Llama.detokenize(): llama-cpp-python renders each token through a
    fixed 32-byte buffer and silently drops longer pieces (SmolLM2 has tokens
    of 64 '=' or '-' characters), which would make roundtrip checks lie.
    remove_special=False (we strip BOS ourselves), unparse_special=special.
    """
    import ctypes
    import llama_cpp

    arr = (llama_cpp.llama_token * len(ids))(*ids)
    cap = 64 + 16 * len(ids)
    while True:
        buf = ctypes.create_string_buffer(cap)
        n = llama_cpp.llama_detokenize(llm._model.vocab, arr, len(ids), buf, cap, False, special)
        if n >= 0:
            return buf.raw[:n]
        cap = -n + 1  # negative return = required size


def llama_reference(model_path: str, strings: list[str]) -> tuple[list[dict], dict]:
    import llama_cpp

    llm = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    bos = llm.token_bos()
    default_add_bos = bool(llm._model.add_bos_token()) if hasattr(llm._model, "add_bos_token") else None
    if default_add_bos is None:
        raise RuntimeError("cannot query add_bos_token from llama-cpp-python")
    info = {"bos": bos, "eos": llm.token_eos(), "default_add_bos": default_add_bos,
            "n_vocab": llm.n_vocab()}

    records = []
    for text in strings:
        for add_bos, special in ((default_add_bos, True), (False, False)):
            ids = list(llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special))
            body = ids[1:] if (add_bos and ids and ids[0] == bos) else ids
            detok = llama_detokenize(llm, body, special)
            roundtrip = detok.decode("utf-8", errors="replace") == text
            records.append({"text": text, "add_bos": add_bos, "special": special,
                            "ids": ids, "roundtrip": roundtrip})
    return records, info


# ----------------------------------------------------------------------------
# Second, independent references (cross-check only)
# ----------------------------------------------------------------------------

def gguf_vocab(model_path: str) -> dict:
    import gguf
    r = gguf.GGUFReader(model_path)
    f = r.fields
    out = {"tokens": f["tokenizer.ggml.tokens"].contents(),
           "types": f["tokenizer.ggml.token_type"].contents()}
    if "tokenizer.ggml.scores" in f:
        out["scores"] = f["tokenizer.ggml.scores"].contents()
    if "tokenizer.ggml.merges" in f:
        out["merges"] = f["tokenizer.ggml.merges"].contents()
    for k in ("bos_token_id", "eos_token_id", "unknown_token_id", "padding_token_id"):
        key = "tokenizer.ggml." + k
        if key in f:
            out[k] = int(f[key].contents())
    return out


def hf_bytelevel_tokenizer(v: dict):
    """SmolLM2 as a `tokenizers` BPE: split digits individually, then the GPT-2
    byte-level regex -- the same pre-tokenization as llama.cpp's "smollm"."""
    from tokenizers import Tokenizer, AddedToken, models, pre_tokenizers, decoders

    vocab = {t: i for i, t in enumerate(v["tokens"])}
    merges = [tuple(m.split(" ", 1)) for m in v["merges"]]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    specials = [t for t, ty in zip(v["tokens"], v["types"]) if ty == 3]  # CONTROL
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])

    def encode(text: str, special: bool) -> list[int]:
        # encode_special_tokens=True makes special-token text tokenize as plain text
        tok.encode_special_tokens = not special
        return tok.encode(text, add_special_tokens=False).ids
    return encode


def _pb_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _pb_key(field: int, wire: int) -> bytes:
    return _pb_varint((field << 3) | wire)


def _pb_bytes(field: int, data: bytes) -> bytes:
    return _pb_key(field, 2) + _pb_varint(len(data)) + data


def _pb_int(field: int, n: int) -> bytes:
    return _pb_key(field, 0) + _pb_varint(n & 0xFFFFFFFFFFFFFFFF)


def sentencepiece_tokenizer(v: dict):
    """Gemma as a SentencePiece BPE model rebuilt from the GGUF vocab.

    The GGUF does not carry the original tokenizer.model protobuf, so a
    ModelProto is serialized by hand (protobuf wire format; field numbers
    from sentencepiece_model.proto): pieces with scores and types, BPE,
    byte_fallback, identity normalizer without dummy prefix or whitespace
    folding.  SentencePiece requires exactly one UNKNOWN piece, so <unk>
    (CONTROL in the GGUF) is marked UNKNOWN here.
    """
    import sentencepiece as spm

    unk = v.get("unknown_token_id", 3)
    pieces = bytearray()
    for i, (t, sc, ty) in enumerate(zip(v["tokens"], v["scores"], v["types"])):
        ty = 2 if i == unk else int(ty)
        sp = _pb_bytes(1, t.encode("utf-8")) + _pb_key(2, 5) + struct.pack("<f", float(sc)) + _pb_int(3, ty)
        pieces += _pb_bytes(1, sp)
    trainer = (_pb_int(3, 2)                      # model_type = BPE
               + _pb_int(35, 1)                   # byte_fallback
               + _pb_int(40, unk)
               + _pb_int(41, v.get("bos_token_id", 2))
               + _pb_int(42, v.get("eos_token_id", 1))
               + _pb_int(43, v.get("padding_token_id", 0)))
    normalizer = (_pb_bytes(1, b"identity")
                  + _pb_int(3, 0)                 # add_dummy_prefix = false
                  + _pb_int(4, 0)                 # remove_extra_whitespaces = false
                  + _pb_int(5, 1))                # escape_whitespaces = true
    proto = bytes(pieces) + _pb_bytes(2, trainer) + _pb_bytes(3, normalizer)
    sp = spm.SentencePieceProcessor()
    sp.LoadFromSerializedProto(proto)

    def encode(text: str, special: bool) -> list[int]:
        # SentencePiece never parses CONTROL pieces from text (USER_DEFINED
        # ones always), i.e. it corresponds to llama.cpp's special=False.
        return list(sp.EncodeAsIds(text))
    return encode


def crosscheck(model: str, model_path: str, records: list[dict], info: dict) -> list[str]:
    """Compare llama.cpp ids with a second reference; returns report lines."""
    v = gguf_vocab(model_path)
    try:
        if "merges" in v:
            encode = hf_bytelevel_tokenizer(v)
            ref_name = "tokenizers (BPE + Digits + ByteLevel)"
            cases = (True, False)
        else:
            encode = sentencepiece_tokenizer(v)
            ref_name = "sentencepiece (rebuilt ModelProto)"
            cases = (False,)  # SentencePiece has no "parse control tokens" mode
    except ImportError as e:
        return [f"{model}: cross-check skipped ({e})"]

    # Known, expected difference for Gemma: its vocab has USER_DEFINED pieces
    # made of raw spaces ("  ", "   ", ...).  llama.cpp matches user-defined
    # pieces in the raw text before whitespace escaping, SentencePiece only
    # after escaping (" " -> U+2581), so it never produces them.  Such
    # mismatches are counted separately so that anything else stands out.
    # (The one other known Gemma difference: llama.cpp's EOG heuristic turns
    # the USER_DEFINED piece "</s>" (id 212) into an EOG + CONTROL token, so
    # with special=False llama.cpp spells it out while SentencePiece gives 212.)
    def multi_space(text: str) -> bool:
        return "  " in text

    lines = []
    n = 0
    ws_bad: list[str] = []
    other_bad: list[str] = []
    for rec in records:
        if rec["special"] not in cases:
            continue
        ids = rec["ids"]
        if rec["add_bos"] and ids and ids[0] == info["bos"]:
            ids = ids[1:]
        ref = encode(rec["text"], rec["special"])
        n += 1
        if ref != ids:
            msg = (f"  MISMATCH special={rec['special']} text={rec['text'][:60]!r}\n"
                   f"    llama.cpp={ids[:24]}\n    {ref_name.split()[0]}={ref[:24]}")
            (ws_bad if "merges" not in v and multi_space(rec["text"]) else other_bad).append(msg)
    bad = len(ws_bad) + len(other_bad)
    lines.append(f"{model}: cross-check vs {ref_name}: {n - bad}/{n} agree, {bad} differ")
    if ws_bad:
        lines.append(f"  {len(ws_bad)} of them contain runs of spaces (raw-space USER_DEFINED "
                     f"pieces, expected); first 3:")
        lines += ws_bad[:3]
    if other_bad:
        lines.append(f"  {len(other_bad)} other mismatches:")
        lines += other_bad[:40]
    return lines


# ----------------------------------------------------------------------------

def main() -> int:
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models-dir", default=os.path.expanduser("~/.cache/palmtop/models"))
    ap.add_argument("--out-dir", default=os.path.join(repo, "Tests", "Fixtures", "tokenizer"))
    ap.add_argument("--no-crosscheck", action="store_true")
    args = ap.parse_args()

    strings = build_strings()
    print(f"{len(strings)} test strings")
    os.makedirs(args.out_dir, exist_ok=True)
    report: list[str] = []
    for model in MODELS:
        model_path = os.path.join(args.models_dir, f"{model}.gguf")
        records, info = llama_reference(model_path, strings)
        out_path = os.path.join(args.out_dir, f"{model}.jsonl")
        with open(out_path, "w", encoding="utf-8", newline="\n") as f:
            for rec in records:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")

        # summary
        lens = [len(r["ids"]) for r in records]
        rt = Counter((r["special"], r["roundtrip"]) for r in records)
        print(f"\n{model}: {info}")
        print(f"  wrote {out_path}: {len(records)} records, "
              f"{sum(lens)} tokens total, max {max(lens)} tokens/record")
        for special in (True, False):
            ok, total = rt[(special, True)], rt[(special, True)] + rt[(special, False)]
            print(f"  roundtrip special={special}: {ok}/{total}")
        fails = [r for r in records if not r["roundtrip"]]
        for r in fails[:12]:
            print(f"    no roundtrip (special={r['special']}): {r['text'][:50]!r}")
        if not args.no_crosscheck:
            report += crosscheck(model, model_path, records, info)

    if report:
        print("\n" + "\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
