#!/usr/bin/env bash
# The HTTP load bench behind benches/RESULTS.md ("HTTP API: mixed
# workload"): builds the release binary once, seeds a fresh data directory
# with `agora seed` (so the store and read models are not empty), starts
# `agora serve` on it (durable: every command is acknowledged after the
# fdatasync that covers its events), runs `agora bench http` against it —
# keep-alive HTTP/1.1 connections, each a closed loop, 70 % reads and 30 %
# commands by default — stops the server and prints the client's table,
# the server's and the client's CPU time, and the store's counters.
#
# Knobs (environment), with defaults:
#   CONNECTIONS=64 DURATION=30 WARMUP=3 READ_PERCENT=70 CLIENT_THREADS=1
#   LEARNERS=256 CREATORS=16 ITEMS=1000          (the bench's own world)
#   SEED_USERS=2000 SEED_CONTENTS=300 SEED_EVENTS=30000   (0 users: no seed)
#   SERVER_WORKERS=0 (actix workers; 0 = one per core)
#   AGORA_BIN=path  (skip the build and use this binary)
#   BENCH_DIR=target/bench  (the data directory goes to BENCH_DIR/http)
#   RESULT_JSON=file (also write the client's JSON report there)
# On a 2-core machine the client shares the cores with the server: the
# figures are for both together on one machine.
set -euo pipefail
cd "$(dirname "$0")/../.."

CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-30}"
WARMUP="${WARMUP:-3}"
READ_PERCENT="${READ_PERCENT:-70}"
CLIENT_THREADS="${CLIENT_THREADS:-1}"
LEARNERS="${LEARNERS:-256}"
CREATORS="${CREATORS:-16}"
ITEMS="${ITEMS:-1000}"
SEED_USERS="${SEED_USERS:-2000}"
SEED_CONTENTS="${SEED_CONTENTS:-300}"
SEED_EVENTS="${SEED_EVENTS:-30000}"
SERVER_WORKERS="${SERVER_WORKERS:-0}"
BENCH_DIR="${BENCH_DIR:-target/bench}"

# Only the settings below apply: no agora.toml, no AGORA_* from the caller.
log_level="${AGORA_LOG_LEVEL:-warn}"
agora_bin="${AGORA_BIN:-}"
while read -r name; do unset "$name"; done < <(compgen -e | grep '^AGORA_' || true)
unset RUST_LOG
export AGORA_LOG_LEVEL="$log_level"

section() { printf '\n=== %s\n' "$*"; }

section "machine"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cores:   $(nproc)"
echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "kernel:  $(uname -r)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
mkdir -p "$BENCH_DIR"
BENCH_DIR="$(cd "$BENCH_DIR" && pwd)"
echo "disk:    $(df -hT "$BENCH_DIR" | awk 'NR==2 {print $2 " on " $1 ", " $5 " free of " $3}')"
echo "rustc:   $(rustc --version)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"

if [[ -z "$agora_bin" ]]; then
  section "build (release, once)"
  cargo build --release --bin agora
  agora_bin="${CARGO_TARGET_DIR:-target}/release/agora"
fi
AGORA="$(cd "$(dirname "$agora_bin")" && pwd)/$(basename "$agora_bin")"

data="$BENCH_DIR/http"
rm -rf "$data"
mkdir -p "$data"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if [[ "$SEED_USERS" != 0 ]]; then
  section "seed ($SEED_USERS users, $SEED_CONTENTS items, $SEED_EVENTS engagement commands)"
  "$AGORA" seed --data-dir "$data/data" --users "$SEED_USERS" --contents "$SEED_CONTENTS" \
    --events "$SEED_EVENTS"
fi

section "serve (durable, workers: ${SERVER_WORKERS/#0/one per core})"
AGORA_HTTP_WORKERS="$SERVER_WORKERS" \
  AGORA_LOGIN_ATTEMPTS_PER_ADDRESS=1000000 \
  AGORA_REGISTRATIONS_PER_ADDRESS=1000000 \
  "$AGORA" serve --data-dir "$data/data" --listen 127.0.0.1:0 \
  >"$data/serve.out" 2>"$data/serve.log" &
server_pid=$!
url=""
for _ in $(seq 1 600); do
  url="$(sed -n 's/^listening on //p' "$data/serve.out" | head -n1)"
  [[ -n "$url" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$data/serve.log" >&2
    echo "agora serve exited before listening" >&2
    exit 1
  fi
  sleep 0.1
done
[[ -n "$url" ]] || { echo "agora serve did not print its address" >&2; exit 1; }
echo "server pid $server_pid at $url"

section "bench http"
args=(bench http --url "$url" --connections "$CONNECTIONS" --duration "$DURATION"
  --warmup "$WARMUP" --read-percent "$READ_PERCENT" --threads "$CLIENT_THREADS"
  --learners "$LEARNERS" --creators "$CREATORS" --items "$ITEMS" --server-pid "$server_pid")
printf '$ agora %s\n' "${args[*]}"
TIMEFORMAT='client process: %R s wall, %U s user, %S s system'
time "$AGORA" "${args[@]}" --json >"$data/result.json"
if [[ -n "${RESULT_JSON:-}" ]]; then
  cp "$data/result.json" "$RESULT_JSON"
fi

section "result"
python3 - "$data/result.json" <<'PY' || cat "$data/result.json"
import json, sys
r = json.load(open(sys.argv[1]))
ms = lambda us: f"{us / 1000:.2f}"
print(f"{r['connections']} connections, {r['client_threads']} client thread(s), "
      f"{r['read_percent']} % reads, {r['seconds']:.0f} s measured "
      f"(prepared {r['learners']} learners and {r['items']} items in {r['prepare_seconds']:.1f} s)")
print(f"requests/s {r['requests_per_second']:,.0f}   reads/s {r['reads_per_second']:,.0f}   "
      f"commands/s {r['commands_per_second']:,.0f}   non-2xx {r['failed']}   no answer {r['transport_errors']}")
cores = lambda c: "?" if c is None else f"{c:.2f}"
print(f"cores used while measured: server {cores(r.get('server_cpu_cores'))}, client {cores(r.get('client_cpu_cores'))}")
print()
print(f"| {'class / operation':<16} | {'requests':>9} | {'failed':>6} | {'p50 ms':>7} | {'p90 ms':>7} | {'p99 ms':>7} | {'max ms':>8} |")
print(f"|{'-' * 18}|{'-' * 11}|{'-' * 8}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 10}|")
for name, key, count in (("reads", "read_latency_us", r["reads"]), ("commands", "command_latency_us", r["commands"])):
    l = r[key]
    print(f"| {name:<16} | {count:>9,} | {'':>6} | {ms(l['p50']):>7} | {ms(l['p90']):>7} | {ms(l['p99']):>7} | {ms(l['max']):>8} |")
for op in r["by_op"]:
    l = op["latency_us"]
    failed = op["failed"] + op["transport_errors"]
    print(f"| {op['op']:<16} | {op['requests']:>9,} | {failed:>6} | {ms(l['p50']):>7} | {ms(l['p90']):>7} | {ms(l['p99']):>7} | {ms(l['max']):>8} |")
PY

section "server metrics (store, projections, actors)"
curl -s "$url/metrics" 2>/dev/null | grep -E '^agora_(events_appended|log_|projection_lag|aggregate_actors)' | head -n 20 || true
