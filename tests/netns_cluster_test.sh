#!/usr/bin/env bash
# A real multi-host run without containers: the scheduler and three workers each in a network
# namespace of their own, joined by veth pairs to a bridge in a hub namespace (10.213.7.0/24;
# no route leaves these namespaces), the data a directory of part-* files they all read
# (--data-access shared). A Lasso job runs undisturbed, then again while one worker's link is cut
# mid-job (ip link set ... down); the second must finish with the undisturbed objective (its
# partition re-read by a surviving worker). Skipped (exit 77) when not root or when the kernel
# refuses network namespaces. Then an MF job on shared ratings, undisturbed and with a second
# worker cut mid-job, must end with the same RMSEs. Namespaces and processes are removed on exit.
set -euo pipefail
bin=$(cd "${1:?usage: netns_cluster_test.sh BUILD_BIN_DIR}" && pwd)
skip() { echo "netns_cluster: SKIPPED: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
command -v ip > /dev/null || skip "the ip command (iproute2) is not installed"

tag="s$$"
hub="strads-$tag-hub"
names=(sched w1 w2 w3)
addrs=(10.213.7.1 10.213.7.11 10.213.7.12 10.213.7.13)
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  # A background `in_ns ...` is a subshell whose child is the program, so killing the recorded
  # pid can leave the program running: end whatever still runs inside the namespaces.
  for n in "${names[@]}"; do
    ip netns pids "strads-$tag-$n" 2> /dev/null | xargs -r kill 2> /dev/null || true
  done
  wait 2> /dev/null || true
  for n in "${names[@]}"; do ip netns del "strads-$tag-$n" 2> /dev/null || true; done
  ip netns del "$hub" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "netns_cluster: FAIL: $*" >&2
  for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2
  exit 1
}

ip netns add "$hub" 2> /dev/null || skip "'ip netns add' was refused (no CAP_SYS_ADMIN?)"
ip -n "$hub" link add br0 type bridge 2> /dev/null || skip "no bridge support in this kernel"
ip -n "$hub" link set br0 up
ip -n "$hub" link set lo up
for i in "${!names[@]}"; do
  ns="strads-$tag-${names[$i]}"
  ip netns add "$ns"
  ip link add "v$tag$i" netns "$hub" type veth peer name eth0 netns "$ns" ||
    skip "veth pairs are refused"
  ip -n "$hub" link set "v$tag$i" master br0 up
  ip -n "$ns" addr add "${addrs[$i]}/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done
in_ns() { local ns="strads-$tag-$1"; shift; ip netns exec "$ns" "$@"; }

# The data: one design as a directory of part files every process reads.
"$bin/strads" generate lasso --samples 3000 --features 300 --density 0.05 --correlation 0.5 \
  --seed 4 --out "$work/all.libsvm" > /dev/null
mkdir "$work/data"
split -n l/5 -d -a 5 "$work/all.libsvm" "$work/data/part-"
rm "$work/all.libsvm"

server="${addrs[0]}:7070"
in_ns sched "$bin/strads-scheduler" --listen "$server" --data-dir "$work/scheduler" \
  --round-timeout 3 > "$work/scheduler.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "address=" "$work/scheduler.log" && break; sleep 0.1; done
for i in 1 2 3; do
  in_ns "w$i" "$bin/strads-worker" --scheduler "$server" --name "netns-w$i" --threads 1 \
    > "$work/worker$i.log" 2>&1 &
  pids+=($!)
done
strads() { in_ns sched "$bin/strads" --server "$server" "$@"; }
connected=0
for _ in $(seq 100); do
  connected=$(strads workers --json 2> /dev/null | grep -o '"worker_id"' | wc -l || true)
  [ "$connected" -ge 3 ] && break
  sleep 0.1
done
[ "$connected" -ge 3 ] || fail "only $connected of 3 workers reached the scheduler across the namespaces"

# Sketched correlations (3000 rows over 256 buckets), and a fixed round budget long enough (some
# seconds) to cut a link in the middle even on a loaded machine.
job_args=(lasso --data "$work/data" --data-access shared --workers 3 --scheduler dynamic
  --sketch-width 256 --batch 4 --path-ratio 0.01 --tol 1e-15 --max-rounds 30000)
objective() { strads status "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["objective"])'; }
wait_done() {
  for _ in $(seq 1200); do
    state=$(strads status "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
    case "$state" in
      succeeded) return 0 ;;
      failed | cancelled) fail "$1 $state: $(strads status "$1")" ;;
    esac
    sleep 0.1
  done
  fail "$1 did not finish"
}

first=$(strads submit "${job_args[@]}" --name undisturbed)
wait_done "$first"
reference=$(objective "$first")

second=$(strads submit "${job_args[@]}" --name cut)
for _ in $(seq 600); do
  rounds=$(strads status "$second" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rounds"])')
  [ "$rounds" -ge 200 ] && break
  sleep 0.02
done
[ "$rounds" -ge 200 ] || fail "$second never reached round 200"
state=$(strads status "$second" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
[ "$state" = running ] || fail "$second ended before the cut ($state); make the job longer"
ip -n "strads-$tag-w2" link set eth0 down
wait_done "$second"
got=$(objective "$second")
python3 - "$reference" "$got" << 'PY' || fail "objective $got differs from the undisturbed $reference"
import sys
ref, got = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if abs(got - ref) <= 1e-9 * abs(ref) else 1)
PY
events=$(strads logs "$second")
grep -q "lost (no reply in time); its shards move" <<< "$events" || fail "the cut worker was never noticed: $events"

# MF on shared ratings: every worker reads its byte range of the training and test files. Worker
# w2's link is down from here on, so the job runs on w1 and w3; it runs undisturbed, then again
# with w3 cut mid-job (w1 re-reads w3's partitions), and must end with the same RMSEs and
# objective after the same fixed number of rounds.
"$bin/strads" generate mf --users 3000 --items 1500 --ratings 150000 --rank 8 --mean 3.5 \
  --user-bias 0.4 --item-bias 0.5 --factor-scale 0.5 --noise 0.8 --stars --seed 5 \
  --out "$work/ratings.txt" --test-out "$work/test.txt" > /dev/null
mf_args=(mf --data "$work/ratings.txt" --test "$work/test.txt" --data-access shared --workers 2
  --rank 10 --tol 1e-15 --max-rounds 120)
metric() { strads status "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
mf_first=$(strads submit "${mf_args[@]}" --name mf-undisturbed)
wait_done "$mf_first"
mf_second=$(strads submit "${mf_args[@]}" --name mf-cut)
for _ in $(seq 600); do
  rounds=$(strads status "$mf_second" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rounds"])')
  [ "$rounds" -ge 10 ] && break
  sleep 0.02
done
state=$(strads status "$mf_second" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
[ "$state" = running ] || fail "$mf_second ended before the cut ($state); make the job longer"
ip -n "strads-$tag-w3" link set eth0 down
wait_done "$mf_second"
for m in train_rmse test_rmse objective rounds; do
  want=$(metric "$mf_first" "$m")
  have=$(metric "$mf_second" "$m")
  python3 - "$want" "$have" << 'PY' || fail "mf $m $have differs from the undisturbed $want"
import sys
want, have = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if abs(have - want) <= 1e-9 * abs(want) else 1)
PY
done
grep -q "lost (no reply in time); its shards move" <<< "$(strads logs "$mf_second")" ||
  fail "the cut MF worker was never noticed"
echo "netns_cluster: OK (lasso objective $got, undisturbed $reference; mf test_rmse $(metric "$mf_second" test_rmse))"
