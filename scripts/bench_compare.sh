#!/usr/bin/env bash
# Side-by-side speed of Palmtop and llama.cpp's llama-bench on the same GGUF files, same threads,
# in one run (bandwidth on shared machines swings minute to minute, so never compare across runs).
# Usage: scripts/bench_compare.sh LLAMA_BENCH MODEL.gguf... (threads from $THREADS, default "1 2";
# repetitions from $REPS, default 5; tokens already in the context from $DEPTH, default 0). Prints one markdown row per model, thread count and engine:
# mean ± standard deviation over the repetitions, and the ratio to llama.cpp. Before and after, the
# machine's read bandwidth (scripts/read_bandwidth.c) on 1 and 2 threads, which bounds decode.
set -euo pipefail
cc -O2 -pthread "$(dirname "$0")/read_bandwidth.c" -o /tmp/palmtop_read_bandwidth
bandwidth() { echo "read bandwidth $1: $(/tmp/palmtop_read_bandwidth 1) GB/s on 1 thread, $(/tmp/palmtop_read_bandwidth 2) GB/s on 2"; }
bandwidth before
llama_bench=$1; shift
palmtop=${PALMTOP:-.build/release/palmtop}
reps=${REPS:-5}
depth=${DEPTH:-0}
at=$([ "$depth" -gt 0 ] && echo " @ d$depth" || true)
export LD_LIBRARY_PATH="$(dirname "$llama_bench")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "| model | threads | engine | pp512$at tok/s | tg128$at tok/s | pp ÷ llama.cpp | tg ÷ llama.cpp |"
echo "|---|---|---|---|---|---|---|"
for model in "$@"; do
  for t in ${THREADS:-1 2}; do
    reference=$("$llama_bench" -m "$model" -t "$t" -p 512 -n 128 -d "$depth" -r "$reps" -o json 2>/dev/null)
    python3 -c '
import json, sys
rows = json.loads(sys.argv[3])
pp = next(r for r in rows if r["n_prompt"] > 0)
tg = next(r for r in rows if r["n_gen"] > 0)
pp_mean, pp_sd, tg_mean, tg_sd = pp["avg_ts"], pp["stddev_ts"], tg["avg_ts"], tg["stddev_ts"]
print(f"| {sys.argv[1]} | {sys.argv[2]} | llama.cpp | {pp_mean:.1f} ± {pp_sd:.1f} | {tg_mean:.1f} ± {tg_sd:.1f} | 1.00 | 1.00 |")' \
      "$(basename "$model")" "$t" "$reference"
    for mode in fast exact; do
      "$palmtop" bench -m "$model" --threads "$t" -p 512 -n 128 -d "$depth" -r "$reps" --prefill "$mode" --json | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
rows = json.loads(sys.argv[4])
pp_ref = next(x["avg_ts"] for x in rows if x["n_prompt"] > 0)
tg_ref = next(x["avg_ts"] for x in rows if x["n_gen"] > 0)
pp, tg, pp_sd, tg_sd = r["prefill_tokens_per_s"], r["decode_tokens_per_s"], r["prefill_stddev"], r["decode_stddev"]
print(f"| {sys.argv[1]} | {sys.argv[2]} | palmtop ({sys.argv[3]} prefill) | {pp:.1f} ± {pp_sd:.1f} | {tg:.1f} ± {tg_sd:.1f} | {pp / pp_ref:.2f} | {tg / tg_ref:.2f} |")' \
        "$(basename "$model")" "$t" "$mode" "$reference"
    done
  done
done
bandwidth after
