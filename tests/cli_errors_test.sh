#!/usr/bin/env bash
# End to end, the real binaries' answers to mistakes and interruptions: a bad flag, address or
# output path is one clear line on stderr and exit code 2 (bad usage), before any work is done; a second
# scheduler on a port already taken fails; a job cancelled while it waited for workers gives
# exit code 3 from `result` as from `watch`; an interrupted `strads run` cancels its job, removes
# its temporary directory and exits 3.
set -euo pipefail
bin=${1:?usage: cli_errors_test.sh BUILD_BIN_DIR}
source "$(dirname "$0")/cluster_lib.sh"
fail() { echo "cli_errors: FAIL: $*" >&2; exit 1; }

# expect CODE TEXT COMMAND...: COMMAND exits with CODE and says TEXT in one line on stderr.
expect() {
  local code=$1 text=$2
  shift 2
  local got=0
  "$@" > "$work/out.txt" 2> "$work/err.txt" || got=$?
  local err
  err=$(cat "$work/err.txt")
  [ "$got" -eq "$code" ] || fail "'$*' exited $got, expected $code; stderr: $err"
  grep -qF -- "$text" "$work/err.txt" || fail "'$*': stderr lacks '$text': $err"
  [ "$(wc -l < "$work/err.txt")" -eq 1 ] || fail "'$*': stderr is not one line: $err"
}

# Flags: CLI11's own exit codes (105, 106, 109) and its 300-digit bounds are gone.
expect 2 "strads: --samples must be > 0, got 0" "$bin/strads" generate lasso --samples 0 --out x
expect 2 "strads: --tol must be >= 0, got -1" "$bin/strads" run lasso --data f --tol -1
expect 2 "--workers must be between 1 and 4096, got 0" "$bin/strads" run lasso --data f --workers 0
expect 2 "--max-rounds must be an integer, got '1.5'" "$bin/strads" run lasso --data f \
  --max-rounds 1.5
expect 2 "not expected: --bogus" "$bin/strads" run lasso --data f --bogus
expect 2 "--out is required" "$bin/strads" generate lasso
expect 2 "--round-timeout must be > 0, got 0" "$bin/strads-scheduler" --round-timeout 0
expect 2 "not expected: --bogus" "$bin/strads-scheduler" --bogus
expect 2 "--reconnect-delay must be > 0, got 0" "$bin/strads-worker" --reconnect-delay 0
for program in strads strads-scheduler strads-worker; do
  "$bin/$program" --help > /dev/null || fail "$program --help exited non-zero"
done
"$bin/strads" run lasso --help > /dev/null || fail "strads run lasso --help exited non-zero"

# Addresses: gRPC would wrap the port, default to 443, or log raw errors; each program refuses.
expect 2 "--server '127.0.0.1:103409': the port must be a number from 1 to 65535" \
  "$bin/strads" status job-1 --server 127.0.0.1:103409
expect 2 "--server is empty" "$bin/strads" jobs --server ""
expect 2 "STRADS_SERVER '127.0.0.1': no port" env STRADS_SERVER=127.0.0.1 "$bin/strads" jobs
expect 1 "--listen '127.0.0.1:99999': the port must be a number from 0 to 65535" \
  "$bin/strads-scheduler" --listen 127.0.0.1:99999 --data-dir "$work/unused"
expect 1 "--listen '127.0.0.1': no port" "$bin/strads-scheduler" --listen 127.0.0.1 \
  --data-dir "$work/unused"
expect 1 "--scheduler '127.0.0.1:0': the port must be a number from 1 to 65535" \
  "$bin/strads-worker" --scheduler 127.0.0.1:0

# generate --json: one line saying what was written.
"$bin/strads" generate lasso --samples 400 --features 300 --density 0.05 --correlation 0.9 \
  --seed 5 --out "$work/train.libsvm" --json > "$work/generated.json"
python3 - "$work/generated.json" "$work/train.libsvm" <<'PY' || fail "generate lasso --json"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
written = json.loads(lines[0])
assert written["out"] == sys.argv[2], written
assert written["samples"] == 400 and written["features"] == 300, written
assert isinstance(written["nnz"], int) and written["nnz"] > 0, written
PY
"$bin/strads" generate mf --users 30 --items 20 --ratings 200 --out "$work/r.txt" \
  --test-out "$work/rt.txt" --json | python3 -c '
