#!/usr/bin/env bash
# End to end, a job's whole life from the CLI against real processes: names, filters, the event
# log (followed, and kept across a scheduler restart), watch --timeout, delete, retention, the
# connection flags before or after the command, and the exit codes scripts rely on
# (0 ok, 1 failed, 2 usage, 3 cancelled, 4 unreachable or refused, 5 watch timeout).
set -euo pipefail
bin=${1:?usage: job_life_test.sh BUILD_BIN_DIR}
source "$(dirname "$0")/cluster_lib.sh"
fail() { echo "job_life: FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }
strads=("$bin/strads")

# code COMMAND...: prints COMMAND's exit code (its output goes to $work/out.txt, err.txt).
code() { local got=0; "$@" > "$work/out.txt" 2> "$work/err.txt" || got=$?; echo "$got"; }
expect_code() {
  local want=$1; shift
  local got; got=$(code "$@")
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want: $(cat "$work/err.txt")"
}
# wait_state JOB STATE: until `strads status JOB` says STATE (5 s at most).
wait_state() {
  for _ in $(seq 100); do
    "${strads[@]}" status "$1" --json 2>/dev/null | grep -q "\"state\": \"$2\"" && return 0
    sleep 0.05
  done
  fail "$1 never reached $2"
}
start_worker() {
  "$bin/strads-worker" --scheduler "$address" --name "life-$1" > "$work/worker$1.log" 2>&1 &
  pids+=($!)
}

"${strads[@]}" generate lasso --samples 200 --features 100 --density 0.05 --seed 3 \
  --out "$work/train.libsvm" > /dev/null
long=(--data "$work/train.libsvm" --lambda 0.01 --scheduler cyclic --tol 1e-15
      --max-rounds 100000000)

# Unreachable scheduler: exit 4, whatever the command.
expect_code 4 "${strads[@]}" jobs --server 127.0.0.1:1
expect_code 4 "${strads[@]}" --server 127.0.0.1:1 status job-1
# Bad usage: exit 2.
expect_code 2 "${strads[@]}" jobs --bogus
expect_code 2 "${strads[@]}" jobs --state sleeping --server 127.0.0.1:1
grep -q "queued|loading|waiting_for_workers|running|succeeded|failed|cancelled" "$work/err.txt" \
  || fail "--state error does not list the states: $(cat "$work/err.txt")"
expect_code 2 "${strads[@]}" watch job-1 --timeout -1
expect_code 2 "${strads[@]}" --server nonsense jobs

data=$work/data
start_scheduler "$work/scheduler.log" "$data" --checkpoint-seconds 0.2
export STRADS_SERVER=$address
start_worker 1
start_worker 2

# Connection flags before and after the command (deploy/README.md writes them before).
unset STRADS_SERVER
expect_code 0 "${strads[@]}" --server "$address" jobs
expect_code 0 "${strads[@]}" jobs --server "$address"
expect_code 0 "${strads[@]}" --json --server "$address" workers
python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))) >= 1' "$work/out.txt" \
  || fail "--json before the command did not give JSON"
expect_code 0 "${strads[@]}" --server "$address" submit lasso --data "$work/train.libsvm" \
  --lambda 1 --workers 1 --watch -q
export STRADS_SERVER=$address

# A named job; a second submit of the name while it runs is refused (exit 2), and a name free
# again (the job ended) may be used again.
job=$("${strads[@]}" submit lasso "${long[@]}" --workers 2 --name nightly)
wait_state "$job" running
expect_code 2 "${strads[@]}" submit lasso "${long[@]}" --name nightly
grep -q "a job named 'nightly' is already running: $job" "$work/err.txt" \
  || fail "name clash message: $(cat "$work/err.txt")"
expect_code 2 "${strads[@]}" submit lasso "${long[@]}" --name 'bad name'
"${strads[@]}" jobs | grep -q "^$job *nightly *lasso *running" || fail "jobs does not show the name"

