#!/usr/bin/env bash
# Accuracy of every shipped prompt on its full dev set, with each default model, zero-shot and
# few-shot: the table in the README's prompt-library section. Usage: scripts/eval_library.sh [BIN]
set -euo pipefail
bin=${1:-.build/release/palmtop}
printf '| prompt | method | model | 0-shot | few-shot |\n|---|---|---|---|---|\n'
for yaml in prompts/*.yaml; do
  name=$(basename "$yaml" .yaml)
  for model in gemma-3-270m smollm2-135m-instruct; do
    # Greedy, as the table has always been measured (arithmetic-cot votes over samples by default).
    zero=$("$bin" eval "$name" --model "$model" --shots 0 --samples 1 --json | tail -1)
    few=$("$bin" eval "$name" --model "$model" --samples 1 --json | tail -1)
    python3 - "$name" "$model" "$zero" "$few" <<'PY'
import json, sys
name, model, zero, few = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
fmt = lambda s: f"{s['accuracy']:.2f} ({s['correct']}/{s['total']})"
print(f"| {name} | {few['method']} | {model} | {fmt(zero)} | {fmt(few)} ({few['shots']}-shot) |")
PY
  done
done
