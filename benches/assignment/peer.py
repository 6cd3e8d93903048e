"""The peer of `agora bench assignment`: scipy's linear_sum_assignment
(a shortest-augmenting-path Hungarian method in C++) on the
capacity-expanded matrix of the same tender.

Rows are requirements; columns are one per unit of vendor capacity plus
one "unassigned" column per requirement (weight 0), so every row may stay
out. A pair without a bid weighs -10^12, never chosen. Weights are the
integer millionths the Rust solver uses, so the optima must be EQUAL.

Usage: python peer.py INSTANCE.json [RUNS]   (written by --export)
Prints one JSON line: the optimum, whether it equals Agora's, and the
median solve time (building the dense matrix is timed apart).
"""

import json
import statistics
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment


def main() -> None:
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with open(path) as f:
        data = json.load(f)
    capacities = data["capacities"]
    bids = np.asarray(data["bids"], dtype=np.int64)
    n_req = int(bids[:, 0].max()) + 1 if len(bids) else 0
    started = time.perf_counter()
    first_column = np.concatenate([[0], np.cumsum(capacities)])
    units = int(first_column[-1])
    forbidden = -1e12
    matrix = np.full((n_req, units + n_req), forbidden)
    for r, v, w in bids:
        start, end = first_column[v], first_column[v + 1]
        matrix[r, start:end] = w
    matrix[:, units:] = 0.0
    build_seconds = time.perf_counter() - started
    times = []
    total = None
    for _ in range(runs):
        started = time.perf_counter()
        rows, cols = linear_sum_assignment(matrix, maximize=True)
        times.append(time.perf_counter() - started)
        chosen = matrix[rows, cols]
        total = int(round(chosen[cols < units].sum()))
    print(
        json.dumps(
            {
                "solver": "scipy.optimize.linear_sum_assignment",
                "matrix": [n_req, units + n_req],
                "build_seconds": round(build_seconds, 3),
                "solve_seconds_median": round(statistics.median(times), 3),
                "runs": runs,
                "optimum_micros": total,
                "agora_optimum_micros": data["optimum_micros"],
                "equal": total == data["optimum_micros"],
            }
        )
    )


if __name__ == "__main__":
    main()
