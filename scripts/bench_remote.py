#!/usr/bin/env python3
"""Overhead of Palmtop's remote backend on loopback: the same greedy streamed request to the same
llama.cpp server (scripts/test_server.py), sent directly (Python, reading the SSE stream) and through
`palmtop generate --backend`, alternating, REPS times each. Reports time to first token and decode
tokens/s (mean ± standard deviation) for both.

Usage: scripts/bench_remote.py MODEL.gguf [REPS] [TOKENS]   (run from the repository root after `make build`)
"""
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

PROMPT = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10,"  # greedy counting: a long reply that never stops early


def serve(model, port):
    p = subprocess.Popen([sys.executable, "scripts/test_server.py", model, str(port)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert "ready" in p.stdout.readline()
    return p


def direct(port, tokens):
    body = json.dumps({"prompt": PROMPT, "max_tokens": tokens, "temperature": 0, "logprobs": 1, "stream": True,
                       "stream_options": {"include_usage": True}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/completions", body, {"Content-Type": "application/json"})
    start = time.time()
    first, n = None, 0
    with urllib.request.urlopen(req) as r:
        for line in r:
            line = line.decode().strip()
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            for c in chunk.get("choices", []):
                got = len((c.get("logprobs") or {}).get("content") or []) or (1 if c.get("text") else 0)
                if got and first is None:
                    first = time.time()
                n += got
    end = time.time()
    return first - start, (n - 1) / (end - first)


def palmtop(port, tokens):
    out = subprocess.run([".build/release/palmtop", "generate", "--backend", f"http://127.0.0.1:{port}", "-p", PROMPT,
                          "--temperature", "0", "--max-tokens", str(tokens), "--format", "jsonl", "--top-logprobs", "1"],
                         capture_output=True, text=True, check=True).stdout
    done = json.loads(out.strip().splitlines()[-1])
    return done["time_to_first_token_s"], done["decode_tokens_per_s"]


def main():
    model = sys.argv[1]
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    port = 18000 + os.getpid() % 1000
    server = serve(model, port)
    try:
        direct(port, 8)  # warm-up
        rows = {"direct": [], "palmtop": []}
        for _ in range(reps):
            rows["direct"].append(direct(port, tokens))
            rows["palmtop"].append(palmtop(port, tokens))
    finally:
        server.stdin.close()
        server.wait()
    print(f"| client | time to first token (ms) | decode tok/s |")
    print("|---|---|---|")
    for name, r in rows.items():
        ttft = [x[0] * 1000 for x in r]
        tps = [x[1] for x in r]
        print(f"| {name} | {statistics.mean(ttft):.1f} ± {statistics.stdev(ttft):.1f} | {statistics.mean(tps):.1f} ± {statistics.stdev(tps):.1f} |")


if __name__ == "__main__":
    main()
