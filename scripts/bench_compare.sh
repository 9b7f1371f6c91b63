#!/usr/bin/env bash
# Side-by-side speed of Palmtop and llama.cpp's llama-bench on the same GGUF files, same threads,
# in one run (bandwidth on shared machines swings minute to minute, so never compare across runs).
# Usage: scripts/bench_compare.sh LLAMA_BENCH MODEL.gguf... (threads from $THREADS, default "1 2").
# Prints one markdown row per model, thread count and engine.
set -euo pipefail
llama_bench=$1; shift
palmtop=${PALMTOP:-.build/release/palmtop}
export LD_LIBRARY_PATH="$(dirname "$llama_bench")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "| model | threads | engine | pp512 tok/s | tg128 tok/s |"
echo "|---|---|---|---|---|"
for model in "$@"; do
  for t in ${THREADS:-1 2}; do
    "$llama_bench" -m "$model" -t "$t" -p 512 -n 128 -r 3 -o json 2>/dev/null | python3 -c '
import json, sys
rows = json.load(sys.stdin)
pp = next(r["avg_ts"] for r in rows if r["n_prompt"] > 0)
tg = next(r["avg_ts"] for r in rows if r["n_gen"] > 0)
print(f"| {sys.argv[1]} | {sys.argv[2]} | llama.cpp | {pp:.1f} | {tg:.1f} |")' "$(basename "$model")" "$t"
    for mode in exact fast; do
      "$palmtop" bench -m "$model" --threads "$t" -p 512 -n 128 -r 3 --prefill "$mode" --json | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
pp, tg = r["pp512_tok_s"], r["tg128_tok_s"]
print(f"| {sys.argv[1]} | {sys.argv[2]} | palmtop ({sys.argv[3]} prefill) | {pp:.1f} | {tg:.1f} |")' "$(basename "$model")" "$t" "$mode"
    done
  done
done
