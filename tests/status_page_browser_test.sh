#!/usr/bin/env bash
# The status page in a real browser: a scheduler and two workers as separate processes run a
# Lasso and an MF job; headless Chromium (Debian's chromium) loads http://.../ with no internet,
# runs its JavaScript (which fetches /api/v1), and the rendered page must show both jobs, their
# state and their convergence curves as SVG paths. With STRADS_SCREENSHOT=FILE.png it also
# takes the screenshot the README shows.
set -euo pipefail
bin=${1:?usage: status_page_browser_test.sh BUILD_BIN_DIR}
source "$(dirname "$0")/cluster_lib.sh"
source "$(dirname "$0")/ops_lib.sh"
fail() { echo "status page: FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }
need_package curl curl
need_package chromium chromium

"$bin/strads" generate lasso --samples 1000 --features 300 --density 0.05 --correlation 0.6 \
  --seed 5 --out "$work/train.libsvm" > /dev/null
"$bin/strads" generate mf --users 600 --items 300 --ratings 15000 --seed 2 \
  --out "$work/ratings.txt" --test-out "$work/ratings-test.txt" > /dev/null
start_scheduler "$work/scheduler.log" "$work/data" --http-listen 127.0.0.1:0
export STRADS_SERVER=$address
http=127.0.0.1:$(http_port "$work/scheduler.log")
for i in 1 2; do
  "$bin/strads-worker" --scheduler "$address" --name "worker-$i" --threads 1 > "$work/worker$i.log" 2>&1 &
  pids+=($!)
done

lasso=$("$bin/strads" submit lasso --name lasso-dynamic --data "$work/train.libsvm" \
  --scheduler dynamic --workers 2)
"$bin/strads" watch "$lasso" > /dev/null || fail "the lasso job failed"
mf=$("$bin/strads" submit mf --name mf-rank8 --data "$work/ratings.txt" --test "$work/ratings-test.txt" \
  --workers 2 --max-rounds 30)
"$bin/strads" watch "$mf" > /dev/null || fail "the mf job failed"
# A third job that is still running when the page is read.
running=$("$bin/strads" submit lasso --name still-running --data "$work/train.libsvm" \
  --scheduler dynamic --tol 1e-300 --max-rounds 100000000 --workers 2)
for _ in $(seq 100); do
  "$bin/strads" status "$running" --json | grep -q '"state": "running"' && break
  sleep 0.1
done
sleep 1.5

browse() {
  chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$work/chromium" --virtual-time-budget=5000 "$@" 2> "$work/chromium.log"
}
browse --dump-dom "http://$http/" > "$work/page.html" || fail "chromium failed: $(tail -5 "$work/chromium.log")"
python3 - "$work/page.html" "$lasso" "$mf" "$running" <<'PY' || fail "the page lacks what it must show"
import re, sys
page = open(sys.argv[1]).read()
lasso, mf, running = sys.argv[2:5]
def row(job):
    m = re.search(r'<tr id="job-%s">(.*?)</tr>' % re.escape(job), page, re.S)
    assert m, "no table row for " + job
    return m.group(1)
assert 'class="state succeeded">succeeded<' in row(lasso), row(lasso)
assert 'class="state succeeded">succeeded<' in row(mf), row(mf)
assert 'class="state running">running<' in row(running), row(running)
assert "objective" in row(lasso) and "RMSE" in row(mf)
def curves(job):
    m = re.search(r'<div class="card" id="curve-%s">(.*?)</svg></div>' % re.escape(job), page, re.S)
    assert m, "no curve card for " + job
    card = page[m.start():]
    card = card[:card.find('<div class="card"', 1) if '<div class="card"' in card[1:] else len(card)]
    return re.findall(r'<path class="curve" data-metric="([a-z_]+)"[^>]* d="(M[^"]*)"', card)
for job, wanted in [(lasso, {"objective", "duality_gap"}), (mf, {"train_rmse", "test_rmse"}),
                    (running, {"objective"})]:
    paths = curves(job)
    drawn = {metric for metric, d in paths if d.count(" L") >= 2}
    assert wanted <= drawn, (job, wanted, [(m, d[:60]) for m, d in paths])
assert "worker-1" in page and "worker-2" in page, "workers missing"
print("page ok")
PY
if [ -n "${STRADS_SCREENSHOT:-}" ]; then
  browse --hide-scrollbars --window-size=1280,900 --screenshot="$STRADS_SCREENSHOT" "http://$http/" \
    > /dev/null || fail "screenshot failed"
fi
"$bin/strads" cancel "$running" > /dev/null
echo "status page: OK"