import json, sys
written = json.loads(sys.stdin.read())
assert written["ratings"] + written["test_ratings"] == 200, written' || fail "generate mf --json"
# predict never writes over what it reads, and --json without --out (the predictions on stdout)
# is refused rather than ignored.
printf '# strads lasso model\n1 0.5\n' > "$work/m.txt"
printf '1 1:2\n0 2:1\n' > "$work/d.libsvm"
cp "$work/d.libsvm" "$work/d-before.libsvm"
expect 2 "--out '$work/d.libsvm' is the same file as --data" "$bin/strads" predict lasso \
  --model "$work/m.txt" --data "$work/d.libsvm" --out "$work/d.libsvm"
cmp -s "$work/d.libsvm" "$work/d-before.libsvm" || fail "predict lasso wrote over its --data"
expect 2 "is the same file as --model" "$bin/strads" predict lasso --model "$work/m.txt" \
  --data "$work/d.libsvm" --out "$work/m.txt"
expect 2 "--json prints the fit on stdout" "$bin/strads" predict lasso --model "$work/m.txt" \
  --data "$work/d.libsvm" --json
expect 2 "is the same file as --data" "$bin/strads" run lasso --data "$work/d.libsvm" \
  --model-out "$work/d.libsvm"
cmp -s "$work/d.libsvm" "$work/d-before.libsvm" || fail "run lasso wrote over its --data"
"$bin/strads" generate mf --users 30 --items 20 --ratings 200 --out "$work/mf-W.txt" > /dev/null
expect 2 "--model-out '$work/mf-W.txt' is the same file as --data" "$bin/strads" run mf \
  --data "$work/mf-W.txt" --model-out "$work/mf"

# Without --test-out the held-out share is dropped, and the summary says so (the count written
# is then below --ratings).
said=$("$bin/strads" generate mf --users 30 --items 20 --ratings 200 --out "$work/r.txt")
written=$(wc -l < "$work/r.txt")
dropped=$((200 - written))
echo "$said" | grep -qF "$written ratings; $dropped held out (--test-fraction) and dropped" ||
  fail "generate mf without --test-out: $said"

# Lasso parameters given as flags are checked by the app and refused in one line naming the flag,
# before any round.
for bad in "--alpha -1|strads: --alpha must be > 0" "--alpha x|strads: --alpha must be a number, got 'x'" \
  "--dependency-check foo|strads: --dependency-check must be one of gershgorin|pairwise, got 'foo'" \
  "--working-set-max 5000|strads: --working-set-max must be in [1, 4096], got 5000" \
  "--scheduler bogus|strads: --scheduler must be one of working-set|dynamic|random|static|cyclic" \
  "--alpha 0.01 --lambda 1|give lambda or alpha" \
  "--sketch-width 64|strads: --sketch-width needs --data-access shared"; do
  # shellcheck disable=SC2086  # the flags are meant to split
  expect 2 "${bad#*|}" "$bin/strads" run lasso --data "$work/train.libsvm" -q ${bad%%|*}
done
# Captured first: grep -q stops reading at the match, and under pipefail the writer's SIGPIPE
# would fail the pipeline.
lasso_help=$("$bin/strads" run lasso --help)
grep -q -- "--dependency-check" <<< "$lasso_help" || fail "--help lacks --dependency-check"
# run writes a summary JSON even without --summary-json; its help says where.
grep -q "default: lasso-summary.json in the current" <<< "$lasso_help" \
  || fail "run lasso --help does not say where the summary JSON goes by default"
"$bin/strads" run lasso --data "$work/train.libsvm" -q --json --model-out "$work/default.txt" \
  | python3 -c 'import json,sys; s = json.load(sys.stdin); assert s["scheduler"] == "working-set", s' \
  || fail "the default schedule is not working-set"

