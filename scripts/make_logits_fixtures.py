#!/usr/bin/env python3
"""Generate golden-logits fixtures for the real models, from the numpy reference.

Usage::

    python3 scripts/make_logits_fixtures.py [--models-dir DIR] [--out-dir DIR]
                                            [--only gemma-3-270m] [--crosscheck]

For each default model (gemma-3-270m, smollm2-135m-instruct) and each prompt
it records, computed with ``scripts/reference_model.py`` (bf16-rounded weights,
f32 activations):

* ``ids``: prompt token ids (from llama-cpp-python's tokenizer, BOS as the
  file's ``tokenizer.ggml.add_bos_token`` says: Gemma yes, SmolLM2 no),
* ``greedy``: 16 greedy tokens (argmax, full recompute at every step) and
  ``greedy_margins``: top-1 minus top-2 logprob at each step, so tests can
  tolerate near-ties,
* ``top10``: [id, logprob] at the first generated position,
* ``prompt_logprobs``: log p(ids[i] | ids[:i]) for i >= 1, and their sum,
* for the first case only: ``final_top50`` ([id, logit] at the last prompt
  position) and ``final_hidden_norm`` (L2 norm of the final, output-normed
  hidden state at that position).

Gemma also gets a seventh, long case (> 512 tokens) whose prompt logprobs
exercise the sliding-window layers.

``--crosscheck`` additionally evaluates every case with llama-cpp-python on
the quantized file and prints agreement; it never changes the fixtures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_model as ref  # noqa: E402

DEFAULT_MODELS_DIR = os.path.expanduser("~/.cache/palmtop/models")
N_GREEDY = 16

PROSE = ("The old lighthouse keeper climbed the winding stairs every evening, "
         "carrying a small lamp and a book of poems. From the top, he could see")
FEW_SHOT = ("Q: What is the capital of Italy?\nA: Rome\n"
            "Q: What is the capital of Japan?\nA: Tokyo\n"
            "Q: What is the capital of Canada?\nA:")
CODE = ("def fibonacci(n):\n"
        "    \"\"\"Return the n-th Fibonacci number.\"\"\"\n"
        "    if n < 2:\n"
        "        return n\n"
        "    return")
CHATML = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
GEMMA_TURN = ("<start_of_turn>user\nWrite one sentence about the ocean.<end_of_turn>\n"
              "<start_of_turn>model\n")
NUMBERS = "1, 2, 3, 5, 8, 13, 21, 34,"

# Both models get all six prompts; the other model's chat markup is then just
# text, which is still a valid (and tokenizer-interesting) test.
PROMPTS = [PROSE, FEW_SHOT, CODE, CHATML, GEMMA_TURN, NUMBERS]

MODELS = {
    "gemma-3-270m": "gemma-3-270m.gguf",
    "smollm2-135m-instruct": "smollm2-135m-instruct.gguf",
}


def long_prompt() -> str:
    """A deterministic prompt of a few hundred words (> 512 Gemma tokens)."""
    parts = []
    for i in range(1, 38):
        parts.append(f"Item {i}: the value of item {i} is {i * 7 % 31}.")
    return " ".join(parts) + " Item 38: the value of item 38 is"


class Tokenizer:
    """Token ids from llama-cpp-python (vocab only; no weights are loaded)."""

    def __init__(self, path: str):
        import llama_cpp

        self.llm = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)

    def encode(self, text: str) -> list[int]:
        # add_bos=True means "add special tokens as the vocab says", so a
        # model whose metadata says add_bos_token=false gets none.
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))

    def decode(self, ids) -> str:
        return self.llm.detokenize(list(ids)).decode("utf-8", errors="replace")


def _g(x) -> float:
    """Round-trip-safe JSON float (9 significant digits covers float32)."""
    return float(f"{float(x):.9g}")


def dump_fixture(fixture: dict) -> str:
    """JSON with one line per case field: diff-friendly without being huge."""
    def c(v):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

    head = [f" {c(k)}: {c(v)}" for k, v in fixture.items() if k != "cases"]
    cases = []
    for case in fixture["cases"]:
        fields = ",\n".join(f"   {c(k)}: {c(v)}" for k, v in case.items())
        cases.append("  {\n" + fields + "\n  }")
    return "{\n" + ",\n".join(head) + ',\n "cases": [\n' + ",\n".join(cases) + "\n ]\n}\n"


def make_case(m: ref.Model, prompt: str, ids: list[int], extras: bool) -> dict:
    """All fixture numbers for one prompt."""
    z = ref.logits(m, ids)                       # [T, vocab] over the prompt
    lp = ref.log_softmax(z)
    prompt_lp = [float(lp[i - 1, ids[i]]) for i in range(1, len(ids))]
    last = lp[-1]
    top10 = np.argsort(-last, kind="stable")[:10]

    # Greedy continuation: step 0 reuses the prompt pass' last row; each later
    # step recomputes the whole sequence (reference simplicity over speed).
    greedy, margins, seq = [], [], list(ids)
    for step in range(N_GREEDY):
        row = last if step == 0 else ref.log_softmax(ref.logits(m, seq, last_only=True)[0])
        o = np.argsort(-row, kind="stable")[:2]
        greedy.append(int(o[0]))
        margins.append(_g(row[o[0]] - row[o[1]]))
        seq.append(int(o[0]))

    case = {
        "prompt": prompt,
        "ids": [int(i) for i in ids],
        "greedy": greedy,
        "greedy_margins": margins,
        "top10": [[int(i), _g(last[i])] for i in top10],
        "prompt_logprobs": [_g(x) for x in prompt_lp],
        "prompt_logprob_sum": _g(sum(prompt_lp)),
    }
    if extras:
        zl = z[-1]
        top50 = np.argsort(-zl, kind="stable")[:50]
        case["final_top50"] = [[int(i), _g(zl[i])] for i in top50]
        h = ref.hidden_states(m, ids)[-1]
        case["final_hidden_norm"] = _g(np.linalg.norm(h.astype(np.float64)))
    return case


def crosscheck(path: str, cases: list[dict]) -> None:
    """Compare the reference against llama-cpp-python on the quantized file."""
    import llama_cpp

    n_ctx = max(len(c["ids"]) + N_GREEDY for c in cases) + 8
    llm = llama_cpp.Llama(model_path=path, logits_all=True, n_ctx=n_ctx, n_batch=n_ctx,
                          n_threads=2, verbose=False)
    for ci, c in enumerate(cases):
        seq = c["ids"] + c["greedy"]
        llm.reset()
        llm.eval(seq)
        scores = np.array(llm.scores[: len(seq)], dtype=np.float64)
        lp = ref.log_softmax(scores)
        n = len(c["ids"])
        # Prompt logprobs as llama.cpp sees them.
        cpp_prompt = np.array([lp[i - 1, seq[i]] for i in range(1, n)])
        ref_prompt = np.array(c["prompt_logprobs"])
        # Greedy agreement: does llama.cpp's argmax match the reference's
        # greedy token at each step (teacher-forced on the reference path)?
        cpp_arg = [int(np.argmax(lp[n - 1 + s])) for s in range(N_GREEDY)]
        agree = sum(a == b for a, b in zip(cpp_arg, c["greedy"]))
        first_diverge = next((s for s in range(N_GREEDY) if cpp_arg[s] != c["greedy"][s]), None)
        top10_ref = {i: v for i, v in c["top10"]}
        top10_diff = max(abs(lp[n - 1, i] - v) for i, v in top10_ref.items())
        print(f"  case {ci}: len {n}: prompt-logprob max|diff| "
              f"{np.max(np.abs(cpp_prompt - ref_prompt)) if n > 1 else 0:.3f} "
              f"sum ref {ref_prompt.sum():.2f} cpp {cpp_prompt.sum():.2f}; "
              f"top10 max|diff| {top10_diff:.3f}; greedy argmax agree {agree}/{N_GREEDY}"
              + ("" if first_diverge is None else
                 f" (first miss step {first_diverge}, ref margin {c['greedy_margins'][first_diverge]:.3f})"))


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Write golden-logits fixtures for the default models.")
    ap.add_argument("--models-dir", default=DEFAULT_MODELS_DIR)
    ap.add_argument("--out-dir", default=os.path.join(here, "..", "Tests", "Fixtures", "logits"))
    ap.add_argument("--only", choices=sorted(MODELS), action="append")
    ap.add_argument("--crosscheck", action="store_true", help="compare with llama-cpp-python")
    args = ap.parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)

    for name in args.only or list(MODELS):
        path = os.path.join(args.models_dir, MODELS[name])
        t0 = time.time()
        tok = Tokenizer(path)
        m = ref.load(path)
        print(f"{name}: loaded in {time.time() - t0:.1f}s", flush=True)
        prompts = list(PROMPTS)
        if m.arch == "gemma3":
            prompts.append(long_prompt())
        cases = []
        for pi, prompt in enumerate(prompts):
            t1 = time.time()
            ids = tok.encode(prompt)
            case = make_case(m, prompt, ids, extras=(pi == 0))
            if len(ids) > 512:
                case["note"] = "longer than the 512-token sliding window"
            cases.append(case)
            print(f"  case {pi}: {len(ids)} tokens, greedy {tok.decode(case['greedy'])!r} "
                  f"min margin {min(case['greedy_margins']):.3f} ({time.time() - t1:.1f}s)", flush=True)
        fixture = {
            "model": name,
            "file": MODELS[name],
            "reference": "numpy bf16-rounded weights, f32 activations",
            "tokenizer": "llama-cpp-python (llama.cpp vocab), special=True, BOS per metadata",
            "n_greedy": N_GREEDY,
            "cases": cases,
        }
        out = os.path.join(args.out_dir, f"{name}.json")
        with open(out, "w") as f:
            f.write(dump_fixture(fixture))
        print(f"  wrote {out} ({time.time() - t0:.1f}s)", flush=True)
        if args.crosscheck:
            del m
            crosscheck(path, cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
