#!/usr/bin/env bash
# The event-store benchmarks behind benches/RESULTS.md: builds the release
# binary once, then runs, against the embedded log store on this disk,
#
#   1. the durable append flood: 64 writers, 256-byte events, one event per
#      append, ~10 s (every acknowledgement after fdatasync);
#   2. a 10M-event store, written with large batches (64 writers x 125);
#   3. the read flood over $all of those 10M events (read_all with 1 and 2
#      readers, and a catch-up subscription);
#   4. opening that store (recovery scan + index rebuild), warm and, when
#      the kernel lets us drop the page cache, cold;
#   5. `agora verify` over the whole 10M-event hash chain.
#
# Knobs (environment): BENCH_DIR (default target/bench), RUNS (append
# flood repetitions, default 3), WRITE_REQUESTS (appends per writer in the
# flood, default 16000), KEEP_BENCH_DATA=1 keeps the stores afterwards.
# Needs about 5 GB free in BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR="${BENCH_DIR:-target/bench}"
RUNS="${RUNS:-3}"
WRITE_REQUESTS="${WRITE_REQUESTS:-16000}"

# Only the store's own settings apply: no agora.toml, no AGORA_* from the caller.
log_level="${AGORA_LOG_LEVEL:-warn}"
while read -r name; do unset "$name"; done < <(compgen -e | grep '^AGORA_' || true)
unset RUST_LOG
export AGORA_LOG_LEVEL="$log_level"
cd_tmp="$(mktemp -d)"
trap 'rm -rf "$cd_tmp"' EXIT

section() { printf '\n=== %s\n' "$*"; }
run() {
  printf '$ %s\n' "$*"
  (cd "$cd_tmp" && "$@")
}

section "machine"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cores:   $(nproc)"
echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "kernel:  $(uname -r)"
mkdir -p "$BENCH_DIR"
BENCH_DIR="$(cd "$BENCH_DIR" && pwd)"
echo "disk:    $(df -hT "$BENCH_DIR" | awk 'NR==2 {print $2 " on " $1 ", " $5 " free of " $3}')"
echo "rustc:   $(rustc --version)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"

section "build (release, once)"
cargo build --release --bin agora
AGORA="$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)/agora"

FLOOD_ARGS=(--clients 64 --requests-per-client "$WRITE_REQUESTS" --streams 1000 --event-size 256 --batch-size 1)
for i in $(seq 1 "$RUNS"); do
  section "append flood, run $i of $RUNS (default settings)"
  rm -rf "$BENCH_DIR/flood"
  run "$AGORA" bench write --data-dir "$BENCH_DIR/flood" "${FLOOD_ARGS[@]}"
done

section "append flood with log.max_batch_wait_us = 100"
rm -rf "$BENCH_DIR/flood"
run env AGORA_LOG__MAX_BATCH_WAIT_US=100 "$AGORA" bench write --data-dir "$BENCH_DIR/flood" "${FLOOD_ARGS[@]}"
rm -rf "$BENCH_DIR/flood"

section "10M events (64 writers x 1250 appends x 125 events of 256 bytes)"
rm -rf "$BENCH_DIR/10m"
run "$AGORA" bench write --data-dir "$BENCH_DIR/10m" --clients 64 --requests-per-client 1250 \
  --streams 1000 --event-size 256 --batch-size 125

section "read flood over \$all"
run "$AGORA" bench read --data-dir "$BENCH_DIR/10m" --max 4096
run "$AGORA" bench read --data-dir "$BENCH_DIR/10m" --max 4096 --readers 2
run "$AGORA" bench read --data-dir "$BENCH_DIR/10m" --subscribe

section "open (recovery scan + index rebuild), page cache warm"
run "$AGORA" bench open --data-dir "$BENCH_DIR/10m"
run "$AGORA" bench open --data-dir "$BENCH_DIR/10m"

section "open, page cache dropped"
if sync && echo 3 2>/dev/null >/proc/sys/vm/drop_caches; then
  run "$AGORA" bench open --data-dir "$BENCH_DIR/10m"
else
  echo "(cannot drop the page cache here: skipped)"
fi

section "verify the whole hash chain"
start=$(date +%s.%N)
run "$AGORA" verify --data-dir "$BENCH_DIR/10m"
echo "verify took $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}') s (open + walk)"

if [[ "${KEEP_BENCH_DATA:-}" != 1 ]]; then
  rm -rf "$BENCH_DIR/10m"
fi