# --pipeline D: 1 to 64, refused in one line where the app or schedule runs one round at a time,
# and the depth a job ran at is in its summary (1 by default).
expect 2 "--pipeline must be between 1 and 64, got 0" "$bin/strads" run lasso --data f --pipeline 0
expect 2 "--pipeline must be between 1 and 64, got 65" "$bin/strads" run lasso --data f \
  --pipeline 65
expect 2 "strads: --pipeline 2 is refused: the working-set schedule runs one round at a time" \
  "$bin/strads" run lasso --data "$work/train.libsvm" -q --pipeline 2
expect 2 "strads: --pipeline 2 is refused: the mf app runs one round at a time" \
  "$bin/strads" run mf --data "$work/r.txt" -q --pipeline 2
# Pipelined rounds run on the embedded cluster's real workers, which take the tasks of several
# rounds in one message: the job reaches the optimum of one round at a time.
for depth in default 4 8; do
  flags=(--scheduler dynamic --lambda 0.8 -q --json --tol 1e-10 --model-out "$work/pipelined.txt")
  [ "$depth" = default ] || flags+=(--pipeline "$depth")
  "$bin/strads" run lasso --data "$work/train.libsvm" "${flags[@]}" > "$work/pipelined-$depth.json" \
    || fail "pipeline $depth failed"
  python3 - "$work/pipelined-default.json" "$work/pipelined-$depth.json" "$depth" <<'PY' \
    || fail "pipeline $depth does not reach the summary or the optimum"
import json, sys
one, s = (json.load(open(p)) for p in sys.argv[1:3])
want = 1 if sys.argv[3] == "default" else int(sys.argv[3])
assert s["pipeline"] == want and s["state"] == "succeeded", s
f1, f = one["objective"], s["objective"]
assert abs(f - f1) <= 1e-7 * abs(f1), (f, f1)
PY
done

# --alpha is the scikit-learn/glmnet scale: lambda = samples * alpha (400 here). The job reports
# both, and solves the same problem as the matching --lambda, whatever the schedule.
for scheduler in working-set dynamic; do
  "$bin/strads" run lasso --data "$work/train.libsvm" --alpha 0.002 --scheduler "$scheduler" \
    --dependency-check gershgorin --working-set-max 64 -q --tol 1e-10 \
    --summary-json "$work/alpha.json" --model-out "$work/alpha-model.txt" > /dev/null \
    || fail "run --alpha ($scheduler)"
  "$bin/strads" run lasso --data "$work/train.libsvm" --lambda 0.8 --scheduler "$scheduler" -q \
    --tol 1e-10 --summary-json "$work/lambda.json" --model-out "$work/lambda-model.txt" \
    > /dev/null || fail "run --lambda ($scheduler)"
  python3 - "$work/alpha.json" "$work/lambda.json" "$work/alpha-model.txt" "$scheduler" <<'PY' \
    || fail "--alpha does not reach the job ($scheduler)"
import json, sys
alpha, lam = (json.load(open(p)) for p in sys.argv[1:3])
assert alpha["params"]["alpha"] == "0.002" and "lambda" not in alpha["params"], alpha["params"]
assert alpha["scheduler"] == sys.argv[4], alpha
assert alpha["params"]["dependency_check"] == "gershgorin", alpha["params"]
assert alpha["params"]["working_set_max"] == "64", alpha["params"]
assert alpha["alpha"] == 0.002 and abs(alpha["lambda"] - 0.8) < 1e-12, alpha
assert abs(alpha["objective"] - lam["objective"]) <= 1e-8 * lam["objective"], (alpha, lam)
header = [line for line in open(sys.argv[3]) if line.startswith("# alpha ")]
assert header and float(header[0].split()[2]) == 0.002, header
PY
done

# MatrixMarket input: a malformed file is refused in one line naming the file and line.
mmt_banner="%%MatrixMarket matrix coordinate real general"
printf '%s\n2 2 2\n1 1 1\n3 1 2\n' "$mmt_banner" > "$work/bad-X.mmt"
printf '%%%%MatrixMarket matrix array real general\n2 1\n1\n2\n' > "$work/Y.mmt"
expect 1 "$work/bad-X.mmt line 4: row index 3 is outside 1..2" \
  "$bin/strads" run lasso --data "$work/bad-X.mmt" --labels "$work/Y.mmt" -q
