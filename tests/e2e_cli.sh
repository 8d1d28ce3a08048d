#!/usr/bin/env bash
# End to end: a scheduler and two workers as separate processes, driven by the strads CLI the way
# a user would: generate, submit, watch, status, jobs, result, cancel, and bad input.
set -euo pipefail
bin=${1:?usage: e2e_cli.sh BUILD_BIN_DIR}
source "$(dirname "$0")/cluster_lib.sh"
fail() { echo "e2e: FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }

"$bin/strads" generate lasso --samples 400 --features 300 --density 0.05 --correlation 0.9 \
  --seed 5 --out "$work/train.libsvm" > /dev/null

start_scheduler "$work/scheduler.log" "$work/data"
export STRADS_SERVER=$address

# A job submitted before any worker exists waits and says so.
job=$("$bin/strads" submit lasso --data "$work/train.libsvm" --lambda 0.5 --workers 2)
waiting=no
for _ in $(seq 100); do
  if "$bin/strads" status "$job" | grep -q "waiting for workers: 0 of 2"; then waiting=yes; break; fi
  sleep 0.1
done
[ "$waiting" = yes ] || fail "job did not say it waits for workers"

for i in 1 2; do
  "$bin/strads-worker" --scheduler "$address" --name "e2e-$i" > "$work/worker$i.log" 2>&1 &
  pids+=($!)
done

for _ in $(seq 50); do
  [ "$("$bin/strads" workers --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] \
    && break
  sleep 0.1
done
"$bin/strads" workers | grep -q "e2e-1" || fail "strads workers does not list e2e-1"
"$bin/strads" watch "$job" > "$work/watch.txt" || fail "watch exited non-zero"
grep -q "succeeded" "$work/watch.txt" || fail "watch did not report success"
grep -q "objective" "$work/watch.txt" || fail "watch showed no progress"
"$bin/strads" result "$job" --model-out "$work/model.txt" --summary-json "$work/summary.json" \
  > /dev/null || fail "result failed"
grep -q "^# strads lasso model" "$work/model.txt" || fail "model file has no header"
python3 - "$work/summary.json" <<'PY' || fail "summary JSON lacks keys"
import json, sys
summary = json.load(open(sys.argv[1]))
for key in ["objective", "duality_gap", "rounds", "updates", "seconds", "nnz", "scheduler", "workers"]:
    assert key in summary, key
assert summary["state"] == "succeeded"
# Counts are JSON integers (17, not 17.0); measured values stay floats.
for key in ["rounds", "updates", "nnz", "gap_rounds", "converged", "workers"]:
    assert type(summary[key]) is int, (key, summary[key])
assert type(summary["objective"]) is float, summary["objective"]
PY
"$bin/strads" jobs | grep -q "$job" || fail "jobs does not list $job"
"$bin/strads" status "$job" --json | grep -q '"state": "succeeded"' || fail "status --json"

# Bad input: clear message, non-zero exit, and the scheduler keeps serving.
if "$bin/strads" submit lasso --data "$work/missing.libsvm" 2> "$work/err.txt"; then
  fail "missing file accepted"
fi
grep -q "missing.libsvm" "$work/err.txt" || fail "missing-file message does not name the file"
if "$bin/strads" submit lasso --data "$work/train.libsvm" --lambda -1 2> "$work/err.txt"; then
  fail "negative lambda accepted"
fi
grep -q "lambda" "$work/err.txt" || fail "negative-lambda message does not name lambda"
if "$bin/strads" status job-999 2> "$work/err.txt"; then fail "unknown job accepted"; fi
grep -q "job-999" "$work/err.txt" || fail "unknown-job message"

# Cancel a long job.
long=$("$bin/strads" submit lasso --data "$work/train.libsvm" --lambda 0.01 --scheduler cyclic \
  --tol 1e-15 --max-rounds 100000000)
for _ in $(seq 100); do
  "$bin/strads" status "$long" | grep -q running && break
  sleep 0.1
done
"$bin/strads" cancel "$long" > /dev/null
set +e
"$bin/strads" watch "$long" -q > /dev/null
code=$?
set -e
[ "$code" -eq 3 ] || fail "watch of a cancelled job should exit 3, got $code"

# Upload: the scheduler stores the file in its data directory and the job reads that copy.
cp "$work/train.libsvm" "$work/upload-me.libsvm"
uploaded=$("$bin/strads" submit lasso --data "$work/upload-me.libsvm" --upload --json | tail -1 \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
rm "$work/upload-me.libsvm"
"$bin/strads" watch "$uploaded" -q > /dev/null || fail "uploaded job failed"
"$bin/strads" status "$uploaded" --json | grep -q "$work/data/uploads/" \
  || fail "uploaded job does not read from the scheduler's uploads"

# MatrixMarket input (X.mmt with its labels Y.mmt, as the original STRADS release wrote them),
# uploaded together: the same data as train.libsvm gives the same solution.
python3 - "$work/train.libsvm" "$work/X.mmt" "$work/Y.mmt" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
entries = [(i + 1, int(t.split(":")[0]), t.split(":")[1]) for i, r in enumerate(rows) for t in r[1:]]
cols = max(j for _, j, _ in entries)
with open(sys.argv[2], "w") as x:
    x.write("%%MatrixMarket matrix coordinate real general\n% from train.libsvm\n")
    x.write(f"{len(rows)} {cols} {len(entries)}\n")
    for i, j, v in reversed(entries):  # any order
        x.write(f"{i} {j} {v}\n")
with open(sys.argv[3], "w") as y:
    y.write(f"%%MatrixMarket matrix array real general\n{len(rows)} 1\n")
    y.write("".join(r[0] + "\n" for r in rows))
PY
"$bin/strads" submit lasso --data "$work/X.mmt" --labels "$work/Y.mmt" --lambda 0.5 --upload \
  --watch -q --summary-json "$work/mmt.json" --model-out "$work/mmt-model.txt" > /dev/null \
  || fail "MatrixMarket job failed"
python3 - "$work/mmt.json" "$work/summary.json" "$work/data/uploads/" <<'PY' \
  || fail "MatrixMarket and LIBSVM runs differ"
import json, sys
mmt, libsvm = (json.load(open(p)) for p in sys.argv[1:3])
assert mmt["data"].startswith(sys.argv[3]) and mmt["labels"].startswith(sys.argv[3]), mmt
assert mmt["labels"].endswith("Y.mmt"), mmt["labels"]
assert abs(mmt["objective"] - libsvm["objective"]) <= 1e-9 * libsvm["objective"], (mmt, libsvm)
assert mmt["nnz"] == libsvm["nnz"], (mmt["nnz"], libsvm["nnz"])
PY
grep -q "^# labels .*Y.mmt$" "$work/mmt-model.txt" || fail "the model file does not name its labels"
if "$bin/strads" submit lasso --data "$work/X.mmt" 2> "$work/err.txt"; then
  fail "MatrixMarket data without labels accepted"
fi
grep -q "X.mmt is a MatrixMarket design matrix, which holds no labels" "$work/err.txt" \
  || fail "no-labels message: $(cat "$work/err.txt")"

# Matrix factorization against the same long-running cluster: the model is a prefix.
"$bin/strads" generate mf --users 300 --items 200 --ratings 6000 --rank 4 --seed 2 \
  --out "$work/ratings.txt" --test-out "$work/ratings-test.txt" > /dev/null
"$bin/strads" submit mf --data "$work/ratings.txt" --test "$work/ratings-test.txt" --rank 4 \
  --workers 2 --max-rounds 6 --watch --model-out "$work/mf" --summary-json "$work/mf.json" \
  > "$work/mf-watch.txt" || fail "mf job failed"
grep -q "test_rmse" "$work/mf-watch.txt" || fail "mf progress lacks test RMSE"
[ "$(grep -vc '^#' "$work/mf-W.txt")" -eq 300 ] || fail "mf-W.txt should have 300 user rows"
[ -s "$work/mf-H.txt" ] || fail "mf-H.txt missing"
python3 - "$work/mf.json" <<'PY' || fail "mf summary JSON lacks keys"
import json, sys
summary = json.load(open(sys.argv[1]))
for key in ["train_rmse", "test_rmse", "rounds", "seconds", "workers", "busy_seconds_per_worker",
            "mu", "lambda", "als_wr", "duplicates"]:
    assert key in summary, key
assert len(summary["busy_seconds_per_worker"]) == 2
assert summary["als_wr"] == 1 and summary["params"]["reg"] == "wr"
PY
# The recommender on the downloaded model: one prediction per pair, unknown ids counted.
[ -s "$work/mf-global.txt" ] || fail "mf-global.txt missing"
printf '1 1\n1 999999\nnobody 1\n' > "$work/pairs.txt"
"$bin/strads" predict mf --model "$work/mf" --pairs "$work/pairs.txt" > "$work/pred.txt" \
  2> "$work/pred-err.txt" || fail "predict mf failed"
[ "$(wc -l < "$work/pred.txt")" -eq 3 ] || fail "predict mf should print 3 lines"
grep -q "1 with a user and 1 with an item the model has not seen" "$work/pred-err.txt" \
  || fail "predict mf does not count unknown ids"
"$bin/strads" recommend --model "$work/mf" --user 1 --top 5 --exclude "$work/ratings.txt" \
  > "$work/rec.txt" || fail "recommend failed"
[ "$(wc -l < "$work/rec.txt")" -eq 5 ] || fail "recommend should list 5 items"
while read -r _ item _; do
  ! grep -q "^1	$item	" "$work/ratings.txt" || fail "recommend listed item $item that user 1 rated"
done < "$work/rec.txt"
if "$bin/strads" predict mf --model "$work/nothing" --pairs "$work/pairs.txt" 2> "$work/err.txt"; then
  fail "predict with a missing model should fail"
fi
grep -q "nothing-global.txt" "$work/err.txt" || fail "predict error should name the missing file"
# A bad pairs file (or none) leaves an existing --out file as it was.
echo keep > "$work/kept.txt"
printf '1 1\n1\n' > "$work/badpairs.txt"
for pairs in "$work/badpairs.txt" "$work/no-such-pairs.txt"; do
  if "$bin/strads" predict mf --model "$work/mf" --pairs "$pairs" --out "$work/kept.txt" \
    2> "$work/err.txt"; then
    fail "predict with bad pairs $pairs should fail"
  fi
  [ "$(cat "$work/kept.txt")" = keep ] || fail "predict with bad pairs $pairs emptied --out"
done

# The embedded local cluster.
(cd "$work" && "$bin/strads" run lasso --data train.libsvm --lambda 0.5 --workers 2 -q \
  --summary-json run.json > run.txt 2> run-err.txt) || fail "strads run failed: $(cat "$work/run-err.txt")"
grep -q '"nnz"' "$work/run.json" || fail "run summary"
[ -s "$work/lasso-model.txt" ] || fail "run wrote no model"

# Held-out rows of the same planted model (generate lasso --test-out) are predicted well by a
# model trained on the others.
"$bin/strads" generate lasso --kind onehot --samples 1500 --features 60 --test-rows 500 \
  --test-out "$work/heldout.libsvm" --seed 3 --out "$work/onehot.libsvm" > /dev/null
(cd "$work" && "$bin/strads" run lasso --data onehot.libsvm --intercept --workers 2 -q \
  --model-out onehot-model.txt > /dev/null 2> run-err.txt) ||
  fail "run lasso on onehot: $(cat "$work/run-err.txt")"
"$bin/strads" predict lasso --model "$work/onehot-model.txt" --data "$work/heldout.libsvm" \
  --out "$work/heldout-pred.txt" --json | python3 -c '
import json, sys
fit = json.loads(sys.stdin.read())
assert fit["rows"] == 500 and fit["r_squared"] > 0.5, fit' || fail "held-out prediction"

# predict lasso: the model's predictions on its training data give back the objective the job
# reported, 1/2 RSS + lambda * sum |b_j| s_j, on data that is not centred (labels + 5, every
# stored value + 1), with an intercept, and with --standardize, where the penalty is on the
# coefficients of the columns divided by their standard deviations (s_j) and the model's
# coefficients and intercept must be in the original scale.
python3 - "$work/train.libsvm" "$work/shifted.libsvm" <<'PY'
import sys
with open(sys.argv[1]) as src, open(sys.argv[2], "w") as out:
    for line in src:
        fields = line.split()
        if not fields:
            continue
        entries = [f.split(":") for f in fields[1:]]
        out.write(" ".join([repr(float(fields[0]) + 5)] +
                           [f"{i}:{float(v) + 1!r}" for i, v in entries]) + "\n")
PY
for extra in "" "--standardize"; do
  (cd "$work" && "$bin/strads" run lasso --data shifted.libsvm --intercept $extra --workers 2 -q \
    --model-out shifted-model.txt --summary-json shifted.json > /dev/null 2> run-err.txt) ||
    fail "run lasso --intercept $extra: $(cat "$work/run-err.txt")"
  "$bin/strads" predict lasso --model "$work/shifted-model.txt" --data "$work/shifted.libsvm" \
    --out "$work/shifted-pred.txt" --json > "$work/predict.json" || fail "predict lasso $extra"
  python3 - "$work/shifted.libsvm" "$work/shifted-model.txt" "$work/shifted-pred.txt" \
    "$work/shifted.json" "$work/predict.json" "$extra" <<'PY' || fail "predict lasso $extra"
import json, math, sys
data, model_path, pred_path, summary_path, predict_path, extra = sys.argv[1:]
rows = []
for line in open(data):
    fields = line.split()
    rows.append((float(fields[0]), {int(i): float(v) for i, v in (f.split(":") for f in fields[1:])}))
coef = {}
for line in open(model_path):
    if not line.startswith("#") and line.strip():
        j, b = line.split()
        coef[int(j)] = float(b)
pred = [float(p) for p in open(pred_path)]
summary = json.load(open(summary_path))
fit = json.load(open(predict_path))
n = len(rows)
assert len(pred) == n and fit["rows"] == n, (len(pred), fit)
rss = sum((y - p) ** 2 for (y, _), p in zip(rows, pred))
assert abs(math.sqrt(rss / n) - fit["rmse"]) <= 1e-9 * fit["rmse"], fit
def scale(j):
    if not extra:
        return 1.0
    values = [x.get(j, 0.0) for _, x in rows]
    mean = sum(values) / n
    return math.sqrt(sum((v - mean) ** 2 for v in values) / n)
objective = 0.5 * rss + summary["lambda"] * sum(abs(b) * scale(j) for j, b in coef.items())
assert len(coef) > 0, "an empty model proves nothing"
assert abs(objective - summary["objective"]) <= 1e-6 * summary["objective"], \
    (objective, summary["objective"], extra)
PY
done
echo "e2e: ok"
