"""Fit the `implicit` library's ALS (CPU, conjugate gradient) on a
MovieLens-format training file and rank a held-out file with the same
metric definitions as `agora eval` (actors/src/factorizer/metrics.rs).

Confidence is matched to agora's: implicit uses its input value x its alpha
as the confidence, so it is fed 1 + alpha*weight with its own alpha = 1.

Prints one JSON object: fit_seconds, params, als {precision, recall, ndcg, map}.
"""
import argparse, json, math, os, time

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits


def read(path):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            sep = "\t" if "\t" in line else ("::" if "::" in line else ",")
            fields = line.split(sep)
            try:
                rating = float(fields[2])
            except ValueError:
                if n == 0:
                    continue  # header
                raise
            rows.append((fields[0].strip(), fields[1].strip(), rating))
    return rows


def metrics(lists, relevant, k):
    p = r = ndcg = ap_sum = 0.0
    disc = lambda rank: 1.0 / math.log2(rank + 2)
    for recs, rel in zip(lists, relevant):
        hits, dcg, ap = 0, 0.0, 0.0
        for rank, item in enumerate(recs[:k]):
            if item in rel:
                hits += 1
                dcg += disc(rank)
                ap += hits / (rank + 1)
        ideal = min(k, len(rel))
        p += hits / k
        r += hits / len(rel)
        ndcg += dcg / sum(disc(i) for i in range(ideal))
        ap_sum += ap / ideal
    n = len(lists)
    return {"k": k, "precision": p / n, "recall": r / n, "ndcg": ndcg / n, "map": ap_sum / n, "users": n}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--regularization", type=float, default=0.05)
    ap.add_argument("--alpha", type=float, default=10.0)
    ap.add_argument("--cg-steps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()

    from implicit.cpu.als import AlternatingLeastSquares

    train, test = read(a.train), read(a.test)
    users, items = {}, {}
    for u, i, _ in train:
        users.setdefault(u, len(users))
        items.setdefault(i, len(items))
    ui = {}
    for u, i, _ in train:  # weights: ones, repeated pairs summed (as agora does)
        key = (users[u], items[i])
        ui[key] = ui.get(key, 0.0) + 1.0
    rows = np.fromiter((k[0] for k in ui), dtype=np.int32, count=len(ui))
    cols = np.fromiter((k[1] for k in ui), dtype=np.int32, count=len(ui))
    conf = np.fromiter((1.0 + a.alpha * w for w in ui.values()), dtype=np.float32, count=len(ui))
    user_items = sp.csr_matrix((conf, (rows, cols)), shape=(len(users), len(items)))

    relevant = {}
    for u, i, _ in test:
        if u in users and i in items and (users[u], items[i]) not in ui:
            relevant.setdefault(users[u], set()).add(items[i])
    eval_users = np.array(sorted(relevant), dtype=np.int32)

    model = AlternatingLeastSquares(
        factors=a.factors, regularization=a.regularization, alpha=1.0,
        iterations=a.iterations, use_cg=True, use_native=True, dtype=np.float32,
        calculate_training_loss=False, num_threads=a.threads, random_state=a.seed,
    )
    model.cg_steps = a.cg_steps
    with threadpool_limits(limits=1, user_api="blas"):
        start = time.perf_counter()
        model.fit(user_items, show_progress=False)
        fit_seconds = time.perf_counter() - start
    ids, _ = model.recommend(eval_users, user_items[eval_users], N=a.k, filter_already_liked_items=True)
    lists = [list(row) for row in ids]
    out = {
        "implementation": "implicit " + __import__("implicit").__version__,
        "threads": a.threads or os.cpu_count(),
        "params": {"factors": a.factors, "iterations": a.iterations, "regularization": a.regularization,
                   "alpha": a.alpha, "cg_steps": a.cg_steps, "seed": a.seed},
        "train": {"users": len(users), "items": len(items), "interactions": len(ui)},
        "fit_seconds": fit_seconds,
        "als": metrics(lists, [relevant[u] for u in eval_users], a.k),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
