#!/usr/bin/python3
"""bench/lasso_vs_sklearn.py: STRADS Lasso against the best single-machine solver available here.

Runs scikit-learn's coordinate-descent Lasso (Debian's python3-sklearn) and `strads run lasso`
(dynamic schedule, 2 workers on loopback) on the same generated LIBSVM file and lambda, and prints
each one's wall time, objective 1/2||y - Xb||^2 + lambda||b||_1 and non-zeros, with the time ratio.
scikit-learn minimises 1/(2N)||y - Xb||^2 + alpha||b||_1, so alpha = lambda / N.

Usage: bench/lasso_vs_sklearn.py [--strads build/bin/strads] [--samples N --features M ...]
Not a test: it needs python3-sklearn (apt-get install python3-sklearn).
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
from scipy import sparse
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import Lasso


def objective(x, y, beta, lam):
    residual = y - x @ beta
    return 0.5 * float(residual @ residual) + lam * float(np.abs(beta).sum())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--strads", default="build/bin/strads")
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--features", type=int, default=10000)
    parser.add_argument("--density", type=float, default=0.005)
    parser.add_argument("--correlation", type=float, default=0.9)
    parser.add_argument("--lambda-ratio", type=float, default=0.1)
    parser.add_argument("--tol", type=float, default=1e-6, help="strads relative duality gap")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="strads-sklearn-")
    data = os.path.join(work, "lasso.libsvm")
    subprocess.run([args.strads, "generate", "lasso", "--samples", str(args.samples),
                    "--features", str(args.features), "--density", str(args.density),
                    "--correlation", str(args.correlation), "--seed", "1", "--out", data],
                   check=True, stdout=subprocess.DEVNULL)
    x, y = load_svmlight_file(data, n_features=args.features)
    x = sparse.csc_matrix(x)
    lam = args.lambda_ratio * float(np.max(np.abs(x.T @ y)))
    n = x.shape[0]

    start = time.perf_counter()
    model = Lasso(alpha=lam / n, fit_intercept=False, tol=1e-8, max_iter=100000,
                  selection="cyclic")
    model.fit(x, y)
    sklearn_seconds = time.perf_counter() - start
    sklearn_objective = objective(x, y, model.coef_, lam)

    summary = os.path.join(work, "summary.json")
    start = time.perf_counter()
    subprocess.run([args.strads, "run", "lasso", "--data", data, "--lambda", repr(lam),
                    "--workers", "2", "--scheduler", "dynamic", "--tol", str(args.tol), "-q",
                    "--model-out", os.path.join(work, "model.txt"), "--summary-json", summary],
                   check=True, stdout=subprocess.DEVNULL)
    strads_wall = time.perf_counter() - start
    result = json.load(open(summary))

    print(f"data: N={n} M={args.features} nnz={x.nnz} lambda={lam:.6g}")
    print(f"{'solver':<34} {'seconds':>9} {'objective':>16} {'nnz':>6}")
    print(f"{'sklearn Lasso (cyclic CD, tol 1e-8)':<34} {sklearn_seconds:9.2f} "
          f"{sklearn_objective:16.8f} {int(np.count_nonzero(model.coef_)):6d}")
    print(f"{'strads dynamic, 2 workers (job)':<34} {result['seconds']:9.2f} "
          f"{result['objective']:16.8f} {int(result['nnz']):6d}")
    print(f"{'strads, whole command':<34} {strads_wall:9.2f}")
    print(f"relative objective difference: "
          f"{(result['objective'] - sklearn_objective) / sklearn_objective:.2e}")
    print(f"time ratio strads job / sklearn: {result['seconds'] / sklearn_seconds:.2f}")


if __name__ == "__main__":
    main()
