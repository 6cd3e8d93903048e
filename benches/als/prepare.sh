#!/usr/bin/env bash
# Prepares MovieLens-100k for the ALS comparison, offline after the first run:
# downloads the recbole wheel (which ships ml-100k) with pip into a cache
# dir, extracts ml-100k.inter and splits it deterministically per user: each
# user's last 20% of ratings by timestamp (ties by item id; at least one)
# form the test file, the rest the training file. Both keep the typed
# header line of the original (agora and implicit_fit.py skip it).
#
# Usage: benches/als/prepare.sh          -> prints the data dir
# Env:   ALS_BENCH_CACHE (default ~/.cache/agora-bench)
set -euo pipefail
cache="${ALS_BENCH_CACHE:-$HOME/.cache/agora-bench}"
data="$cache/ml-100k"
mkdir -p "$cache/wheels" "$data"
wheel="$cache/wheels/recbole-1.2.1-py3-none-any.whl"
if [[ ! -f "$wheel" ]]; then
  pip download --quiet --no-deps recbole==1.2.1 -d "$cache/wheels" >&2
fi
if [[ ! -f "$data/ml-100k.inter" ]]; then
  python3 - "$wheel" "$data/ml-100k.inter" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    with z.open("recbole/dataset_example/ml-100k/ml-100k.inter") as src, open(sys.argv[2], "wb") as dst:
        dst.write(src.read())
PY
fi
if [[ ! -f "$data/test.inter" || "$data/ml-100k.inter" -nt "$data/test.inter" ]]; then
  python3 - "$data" <<'PY'
import math, sys, collections
d = sys.argv[1]
lines = open(f"{d}/ml-100k.inter").read().splitlines()
header, rows = lines[0], [l.split("\t") for l in lines[1:] if l.strip()]
by_user = collections.defaultdict(list)
for r in rows:
    by_user[r[0]].append(r)
with open(f"{d}/train.inter", "w") as tr, open(f"{d}/test.inter", "w") as te:
    tr.write(header + "\n"); te.write(header + "\n")
    for user in sorted(by_user, key=int):
        rs = sorted(by_user[user], key=lambda r: (float(r[3]), int(r[1])))
        n_test = max(1, math.floor(0.2 * len(rs)))
        for r in rs[: len(rs) - n_test]:
            tr.write("\t".join(r) + "\n")
        for r in rs[len(rs) - n_test :]:
            te.write("\t".join(r) + "\n")
PY
fi
echo "$data"
