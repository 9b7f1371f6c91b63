#!/usr/bin/env bash
# Batched decoding, measured (BENCHMARKS.md "batched decoding"): for both default models,
#  1. decode throughput of B = 8 sequences against one (`palmtop bench --batch 8`),
#  2. the generative shipped prompts' dev sets with the default parallelism against --parallel 1
#     (wall time, and whether every item's output is the same),
#  3. self-consistency on arithmetic-cot with 8 samples: the vote against one sample.
# Usage: scripts/bench_batching.sh [THREADS] (KERNELS=avx2 forces that path; default: the CPU's best).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
bin=.build/release/palmtop
kernels=${KERNELS:+--kernels $KERNELS}
models=(gemma-3-270m smollm2-135m-instruct)
prompts=(code-complete translate-en-fr closed-book-qa antonyms arithmetic-cot)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "date: $(date -u +%Y-%m-%dT%H:%MZ); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); threads $threads; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| model | kernels | tg64 B=1 tok/s | tg64 B=8 aggregate tok/s | per sequence | B=8 ÷ B=1 |"
echo "|---|---|---|---|---|---|"
for m in "${models[@]}"; do
  $bin bench -m "$m" --threads "$threads" $kernels -p 16 -n 64 -r 3 --batch 8 --json >"$work/bench.json"
  python3 - "$work/bench.json" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
print(f"| {b['model']} | {b['kernels']} | {b['decode_tokens_per_s']:.1f} ± {b['decode_stddev']:.1f} | "
      f"{b['batch_decode_tokens_per_s']:.1f} ± {b['batch_decode_stddev']:.1f} | {b['batch_decode_per_sequence_tokens_per_s']:.1f} | {b['batch_speedup']:.2f} |")
EOF
done

echo
echo "| model | prompt | items | --parallel 1 s | default (8) s | time ratio | accuracy (1 / 8) | identical outputs |"
echo "|---|---|---|---|---|---|---|---|"
for m in "${models[@]}"; do
  for p in "${prompts[@]}"; do
    $bin eval "$p" -m "$m" --threads "$threads" $kernels --parallel 1 --samples 1 --json >"$work/one.jsonl"
    $bin eval "$p" -m "$m" --threads "$threads" $kernels --samples 1 --json >"$work/many.jsonl"
    python3 - "$work/one.jsonl" "$work/many.jsonl" "$m" "$p" <<'EOF'
import json, sys
def load(path):
    lines = [json.loads(l) for l in open(path)]
    return lines[:-1], lines[-1]
one, s1 = load(sys.argv[1]); many, s8 = load(sys.argv[2])
same = sum(a["generated"] == b["generated"] for a, b in zip(one, many))
print(f"| {sys.argv[3]} | {sys.argv[4]} | {s1['total']} | {s1['seconds']:.1f} | {s8['seconds']:.1f} | {s8['seconds'] / s1['seconds']:.2f} | "
      f"{s1['accuracy']:.3f} / {s8['accuracy']:.3f} | {same}/{len(one)} |")
EOF
  done
done

echo
echo "| model | arithmetic-cot items | greedy | first sample (T 0.7) | mean single sample | vote of 8 | seconds |"
echo "|---|---|---|---|---|---|---|"
for m in "${models[@]}"; do
  $bin eval arithmetic-cot -m "$m" --threads "$threads" $kernels --samples 1 --json | tail -1 >"$work/greedy.json"
  $bin eval arithmetic-cot -m "$m" --threads "$threads" $kernels --samples 8 --json | tail -1 >"$work/sc.json"
  python3 - "$work/greedy.json" "$work/sc.json" "$m" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
print(f"| {sys.argv[3]} | {s['total']} | {g['accuracy']:.3f} | {s['accuracy_first_sample']:.3f} | {s['accuracy_mean_sample']:.3f} | "
      f"{s['accuracy']:.3f} | {s['seconds']:.0f} |")
EOF
done
