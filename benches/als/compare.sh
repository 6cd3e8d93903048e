#!/usr/bin/env bash
# ALS side by side on MovieLens-100k: this factorizer (`agora eval`, release
# build) vs the `implicit` library 0.7.2 (CPU, conjugate gradient), on the
# same split and parameters, single-threaded and with all cores. Each
# configuration runs RUNS times; the table shows the median fit time and the
# quality figures (identical across runs: both are seeded).
#
# Usage: benches/als/compare.sh
# Env:   AGORA_BIN (default $CARGO_TARGET_DIR/release/agora, built if missing),
#        ALS_BENCH_CACHE (default ~/.cache/agora-bench; holds the wheel,
#        the data and the implicit venv), RUNS (default 3),
#        FACTORS=64 ITERATIONS=15 CG_STEPS=3 REGULARIZATION=0.05 ALPHA=10 SEED=42 K=10
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${ALS_BENCH_CACHE:-$HOME/.cache/agora-bench}"
export ALS_BENCH_CACHE="$cache"
runs="${RUNS:-3}"
params=(--factors "${FACTORS:-64}" --iterations "${ITERATIONS:-15}" --cg-steps "${CG_STEPS:-3}"
        --regularization "${REGULARIZATION:-0.05}" --alpha "${ALPHA:-10}" --seed "${SEED:-42}"
        --k "${K:-10}")

data="$("$here/prepare.sh")"
venv="$cache/venv"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import implicit' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet implicit==0.7.2 >&2
fi
bin="${AGORA_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/agora}"
if [[ ! -x "$bin" ]]; then
  (cd "$root" && cargo build --release --bin agora >&2)
fi

threads_all="$(nproc)"
export OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for threads in 1 "$threads_all"; do
  for ((r = 0; r < runs; r++)); do
    echo "run $((r + 1))/$runs, $threads thread(s)" >&2
    "$venv/bin/python" "$here/implicit_fit.py" --train "$data/train.inter" --test "$data/test.inter" \
      "${params[@]}" --threads "$threads" \
      | python3 -c 'import json,sys; d=json.load(sys.stdin); d["who"]="implicit"; d["threads"]=int(sys.argv[1]); print(json.dumps(d))' "$threads" >> "$results"
    RAYON_NUM_THREADS="$threads" "$bin" eval --train "$data/train.inter" --test "$data/test.inter" \
      "${params[@]}" --json \
      | python3 -c 'import json,sys; d=json.load(sys.stdin); d["who"]="agora"; d["threads"]=int(sys.argv[1]); print(json.dumps(d))' "$threads" >> "$results"
  done
done

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
first = rows[0]
print(f"MovieLens-100k, per-user last-20% split: train {first['train']['users']} users x "
      f"{first['train']['items']} items, {first['train']['interactions']} interactions; "
      f"params {json.dumps(first['params'])}")
print(f"{'threads':>7} {'implementation':<16} {'fit s (median)':>14} {'runs':>22} {'P@10':>7} {'NDCG@10':>8} {'R@10':>7} {'MAP@10':>7}")
summary = {}
for threads in sorted({r["threads"] for r in rows}):
    for who in ("implicit", "agora"):
        rs = [r for r in rows if r["who"] == who and r["threads"] == threads]
        fit = statistics.median(r["fit_seconds"] for r in rs)
        m = rs[0]["als"]
        summary[(threads, who)] = (fit, m)
        runs = " ".join(f"{r['fit_seconds']:.3f}" for r in rs)
        print(f"{threads:>7} {who:<16} {fit:>14.3f} {runs:>22} {m['precision']:>7.4f} {m['ndcg']:>8.4f} {m['recall']:>7.4f} {m['map']:>7.4f}")
    a, i = summary[(threads, "agora")], summary[(threads, "implicit")]
    print(f"{threads:>7} {'agora/implicit':<16} {a[0] / i[0]:>14.3f} {'':>22} "
          f"{a[1]['precision'] / i[1]['precision']:>7.3f} {a[1]['ndcg'] / i[1]['ndcg']:>8.3f}")
pop = next(r for r in rows if r["who"] == "agora")["popularity"]
print(f"popularity baseline: P@10 {pop['precision']:.4f}  NDCG@10 {pop['ndcg']:.4f}  "
      f"R@10 {pop['recall']:.4f}  MAP@10 {pop['map']:.4f}")
PY
