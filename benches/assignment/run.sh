#!/usr/bin/env bash
# The assignment benchmark: `agora bench assignment` (release build) on the
# synthetic tender of 2,000 requirements × 500 vendors × 20 bids each,
# capacities 1–5, seed 42 — median solve time of the exact solver, the
# optimum, the greedy total and the gap — then the same instance solved by
# scipy's linear_sum_assignment on the capacity-expanded matrix (a venv in
# ~/.cache/agora/assignment-peer with scipy from PyPI, made once), with the
# two optima compared and the time ratio.
#
# Usage: benches/assignment/run.sh [extra `agora bench assignment` flags]
# Env:   AGORA_BIN (default $CARGO_TARGET_DIR/release/agora, built if
#        missing), RUNS=7, PEER_RUNS=3, PEER=0 skips the peer.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${AGORA_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/agora}"
if [[ ! -x "$bin" ]]; then
  (cd "$root" && cargo build --release --bin agora >&2)
fi
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load $(cut -d' ' -f1-3 /proc/loadavg)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
env -u AGORA_BIN "$bin" bench assignment --runs "${RUNS:-7}" --export "$tmp/tender.json" "$@"
if [[ "${PEER:-1}" == 0 ]]; then
  exit 0
fi
venv="${HOME}/.cache/agora/assignment-peer"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q scipy numpy
fi
"$venv/bin/python" "$here/peer.py" "$tmp/tender.json" "${PEER_RUNS:-3}"
