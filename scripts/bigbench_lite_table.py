#!/usr/bin/env python3
"""BIG-bench Lite's JSON tasks 0-, 1- and 3-shot on the default models, as a markdown table.

Every run is `palmtop eval bigbench:TASK --shots K --limit N --json`: the first N queries BIG-bench
itself would draw with max_examples=N (split evenly over a container's subtasks, at least one each).
Tasks whose preferred metric Palmtop does not compute (ROUGE) are scored by exact_str_match instead,
and the table says so. Needs `palmtop pull` and `palmtop pull bigbench` first.

    python3 scripts/bigbench_lite_table.py [--limit 10] [--bin .build/release/palmtop] > table.md
"""
import argparse
import datetime
import json
import subprocess
import sys

MODELS = ["gemma-3-270m", "smollm2-135m-instruct"]
SHOTS = [0, 1, 3]


def run(binary, task, model, shots, limit, metric):
    args = [binary, "eval", "bigbench:" + task, "-m", model, "--shots", str(shots), "--limit", str(limit), "--json"]
    if metric:
        args += ["--metric", metric]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "exit %d" % p.returncode
    return json.loads(p.stdout.strip().splitlines()[-1]), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--bin", default=".build/release/palmtop")
    ap.add_argument("--tasks", help="comma-separated subset of BIG-bench Lite")
    args = ap.parse_args()
    listing = subprocess.run([args.bin, "bigbench", "list", "--lite", "--json"], capture_output=True, text=True, check=True)
    tasks = [json.loads(line) for line in listing.stdout.splitlines()]
    if args.tasks:
        wanted = args.tasks.split(",")
        tasks = [t for t in tasks if t["name"] in wanted]
    header = "| task | metric | queries | chance | " + " | ".join(
        "%s %d-shot" % (m.split("-")[0], k) for m in MODELS for k in SHOTS) + " |"
    print("BIG-bench Lite, JSON tasks, measured %s with `scripts/bigbench_lite_table.py --limit %d`: at most %d queries per task"
          " (a container task: at least one per subtask), the ones BIG-bench draws with max_examples; scores on BIG-bench's 0-100 scale."
          % (datetime.date.today().isoformat(), args.limit, args.limit))
    print()
    print(header)
    print("|" + "---|" * (4 + len(MODELS) * len(SHOTS)), flush=True)
    notes = []
    for t in tasks:
        metric = None
        if t["preferred_metric"].startswith("rouge"):
            metric = "exact_str_match"
        limit = max(args.limit, len(t["subtasks"]))
        cells, chance, items, used = [], None, None, metric or t["preferred_metric"]
        for m in MODELS:
            for k in SHOTS:
                summary, error = run(args.bin, t["name"], m, k, limit, metric)
                if summary is None:
                    cells.append("—")
                    notes.append("%s, %s, %d-shot: %s" % (t["name"], m, k, error))
                else:
                    cells.append("%.1f" % summary["score"])
                    chance, items, used = summary["chance"], summary["items"], summary["metric"]
                print("%s %s %d-shot: %s" % (t["name"], m, k, cells[-1]), file=sys.stderr, flush=True)
        label = used + (" (preferred %s: not computed)" % t["preferred_metric"] if metric else "")
        print("| %s | %s | %s | %s | %s |" % (t["name"], label, items if items is not None else "—",
                                            "%.1f" % chance if chance is not None else "—", " | ".join(cells)), flush=True)
    if notes:
        print()
        for n in notes:
            print("- " + n)


if __name__ == "__main__":
    main()
