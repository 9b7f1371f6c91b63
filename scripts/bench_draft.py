#!/usr/bin/env python3
"""Prompt-lookup drafting against plain greedy decoding, and llama.cpp beside them.

For each default model and each generative library prompt (plus the copy prompts fix-typo and record-to-json), runs
`palmtop bench --draft prompt-lookup --draft-prompt P --draft-items N --json`, which generates the
prompt's first N dev items greedily, without drafting and with it, in one process (tok/s after each
reply's first token, mean ± sd over the repetitions; the acceptance rate; whether the outputs agree).
Then llama.cpp's own server (the `xllamacpp` wheel, in-process, 2 threads) generates the same items
from the same prompt token ids on the original Q4 GGUF file, greedy, with the same max_tokens and
stop sequences; its tok/s is the sum of `timings.predicted_n` over the sum of `predicted_ms`.

Run it on a quiet machine, holding the build lock:
    flock /tmp/palmtop-swift.lock scripts/bench_draft.py [--items 8] [--repetitions 3] [--prompts a,b] > table.md
Prints a Markdown table.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PALMTOP = os.path.join(ROOT, ".build", "release", "palmtop")
PROMPTS = ["fix-typo", "record-to-json", "code-complete", "translate-en-fr", "closed-book-qa", "antonyms", "arithmetic-cot"]
MODELS = ["gemma-3-270m", "smollm2-135m-instruct"]
PORT = 18431


def palmtop(*args):
    out = subprocess.run([PALMTOP, *args], check=True, capture_output=True, text=True)
    return out.stdout


def render(prompt, query):
    """A complete-mode library prompt as PromptRenderer assembles it (prompts/README.md, Rendering)."""
    parts = [prompt["instruction"]] if prompt.get("instruction") else []
    for ex in prompt["exemplars"]:
        if ex.get("enabled", True) is False:
            continue
        text = prompt["template"]
        for key, value in ex.items():
            if key != "enabled":
                text = text.replace("{" + key + "}", value)
        parts.append(text)
    parts.append(prompt["query"].replace("{input}", query))
    return prompt["separator"].join(parts)


def load(name):
    with open(os.path.join(ROOT, "prompts", name + ".yaml")) as f:
        prompt = yaml.safe_load(f)
    assert prompt["mode"] == "complete", name
    with open(os.path.join(ROOT, "prompts", prompt["dev"])) as f:
        items = [json.loads(line) for line in f if line.strip()]
    return prompt, items


class LlamaServer:
    """llama.cpp's server inside a child Python process (scripts/test_server.py)."""

    def __init__(self, model_path):
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", "test_server.py"), model_path, str(PORT), "4096"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready"):
            sys.exit("llama.cpp server did not start")

    def complete(self, tokens, max_tokens, stop):
        body = json.dumps({"prompt": tokens, "n_predict": max_tokens, "temperature": 0, "top_k": 1, "stop": stop,
                           "cache_prompt": True}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{PORT}/completion", body, {"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=600).read())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def llama_rate(server, model, prompt, items, repetitions):
    """llama.cpp tok/s over the items (first round warms up), mean over the rounds."""
    ids = [json.loads(palmtop("tokenize", "-m", model, "--json", render(prompt, item["input"]))) for item in items]
    rates = []
    for round in range(repetitions + 1):
        n, ms = 0, 0.0
        for tokens in ids:
            t = server.complete(tokens, prompt["sampling"]["max_tokens"], prompt["sampling"].get("stop", []))["timings"]
            n += t["predicted_n"]
            ms += t["predicted_ms"]
        if round > 0:
            rates.append(n / (ms / 1000))
    return sum(rates) / len(rates)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=8)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--prompts", default=",".join(PROMPTS), help="comma-separated library prompts (default: all of the table's)")
    args = ap.parse_args()
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    print(f"Measured {time.strftime('%Y-%m-%d')} on {cpu}, 2 threads, with `scripts/bench_draft.py --items {args.items} "
          f"--repetitions {args.repetitions}`: the first {args.items} dev items of each prompt, greedy, the prompt's max_tokens "
          f"and stop sequences.\n")
    print("| model | prompt | tokens | plain tok/s | prompt-lookup tok/s | speedup | acceptance | same output | llama.cpp Q4 tok/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for model in MODELS:
        server = LlamaServer(os.path.expanduser(f"~/.cache/palmtop/models/{model}.gguf"))
        try:
            for name in args.prompts.split(","):
                prompt, items = load(name)
                items = items[:args.items]
                o = json.loads(palmtop("bench", "-m", model, "--threads", "2", "-p", "16", "-n", "4", "-r", str(args.repetitions),
                                       "--draft", "prompt-lookup", "--draft-prompt", name, "--draft-items", str(args.items),
                                       "--json"))["draft"]
                llama = llama_rate(server, model, prompt, items, args.repetitions)
                print(f"| {model} | {name} | {o['generated_tokens']} | {o['plain_tokens_per_s']:.1f} ± {o['plain_stddev']:.1f} "
                      f"| {o['tokens_per_s']:.1f} ± {o['stddev']:.1f} | {o['speedup']:.2f}× | {o['acceptance_rate']:.2f} "
                      f"({o['accepted']}/{o['proposed']}) | {'yes' if o['identical_output'] else 'NO'} | {llama:.1f} |", flush=True)
        finally:
            server.close()


if __name__ == "__main__":
    main()
