#!/usr/bin/env bash
# The factorizer at scale: `agora bench recommender` (release build) on a
# synthetic power-law matrix — by default 1M users × 100k items × 50M drawn
# interactions, 64 factors, CG steps 3 — printing seconds per ALS iteration,
# peak memory (VmHWM of the process) and the latency of one user's top-10
# (p50/p99 over 1000 users, one at a time), plus batched top-10 throughput.
#
# Usage: benches/als/scale.sh [extra `agora bench recommender` flags]
# Env:   AGORA_BIN (default $CARGO_TARGET_DIR/release/agora, built if missing),
#        USERS=1000000 ITEMS=100000 INTERACTIONS=50000000 FACTORS=64
#        ITERATIONS=3 QUERIES=1000 K=10
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${AGORA_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/agora}"
if [[ ! -x "$bin" ]]; then
  (cd "$root" && cargo build --release --bin agora >&2)
fi
echo "$(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)" >&2
exec env -u AGORA_BIN "$bin" bench recommender \
  --users "${USERS:-1000000}" --items "${ITEMS:-100000}" \
  --interactions "${INTERACTIONS:-50000000}" --factors "${FACTORS:-64}" \
  --iterations "${ITERATIONS:-3}" --queries "${QUERIES:-1000}" --k "${K:-10}" "$@"
