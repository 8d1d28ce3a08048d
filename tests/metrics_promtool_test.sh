#!/usr/bin/env bash
# /metrics of a real scheduler and worker parse as Prometheus text (promtool check metrics, from
# Debian's prometheus package: lint included, so names and help follow Prometheus' rules), the
# round counter grows while a job runs, and the worker's counters move with its pushes.
set -euo pipefail
bin=${1:?usage: metrics_promtool_test.sh BUILD_BIN_DIR}
source "$(dirname "$0")/cluster_lib.sh"
source "$(dirname "$0")/ops_lib.sh"
fail() { echo "metrics: FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }
need_package curl curl
need_package prometheus promtool

"$bin/strads" generate lasso --samples 2000 --features 400 --density 0.05 --correlation 0.5 \
  --seed 3 --out "$work/train.libsvm" > /dev/null
start_scheduler "$work/scheduler.log" "$work/data" --http-listen 127.0.0.1:0
export STRADS_SERVER=$address
http=127.0.0.1:$(http_port "$work/scheduler.log")
for i in 1 2; do
  "$bin/strads-worker" --scheduler "$address" --name "m-$i" --threads 1 \
    --http-listen 127.0.0.1:0 > "$work/worker$i.log" 2>&1 &
  pids+=($!)
done
worker_http=127.0.0.1:$(http_port "$work/worker1.log")
for _ in $(seq 100); do
  get "http://$worker_http/readyz" > /dev/null 2>&1 && break
  sleep 0.1
done
get "http://$worker_http/readyz" | grep -q ready || fail "worker never ready"

get "http://$http/metrics" > "$work/idle.prom"
promtool check metrics < "$work/idle.prom" > "$work/promtool-idle.log" 2>&1 \
  || fail "idle scheduler metrics: $(cat "$work/promtool-idle.log")"
grep -q '^strads_workers_connected 2$' "$work/idle.prom" || fail "workers_connected is not 2"
grep -q '^strads_build_info{version=' "$work/idle.prom" || fail "no build info"

# A long job (it cannot reach its tolerance) that the test cancels.
job=$("$bin/strads" submit lasso --data "$work/train.libsvm" --scheduler dynamic --tol 1e-300 \
  --max-rounds 100000000 --workers 2)
rounds() { get "http://$http/metrics" | sed -n 's/^strads_rounds_total{app="lasso"} //p'; }
first=""
for _ in $(seq 100); do
  first=$(rounds)
  [ -n "$first" ] && awk "BEGIN{exit !($first > 0)}" && break
  sleep 0.1
done
[ -n "$first" ] || fail "no strads_rounds_total while the job runs"
sleep 1
second=$(rounds)
awk "BEGIN{exit !($second > $first)}" || fail "rounds_total did not grow: $first then $second"
get "http://$http/metrics" > "$work/busy.prom"
promtool check metrics < "$work/busy.prom" > "$work/promtool-busy.log" 2>&1 \
  || fail "busy scheduler metrics: $(cat "$work/promtool-busy.log")"
grep -q '^strads_jobs{app="lasso",state="running"} 1$' "$work/busy.prom" || fail "no running job"
grep -q '^strads_round_duration_seconds_bucket{app="lasso",le="+Inf"}' "$work/busy.prom" \
  || fail "no round-duration histogram"
get "http://$worker_http/metrics" > "$work/worker.prom"
promtool check metrics < "$work/worker.prom" > "$work/promtool-worker.log" 2>&1 \
  || fail "worker metrics: $(cat "$work/promtool-worker.log")"
pushes=$(sed -n 's/^strads_worker_pushes_total //p' "$work/worker.prom")
awk "BEGIN{exit !($pushes > 0)}" || fail "worker pushes_total is $pushes"
received=$(sed -n 's/^strads_worker_received_bytes_total //p' "$work/worker.prom")
awk "BEGIN{exit !($received > 0)}" || fail "worker received_bytes_total is $received"
"$bin/strads" cancel "$job" > /dev/null
for _ in $(seq 100); do
  get "http://$http/metrics" | grep -q '^strads_jobs_finished_total{app="lasso",state="cancelled"} 1$' \
    && break
  sleep 0.1
done
get "http://$http/metrics" | grep -q '^strads_jobs_finished_total{app="lasso",state="cancelled"} 1$' \
  || fail "the cancelled job was not counted"
echo "metrics: OK (rounds_total $first -> $second; worker pushes $pushes)"
