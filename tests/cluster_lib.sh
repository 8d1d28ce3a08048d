# Shared by the end-to-end shell tests (sourced, not run): a scratch directory and the processes
# started in it, both cleaned up on exit, and a scheduler started on a free loopback port.
# Defines: $work, pids, start_scheduler LOG DATA_DIR [FLAGS...] (sets $address and
# $scheduler_pid).
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# start_scheduler LOG DATA_DIR [FLAGS...]: starts strads-scheduler on 127.0.0.1 (a free port)
# with FLAGS, logging to LOG, and sets $address to the HOST:PORT it reports; fails the test if it
# reports none.
start_scheduler() {
  "$bin/strads-scheduler" --listen "${listen:-127.0.0.1:0}" --data-dir "$2" "${@:3}" > "$1" 2>&1 &
  scheduler_pid=$!
  pids+=($!)
  address=""
  for _ in $(seq 100); do
    address=$(grep -o 'address=[0-9.]*:[0-9]*' "$1" | head -1 | cut -d= -f2 || true)
    [ -n "$address" ] && return 0
    sleep 0.1
  done
  fail "scheduler did not report its address"
}