printf '%s\n3 2 2\n1 1 1\n3 2 2\n' "$mmt_banner" > "$work/X.mmt"
expect 1 "$work/Y.mmt: 2 labels, but $work/X.mmt has 3 rows (samples)" \
  "$bin/strads" run lasso --data "$work/X.mmt" --labels "$work/Y.mmt" -q
expect 2 "is a MatrixMarket design matrix, which holds no labels" \
  "$bin/strads" run lasso --data "$work/X.mmt" -q
expect 2 "a LIBSVM file whose labels are its first column" \
  "$bin/strads" run lasso --data "$work/train.libsvm" --labels "$work/Y.mmt" -q
expect 2 "$work/missing-Y.mmt: cannot open the labels file" \
  "$bin/strads" run lasso --data "$work/X.mmt" --labels "$work/missing-Y.mmt" -q

# Output files are checked before the job runs, and the message names the user's path.
expect 2 "--model-out '$work/no-dir/m.txt': directory '$work/no-dir' does not exist" \
  "$bin/strads" run lasso --data "$work/train.libsvm" --model-out "$work/no-dir/m.txt"
grep -q "local cluster" "$work/out.txt" && fail "run started a cluster before refusing --model-out"
expect 2 "--summary-json '$work/no-dir/s.json': directory '$work/no-dir' does not exist" \
  "$bin/strads" run lasso --data "$work/train.libsvm" --summary-json "$work/no-dir/s.json"
expect 2 "--summary-json '$work': is a directory" \
  "$bin/strads" run lasso --data "$work/train.libsvm" --summary-json "$work"

# One scheduler per port: the second one says why it cannot listen, in one line.
start_scheduler "$work/scheduler.log" "$work/data"
expect 1 "strads-scheduler: cannot listen on $address: address already in use" \
  "$bin/strads-scheduler" --listen "$address" --data-dir "$work/data2"
export STRADS_SERVER=$address
"$bin/strads" jobs > /dev/null || fail "the first scheduler stopped serving"

# A job cancelled while it waits for workers (there are none): exit code 3 from result and watch.
job=$("$bin/strads" submit lasso --data "$work/train.libsvm" --workers 2)
"$bin/strads" cancel "$job" > /dev/null
expect 3 "no model written" "$bin/strads" result "$job" --model-out "$work/m.txt"
expect 3 "no model written" "$bin/strads" watch "$job" -q --model-out "$work/m.txt"
expect 2 "--model-out '$work/no-dir/m.txt'" "$bin/strads" result "$job" \
  --model-out "$work/no-dir/m.txt"
unset STRADS_SERVER

# Ctrl-C on `strads run`: the job is cancelled, the temporary directory removed, exit code 3.
# Job control on: without it bash starts background jobs with SIGINT ignored (and strads keeps an
# ignored SIGINT ignored), as a terminal's Ctrl-C reaches only the foreground job anyway.
mkdir "$work/tmp"
set -m
TMPDIR="$work/tmp" "$bin/strads" run lasso --data "$work/train.libsvm" --lambda 0.01 \
  --scheduler cyclic --tol 1e-15 --max-rounds 100000000 > "$work/run.txt" 2> "$work/run-err.txt" &
run=$!
set +m
for _ in $(seq 100); do
  grep -q "running" "$work/run.txt" && break
  sleep 0.1
done
grep -q "running" "$work/run.txt" || fail "strads run did not start running"
ls "$work/tmp" | grep -q strads-run || fail "strads run has no temporary directory"
kill -INT "$run"
code=0
wait "$run" || code=$?
[ "$code" -eq 3 ] || fail "interrupted run exited $code, expected 3: $(cat "$work/run-err.txt")"
[ "$(cat "$work/run-err.txt")" = "strads: interrupted; job cancelled" ] \
  || fail "interrupted run said: $(cat "$work/run-err.txt")"
[ -z "$(ls "$work/tmp")" ] || fail "interrupted run left $(ls "$work/tmp") behind"
echo "cli_errors: ok"