# watch --timeout on a job that does not end: exit 5, in about the time asked.
start=$(date +%s)
expect_code 5 "${strads[@]}" watch "$job" --timeout 1 -q
[ $(( $(date +%s) - start )) -le 5 ] || fail "watch --timeout 1 took too long"
grep -q "timeout" "$work/err.txt" || fail "timeout message: $(cat "$work/err.txt")"

# A running job cannot be deleted; the message says what to do.
expect_code 2 "${strads[@]}" delete "$job"
grep -q "cancel $job first" "$work/err.txt" || fail "delete message: $(cat "$work/err.txt")"

# logs -f follows the job until it ends; cancel it meanwhile (a checkpoint comes every 0.2 s).
"${strads[@]}" logs "$job" -f > "$work/follow.txt" 2> "$work/follow-err.txt" &
follower=$!
for _ in $(seq 100); do grep -q "checkpoint before round" "$work/follow.txt" && break; sleep 0.05; done
"${strads[@]}" cancel "$job" > /dev/null
wait "$follower" || fail "logs -f exited non-zero: $(cat "$work/follow-err.txt")"
for event in "submitted: lasso on $work/train.libsvm, 2 workers, name nightly" "loading data" \
  "shards placed: " "running" "round 1 after" "checkpoint before round" \
  "cancel requested" "cancelled: cancelled after"; do
  grep -qF -- "$event" "$work/follow.txt" || fail "logs -f lacks '$event': $(cat "$work/follow.txt")"
done
[ "$(grep -c "  round [0-9]* after" "$work/follow.txt")" -ge 3 ] || fail "too few milestones"
tail -1 "$work/follow.txt" | grep -q "cancelled" || fail "the last event is not the end"
expect_code 3 "${strads[@]}" watch "$job" -q
# The name is free again once its job ended.
expect_code 0 "${strads[@]}" submit lasso --data "$work/train.libsvm" --lambda 1 --name nightly \
  --watch -q

# A failed job: exit 1 (its data is refused when loaded, after submission).
printf '1 1:1\n0 1:x\n' > "$work/bad.libsvm"
bad_code=$(code "${strads[@]}" submit lasso --data "$work/bad.libsvm" --watch -q)
if [ "$bad_code" -eq 1 ]; then
  grep -q "failed" "$work/err.txt" || fail "failed-job message: $(cat "$work/err.txt")"
else
  [ "$bad_code" -eq 2 ] || fail "a malformed data file gave exit $bad_code"  # refused at submit
fi

# Filters: --state and --limit, server side, as text and JSON.
"${strads[@]}" jobs --state cancelled --json | python3 -c '
import json, sys
jobs = json.load(sys.stdin)
assert jobs and all(j["state"] == "cancelled" for j in jobs), jobs' || fail "jobs --state"
"${strads[@]}" jobs --state succeeded,cancelled --limit 2 --json | python3 -c '
import json, sys
jobs = json.load(sys.stdin)
assert len(jobs) == 2 and all(j["state"] in ("succeeded", "cancelled") for j in jobs), jobs
assert jobs[0]["job_id"] != jobs[1]["job_id"]' || fail "jobs --state A,B --limit 2"
[ "$("${strads[@]}" jobs --limit 1 | tail -n +2 | wc -l)" -eq 1 ] || fail "jobs --limit 1"

# The log survives a scheduler restart, and the restarted job goes on logging.
job2=$("${strads[@]}" submit lasso "${long[@]}" --workers 1)
wait_state "$job2" running
for _ in $(seq 100); do "${strads[@]}" logs "$job2" | grep -q "checkpoint before" && break; sleep 0.05; done
kill "$scheduler_pid"
wait "$scheduler_pid" 2>/dev/null || true
listen=$address start_scheduler "$work/scheduler2.log" "$data" --checkpoint-seconds 0.2
wait_state "$job2" running
"${strads[@]}" logs "$job2" > "$work/log2.txt"
grep -q "submitted: lasso" "$work/log2.txt" || fail "the log did not survive the restart"
grep -q "interrupted by a scheduler shutdown" "$work/log2.txt" || fail "no shutdown event"
grep -q "queued again after a scheduler restart" "$work/log2.txt" || fail "no restart event"
grep -q "resumed from the checkpoint before round" "$work/log2.txt" || fail "no resume event"
"${strads[@]}" logs "$job2" --json | python3 -c '
import json, sys
events = [json.loads(line) for line in sys.stdin]
numbers = [e["number"] for e in events]
assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), numbers
assert all(e["unix_ms"] > 0 and e["text"] for e in events), events' || fail "logs --json"
"${strads[@]}" cancel "$job2" > /dev/null
wait_state "$job2" cancelled

