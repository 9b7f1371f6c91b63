#!/usr/bin/env python3
"""Expected numpy draws for Palmtop's BIG-bench shot selection (Tests/Fixtures/bigbench/numpy.json).

Runs numpy's legacy RandomState the way BIG-bench's json_task.py calls it (a fresh RandomState(42) per
example for the choice order; one RandomState(42) per n-shot run for queries, shots and shot targets),
on synthetic populations: the output is numbers only, no task data. Re-run after changing the cases:
    python3 scripts/bigbench_numpy_fixtures.py > Tests/Fixtures/bigbench/numpy.json
"""
import hashlib
import json

import numpy as np


def nshot_draws(n, target_counts, shots, limit):
    """Indices a make_nshot_dataset-style run draws for n distinct examples (targets per example given)."""
    rng = np.random.RandomState(42)
    samples = [{"i": i, "target": ["t%d" % j for j in range(target_counts[i])]} for i in range(n)]
    count = min(limit, n) if limit else n
    if shots == 0:
        if count < n:
            return {"queries": [s["i"] for s in rng.choice(samples, count, replace=False).tolist()], "shot_indices": [], "shot_targets": []}
        return {"queries": list(range(n)), "shot_indices": [], "shot_targets": []}
    queries, shot_lists, target_lists = [], [], []
    for q in rng.choice(samples, count, replace=False):
        pool = [x for x in samples if x != q]
        chosen = list(rng.choice(pool, shots, replace=False))
        # `rng.choice(shot["target"])` on the list of strings, reported as the index of the string drawn.
        targets = [s["target"].index(str(rng.choice(s["target"]))) for s in chosen]
        queries.append(q["i"])
        shot_lists.append([s["i"] for s in chosen])
        target_lists.append(targets)
    return {"queries": queries, "shot_indices": shot_lists, "shot_targets": target_lists}


def argmax_tiebreak(values):
    array = np.array(values, dtype=np.float64)
    best = np.arange(len(array))[array == np.max(array)]
    return int(best[int(hashlib.sha256(array.tobytes()).hexdigest(), 16) % len(best)])


def main():
    rng = np.random.RandomState(42)
    out = {
        # randint over the full 32-bit range returns MT19937's raw outputs; 700 crosses a state refill (624).
        "raw_uint32": [int(rng.randint(0, 2**32, dtype=np.uint32)) for _ in range(700)],
        "permutations": {str(n): np.random.RandomState(42).permutation(n).tolist() for n in [0, 1, 2, 3, 4, 5, 7, 10, 33, 100, 1000]},
        # The choice order of an example with n choices: permutation of the sorted choices, fresh RandomState(42).
        "string_permutations": {
            str(n): [int(x[1:]) for x in np.random.RandomState(42).permutation(sorted("c%03d" % i for i in range(n)))]
            for n in [1, 2, 3, 4, 5, 6, 8, 26]
        },
    }
    r = np.random.RandomState(42)
    out["randint_sequence"] = [{"n": n, "value": int(r.randint(0, n))} for n in [1, 2, 3, 5, 7, 10, 100, 1000, 2**31, 2**32 - 1, 1, 6]]
    out["nshot"] = []
    for n, shots, limit, tc in [
        (10, 0, None, 1), (10, 0, 4, 1), (10, 1, None, 1), (10, 3, 5, 2), (7, 5, None, 3), (50, 2, 20, 1),
        (4, 3, None, 4), (300, 3, 10, 2),
    ]:
        counts = [1 + (i * 7) % tc for i in range(n)]
        out["nshot"].append({"n": n, "shots": shots, "limit": limit, "target_counts": counts, **nshot_draws(n, counts, shots, limit)})
    out["argmax"] = [
        {"values": v, "index": argmax_tiebreak(v)}
        for v in [[-1.0, -1.0], [-0.5, -2.0, -0.5], [0.0, 0.0, 0.0, 0.0], [-3.25, -1.5, -1.5, -9.0, -1.5],
                  [-0.6931471805599453, -0.6931471805599453], [-1.0986122886681098] * 3, [-2.0, -1.0]]
    ]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
