#!/usr/bin/env bash
# A Lasso model written with --alpha reloads into scikit-learn: the same alpha (read back from the
# model file's header) fitted by sklearn's own solver gives the same coefficients, and the model
# file's intercept and coefficients put into an sklearn Lasso predict what sklearn's fit predicts.
# Needs Debian's python3-sklearn: installed here when missing and possible; otherwise skipped
# (exit 77) with the reason.
set -euo pipefail
bin=${1:?usage: lasso_sklearn_test.sh BUILD_BIN_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "lasso_sklearn: FAIL: $*" >&2; exit 1; }

if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get > /dev/null; then
    echo "lasso_sklearn: installing python3-sklearn"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3-sklearn > "$work/apt.log" 2>&1; then
      apt-get update -qq > /dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3-sklearn > "$work/apt.log" 2>&1 || true
    fi
  fi
  if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
    echo "lasso_sklearn: SKIPPED: python3-sklearn is not installed and could not be installed"
    exit 77
  fi
fi

# Non-centred binary features with an intercept: where a wrong scale or a dropped intercept shows.
"$bin/strads" generate lasso --kind binary --samples 400 --features 150 --density 0.05 --seed 3 \
  --out "$work/train.libsvm" > /dev/null
alpha=0.004
"$bin/strads" run lasso --data "$work/train.libsvm" --alpha $alpha --intercept --workers 2 \
  --tol 1e-12 -q --model-out "$work/model.txt" > /dev/null || fail "strads run lasso failed"

/usr/bin/python3 - "$work/train.libsvm" "$work/model.txt" "$alpha" <<'PY' || fail "sklearn check"
import sys
import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import Lasso

data, model_path, alpha_given = sys.argv[1], sys.argv[2], float(sys.argv[3])
x, y = load_svmlight_file(data)
header, coef = {}, np.zeros(x.shape[1])
for line in open(model_path):
    if line.startswith("# ") and len(line.split()) == 3:
        header[line.split()[1]] = line.split()[2]
    elif not line.startswith("#") and line.strip():
        index, value = line.split()
        coef[int(index) - 1] = float(value)
alpha = float(header["alpha"])
assert alpha == alpha_given, (alpha, alpha_given)
assert float(header["lambda"]) == alpha * x.shape[0], header

ours = Lasso(alpha=alpha)
ours.coef_, ours.intercept_ = coef, float(header["intercept"])
fitted = Lasso(alpha=alpha, fit_intercept=True, tol=1e-12, max_iter=1000000).fit(x, y)
coef_error = np.max(np.abs(fitted.coef_ - coef))
prediction_error = np.max(np.abs(fitted.predict(x) - ours.predict(x))) / np.max(np.abs(y))
print(f"nnz {np.count_nonzero(coef)} (sklearn {np.count_nonzero(fitted.coef_)}), "
      f"max |coef difference| {coef_error:.2e}, max prediction difference {prediction_error:.2e}")
assert np.count_nonzero(coef) > 3
assert coef_error < 1e-6, coef_error
assert prediction_error < 1e-6, prediction_error
PY
echo "lasso_sklearn: ok"
