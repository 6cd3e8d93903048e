#!/usr/bin/env bash
# Instructions per appended event of `agora serve` under a commands-only
# HTTP load, counted by valgrind's callgrind in a steady-state window: the
# machine's speed and its other load do not enter the figure, so two
# builds can be compared on a noisy or shared machine (the wall-clock
# bench, run.sh, cannot tell a few per cent apart there).
#
#   benches/http/instructions.sh BIN LABEL     # prints LABEL events Ir Ir/event
#
# BIN is an `agora` binary (any profile; compare like with like). The
# server runs under callgrind with the recommender's training and the
# models off (they run on timers, not per command); `agora bench http`
# (8 connections, 0 % reads) loads it; once the bench's own preparation
# has appended 2,000 events the counters are zeroed, and 30 s later the
# events appended (from /metrics) and the instructions are read. A LABEL
# starting with `old` skips AGORA_REGISTRATIONS_PER_ADDRESS (builds from
# before that setting refuse unknown settings). Output under /tmp/cg2/LABEL.
set -euo pipefail
BIN=$1; LABEL=$2
d=/tmp/cg2/$LABEL; rm -rf $d; mkdir -p $d
while read -r name; do unset "$name"; done < <(compgen -e | grep '^AGORA_' || true)
export AGORA_LOG_LEVEL=warn AGORA_RECOMMENDER__TRAIN_ON_START=false AGORA_RECOMMENDER__RETRAIN_AFTER_INTERACTIONS=0 AGORA_RECOMMENDER__RETRAIN_INTERVAL_SECS=0 AGORA_MODELS_ENABLED=false
$BIN seed --data-dir $d/data --users 200 --contents 50 --events 2000 >/dev/null 2>&1
if [[ "$LABEL" != old* ]]; then export AGORA_REGISTRATIONS_PER_ADDRESS=1000000; fi
AGORA_LOGIN_ATTEMPTS_PER_ADDRESS=1000000 AGORA_HTTP_WORKERS=2 valgrind --tool=callgrind --callgrind-out-file=$d/cg.out \
  $BIN serve --data-dir $d/data --listen 127.0.0.1:0 >$d/serve.out 2>$d/serve.log &
pid=$!
url=""
for _ in $(seq 1 3000); do url="$(sed -n 's/^listening on //p' $d/serve.out | head -n1)"; [[ -n "$url" ]] && break; sleep 0.1; done
$BIN bench http --url "$url" --connections 8 --learners 8 --creators 2 --items 50 --warmup 5 --duration 60 --read-percent 0 --seed 7 --json > $d/result.json &
bpid=$!
ev() { curl -s $url/metrics | awk '/^agora_events_appended_total/ {print $2}'; }
e0=$(ev)
# wait until the bench's own preparation is over: 2000 events past the start
while :; do e=$(ev); [[ $(( ${e%.*} - ${e0%.*} )) -gt 2000 ]] && break; sleep 1; done
callgrind_control -z $pid >/dev/null; m0=$(ev)
sleep 30
m1=$(ev); callgrind_control -d $pid >/dev/null
wait $bpid || true
kill -TERM $pid; wait $pid || true
dump=$(ls $d/cg.out.* | head -1)
ir=$(grep -E '^(summary|totals):' $dump | head -1 | awk '{print $2}')
python3 -c "print('$LABEL', ${m1%.*}-${m0%.*}, $ir, round($ir/(${m1%.*}-${m0%.*})))"
cp $dump $d/window.out
