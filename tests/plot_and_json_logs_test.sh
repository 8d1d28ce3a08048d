#!/usr/bin/env bash
# End to end: `--log-format json` on strads-scheduler and strads-worker (every line parses, job
# lines carry job and round fields), and convergence pictures: `strads plot JOB`, `--plot` on
# submit --watch and run, and `strads plot --summary a.json --summary b.json` comparing schedules.
set -euo pipefail
bin=${1:?usage: plot_and_json_logs_test.sh BUILD_BIN_DIR}
source "$(dirname "$0")/cluster_lib.sh"
fail() { echo "plot/logs: FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }

"$bin/strads" generate lasso --samples 400 --features 300 --density 0.05 --correlation 0.9 \
  --seed 5 --out "$work/train.libsvm" > /dev/null

# A checkpoint at every round boundary, so the log has job lines with round fields.
start_scheduler "$work/scheduler.log" "$work/data" --log-format json --checkpoint-seconds 0
export STRADS_SERVER=$address
for i in 1 2; do
  "$bin/strads-worker" --scheduler "$address" --name "w$i" --log-format json \
    > "$work/worker$i.log" 2>&1 &
  pids+=($!)
done

"$bin/strads" submit lasso --data "$work/train.libsvm" --lambda 0.5 --workers 2 --watch -q \
  --scheduler working-set --summary-json "$work/a.json" --plot "$work/live.svg" > "$work/a.txt" \
  || fail "submit --watch --plot failed"
grep -q "plot .*live.svg" "$work/a.txt" || fail "the final report does not name the plot"
job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job_id"])' "$work/a.json")
"$bin/strads" submit lasso --data "$work/train.libsvm" --lambda 0.5 --workers 2 --watch -q \
  --scheduler dynamic --max-rounds 300 --summary-json "$work/b.json" > /dev/null || fail "second job failed"
"$bin/strads" plot "$job" --out "$work/one.svg" > "$work/plot.txt" || fail "strads plot JOB failed"
grep -q "wrote" "$work/plot.txt" || fail "strads plot said nothing"
"$bin/strads" plot --summary "$work/a.json" --summary "$work/b.json" --out "$work/both.svg" \
  --title "working-set & dynamic" > /dev/null || fail "strads plot --summary failed"
# An embedded run draws its picture too.
"$bin/strads" run lasso --data "$work/train.libsvm" --lambda 0.5 --workers 1 -q \
  --model-out "$work/run-model.txt" --summary-json "$work/run.json" --plot "$work/run.svg" \
  > /dev/null || fail "run --plot failed"

# Bad input is refused with the file named, exit 2.
echo '{"job_id": "job-9", "app": "lasso"}' > "$work/old.json"
set +e
"$bin/strads" plot --summary "$work/old.json" --out "$work/x.svg" 2> "$work/err.txt"; code=$?
set -e
[ "$code" = 2 ] || fail "a summary without history: exit $code, want 2"
grep -q "old.json.*history" "$work/err.txt" || fail "error does not name the file: $(cat "$work/err.txt")"
set +e
"$bin/strads" plot --out "$work/x.svg" 2> "$work/err.txt"; code=$?
set -e
[ "$code" = 2 ] || fail "plot with nothing to draw: exit $code, want 2"

python3 - "$work" "$job" <<'PY' || fail "pictures or summaries are wrong"
import json, sys, xml.etree.ElementTree as ET
work, job = sys.argv[1], sys.argv[2]
NS = "{http://www.w3.org/2000/svg}"

def series(path):
    root = ET.parse(path).getroot()  # well-formed XML, or this raises
    assert root.tag == NS + "svg", root.tag
    found = {}
    for group in root.iter(NS + "g"):
        label = group.get("data-label")
        if label is None:
            continue
        points = []
        for line in group.iter(NS + "polyline"):
            points += [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        if not points:  # a lone point is a dot, not a line
            points = [(float(d.get("cx")), float(d.get("cy"))) for d in group.iter(NS + "circle")]
        found.setdefault(label, []).append(points)
    texts = " ".join(t.text or "" for t in root.iter(NS + "text"))
    return found, texts

a = json.load(open(f"{work}/a.json"))
assert len(a["history"]) >= 2, a["history"]
rounds = [p["round"] for p in a["history"]]
assert rounds == sorted(rounds) and rounds[-1] == a["rounds"], (rounds, a["rounds"])
assert all("objective" in p["metrics"] for p in a["history"])

for path in ["live.svg", "one.svg", "run.svg"]:
    found, texts = series(f"{work}/{path}")
    assert len(found) == 1, (path, found.keys())
    assert "duality gap" in texts and "round" in texts and "seconds" in texts, (path, texts)
    # four panels: objective - best and duality gap, each by round and by time
    panels = next(iter(found.values()))
    assert len(panels) == 4, (path, len(panels))
    gap_by_round = panels[2]
    assert len(gap_by_round) >= 2, (path, gap_by_round)
    xs = [x for x, _ in gap_by_round]
    assert xs == sorted(xs), (path, "x not increasing", xs)
found, texts = series(f"{work}/one.svg")
assert job in next(iter(found)), found.keys()
found, texts = series(f"{work}/both.svg")
assert len(found) == 2, found.keys()
labels = sorted(found)
assert "working-set" in labels[0] and "dynamic" in labels[1], labels
assert "working-set & dynamic" in texts
print("pictures ok:", labels)
PY

# Every log line of the three processes is one JSON object with time, level and message; the
# job lines carry the job (and the round where the line has one).
python3 - "$work" "$job" <<'PY' || fail "JSON logs are wrong"
import json, sys
work, job = sys.argv[1], sys.argv[2]
lines = {}
for name in ["scheduler", "worker1", "worker2"]:
    text = open(f"{work}/{name}.log").read().splitlines()
    assert text, name + " logged nothing"
    lines[name] = [json.loads(line) for line in text]  # raises on any line that is not JSON
    for entry in lines[name]:
        assert {"time", "level", "message"} <= entry.keys(), entry
        assert entry["time"].endswith("Z") and "T" in entry["time"], entry
sched = lines["scheduler"]
job_lines = [e for e in sched if e.get("event", "").startswith("job_")]
assert job_lines and all("job" in e for e in job_lines), job_lines
assert any(e.get("job") == job and e.get("event") == "job_finished" for e in sched)
checkpoints = [e for e in sched if e.get("event") == "checkpoint" and e.get("job") == job]
assert checkpoints and all(isinstance(e["next_round"], int) for e in checkpoints), checkpoints
finished = [e for e in sched if e.get("event") == "job_finished" and e.get("job") == job][0]
assert isinstance(finished["rounds"], int) and finished["state"] == "succeeded", finished
worker_job = [e for e in lines["worker1"] + lines["worker2"] if "job" in e]
assert worker_job, "no worker line names a job"
print("json logs ok:", sum(len(v) for v in lines.values()), "lines")
PY

# A picture a person can look at: rsvg-convert renders it (when installed).
if command -v rsvg-convert > /dev/null; then
  rsvg-convert "$work/both.svg" -o "$work/both.png" || fail "rsvg-convert cannot render both.svg"
  [ -s "$work/both.png" ] || fail "empty PNG"
fi
# STRADS_KEEP_PLOTS=DIR keeps the pictures, to look at them.
if [ -n "${STRADS_KEEP_PLOTS:-}" ]; then cp "$work"/*.svg "$STRADS_KEEP_PLOTS"/; fi
echo "plot/logs: OK"