# Delete: a finished job goes with its folder and the upload only it read.
cp "$work/train.libsvm" "$work/up.libsvm"
up=$("${strads[@]}" submit lasso --data "$work/up.libsvm" --upload --lambda 1 --json | tail -1 \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
expect_code 0 "${strads[@]}" watch "$up" -q
uploaded=$("${strads[@]}" status "$up" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"])')
[ -f "$uploaded" ] && [ -d "$data/jobs/$up" ] || fail "the upload or job folder is missing"
expect_code 0 "${strads[@]}" delete "$up" --json
python3 -c '
import json, sys
removed = json.load(open(sys.argv[1]))["removed"]
assert sys.argv[2] in removed and any(p.endswith("/jobs/" + sys.argv[3]) for p in removed), removed
' "$work/out.txt" "$uploaded" "$up" || fail "delete --json: $(cat "$work/out.txt")"
[ ! -e "$uploaded" ] && [ ! -e "$data/jobs/$up" ] || fail "delete left files behind"
expect_code 2 "${strads[@]}" status "$up"
expect_code 2 "${strads[@]}" delete "$up"
expect_code 2 "${strads[@]}" logs job-999
[ -f "$work/train.libsvm" ] || fail "delete removed a file that is not an upload"

# A deleted job's id is not given out again, even by a restarted scheduler.
kill "$scheduler_pid"
wait "$scheduler_pid" 2>/dev/null || true
listen=$address start_scheduler "$work/scheduler2b.log" "$data"
next=$("${strads[@]}" submit lasso --data "$work/train.libsvm" --lambda 1 --json | tail -1 \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
[ "${next#job-}" -gt "${up#job-}" ] || fail "the deleted $up's id came back as $next"
expect_code 0 "${strads[@]}" watch "$next" -q

# Retention: a scheduler keeping 2 finished jobs deletes the oldest when a third ends.
kill "$scheduler_pid"
wait "$scheduler_pid" 2>/dev/null || true
start_scheduler "$work/scheduler3.log" "$work/data3" --retain-jobs 2
export STRADS_SERVER=$address
start_worker 3
ids=()
for _ in 1 2 3; do
  ids+=("$("${strads[@]}" submit lasso --data "$work/train.libsvm" --lambda 1 --workers 1 --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')")
  expect_code 0 "${strads[@]}" watch "${ids[-1]}" -q
done
[ ! -e "$work/data3/jobs/${ids[0]}" ] || fail "retention kept the oldest job's folder"
expect_code 2 "${strads[@]}" status "${ids[0]}"
[ -d "$work/data3/jobs/${ids[2]}" ] || fail "retention deleted the newest job"
[ "$("${strads[@]}" jobs --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] \
  || fail "retention should keep 2 jobs"

# A scheduler that refuses the token: exit 4.
kill "$scheduler_pid"
wait "$scheduler_pid" 2>/dev/null || true
echo "client-secret" > "$work/client-token"
echo "worker-secret" > "$work/worker-token"
echo "wrong" > "$work/wrong-token"
start_scheduler "$work/scheduler4.log" "$work/data4" --client-token-file "$work/client-token" \
  --worker-token-file "$work/worker-token"
expect_code 4 "${strads[@]}" --token-file "$work/wrong-token" jobs --server "$address"
expect_code 4 "${strads[@]}" jobs --server "$address"
expect_code 0 "${strads[@]}" jobs --server "$address" --token-file "$work/client-token"
expect_code 0 "${strads[@]}" --token-file "$work/client-token" --server "$address" jobs
expect_code 2 "${strads[@]}" jobs --server "$address" --token-file "$work/missing-token"
echo "job_life: ok"
