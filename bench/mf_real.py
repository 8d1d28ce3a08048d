#!/usr/bin/python3
"""bench/mf_real.py: STRADS matrix factorization on real-like and real ratings, side by side.

For each data set (generated real-like ratings, plus every ratings file given as an argument,
e.g. a MovieLens CSV with its "userId,movieId,rating,timestamp" header), a seeded 90/10 split;
then, at each rank:
  - strads:  `strads run mf` (2 workers on loopback; ALS-WR with mu and biases) with
             `--lambda auto`, and with the default lambda; test predictions by
             `strads predict mf` on the model files it wrote;
  - numpy:   plain ALS-WR with mu and user/item biases written here (augmented-vector solves,
             penalty lambda * n_row on factors and bias alike, the same semantics), lambda picked
             from the same grid on a seeded 10% of the training set, then refitted on all of it;
  - biases:  mu + b_u + b_i alone (alternating damped means, b = sum(r - ...) / (n + lambda)),
             lambda picked the same way.
Every method predicts every test rating (an unknown user or item gets mu plus the known bias)
clipped to the training range; prints test RMSEs and ratios strads / numpy and strads / biases.

Usage: bench/mf_real.py [--strads build/bin/strads] [--ranks 5,10,20] [FILE ...]
Not a test. Needs python3-numpy.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

GRID_WR = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]  # as apps/mf/lambda_search.cc
GRID_BIAS = [0.5, 1, 2, 5, 10, 20, 50]
SPLIT = re.compile(r"::|[\t, ]+")


def read_ratings(path):
    """(user id, item id, rating) as text ids, skipping comments and a header line."""
    users, items, values = [], [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            line = line.strip()
            if not line or line[0] in "#%":
                continue
            fields = SPLIT.split(line)
            try:
                value = float(fields[2])
            except ValueError:
                if n == 0:
                    continue  # header
                raise
            users.append(fields[0])
            items.append(fields[1])
            values.append(value)
    return np.array(users), np.array(items), np.array(values)


def write_ratings(path, users, items, values):
    with open(path, "w") as f:
        for u, i, v in zip(users, items, values):
            f.write(f"{u}\t{i}\t{float(v)!r}\n")


class Indexed:
    """Dense indices of the training ids; test ids unknown to training get -1."""

    def __init__(self, train, test):
        self.user_ids, u = np.unique(train[0], return_inverse=True)
        self.item_ids, i = np.unique(train[1], return_inverse=True)
        self.u, self.i, self.r = u, i, train[2]
        umap = {k: n for n, k in enumerate(self.user_ids)}
        imap = {k: n for n, k in enumerate(self.item_ids)}
        self.tu = np.array([umap.get(k, -1) for k in test[0]])
        self.ti = np.array([imap.get(k, -1) for k in test[1]])
        self.tr = test[2]
        self.lo, self.hi = self.r.min(), self.r.max()


def predict(mu, bu, bi, w, h, tu, ti, lo, hi):
    known_u, known_i = tu >= 0, ti >= 0
    p = np.full(len(tu), mu)
    p[known_u] += bu[tu[known_u]]
    p[known_i] += bi[ti[known_i]]
    both = known_u & known_i
    if w is not None:
        p[both] += np.einsum("nk,nk->n", w[tu[both]], h[ti[both]])
    return np.clip(p, lo, hi)


def rmse(p, r):
    return float(np.sqrt(np.mean((p - r) ** 2)))


def solve_rows(rows, cols, targets, other, n_rows, lam):
    """Ridge solve of every row: x_r = (G'G + lam n_r I)^-1 G'(t), G = [other[cols], 1]."""
    k1 = other.shape[1] + 1
    out = np.zeros((n_rows, k1))
    order = np.argsort(rows, kind="stable")
    rows, cols, targets = rows[order], cols[order], targets[order]
    counts = np.bincount(rows, minlength=n_rows)
    starts = np.concatenate([[0], np.cumsum(counts)])
    chunk = max(1, 2_000_000 // (k1 * k1))  # ratings per block, to bound memory
    r0 = 0
    while r0 < n_rows:
        r1 = r0
        while r1 < n_rows and starts[r1 + 1] - starts[r0] <= chunk:
            r1 += 1
        r1 = max(r1, r0 + 1)
        a, b = starts[r0], starts[r1]
        n = counts[r0:r1]
        nonempty = np.nonzero(n)[0]
        if len(nonempty):
            g = np.hstack([other[cols[a:b]], np.ones((b - a, 1))])
            offsets = starts[r0 + nonempty] - a  # rows are sorted: one segment per row
            gram = np.add.reduceat(g[:, :, None] * g[:, None, :], offsets, axis=0)
            rhs = np.add.reduceat(g * targets[a:b, None], offsets, axis=0)
            gram += (lam * n[nonempty])[:, None, None] * np.eye(k1)[None]
            out[r0 + nonempty] = np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]
        r0 = r1
    return out


def als_wr(d, u, i, r, rank, lam, sweeps, seed):
    n_users, n_items = len(d.user_ids), len(d.item_ids)
    rng = np.random.default_rng(seed)
    mu = float(r.mean())
    h = rng.uniform(0, 1 / np.sqrt(rank), (n_items, rank))
    bi = np.zeros(n_items)
    for _ in range(sweeps):
        x = solve_rows(u, i, r - mu - bi[i], h, n_users, lam)
        w, bu = x[:, :rank], x[:, rank]
        x = solve_rows(i, u, r - mu - bu[u], w, n_items, lam)
        h, bi = x[:, :rank], x[:, rank]
    return mu, bu, bi, w, h


def biases_only(d, u, i, r, lam, sweeps=20):
    mu = float(r.mean())
    nu = np.bincount(u, minlength=len(d.user_ids))
    ni = np.bincount(i, minlength=len(d.item_ids))
    bu, bi = np.zeros(len(nu)), np.zeros(len(ni))
    for _ in range(sweeps):
        bu = np.bincount(u, r - mu - bi[i], len(nu)) / (nu + lam)
        bi = np.bincount(i, r - mu - bu[u], len(ni)) / (ni + lam)
    return mu, bu, bi


def inner_split(d, seed):
    rng = np.random.default_rng(seed + 1000)
    held = rng.random(len(d.r)) < 0.1
    return ~held, held


def pick(fit_and_score, grid):
    scores = [fit_and_score(lam) for lam in grid]
    return grid[int(np.argmin(scores))], scores


def numpy_methods(d, rank, sweeps, seed):
    fit, held = inner_split(d, seed)

    def score_wr(lam):
        m = als_wr(d, d.u[fit], d.i[fit], d.r[fit], rank, lam, sweeps, seed)
        return rmse(predict(*m, d.u[held], d.i[held], d.lo, d.hi), d.r[held])

    def score_bias(lam):
        mu, bu, bi = biases_only(d, d.u[fit], d.i[fit], d.r[fit], lam)
        return rmse(predict(mu, bu, bi, None, None, d.u[held], d.i[held], d.lo, d.hi), d.r[held])

    lam_wr, _ = pick(score_wr, GRID_WR)
    m = als_wr(d, d.u, d.i, d.r, rank, lam_wr, sweeps, seed)
    wr = rmse(predict(*m, d.tu, d.ti, d.lo, d.hi), d.tr)
    lam_b, _ = pick(score_bias, GRID_BIAS)
    mu, bu, bi = biases_only(d, d.u, d.i, d.r, lam_b)
    bias = rmse(predict(mu, bu, bi, None, None, d.tu, d.ti, d.lo, d.hi), d.tr)
    return (wr, lam_wr), (bias, lam_b)


def strads_run(strads, work, train, test, rank, lam, rounds):
    prefix = os.path.join(work, f"model-{rank}-{lam}")
    cmd = [strads, "run", "mf", "--data", train, "--test", test, "--rank", str(rank)]
    cmd += ["--lambda", str(lam)] if lam is not None else []  # None: the default
    cmd += ["--workers", "2", "--max-rounds", str(rounds), "--quiet", "--model-out",
           prefix, "--summary-json", prefix + "-summary.json"]
    start = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.time() - start
    out = prefix + "-pred.txt"
    subprocess.run([strads, "predict", "mf", "--model", prefix, "--pairs", test, "--out", out],
                   check=True, stderr=subprocess.DEVNULL)
    pred = np.loadtxt(out, usecols=2, ndmin=1)
    header = {}
    with open(prefix + "-W.txt") as f:
        for line in f:
            if line.startswith("# "):
                fields = line.split()
                header[fields[1]] = fields[2] if len(fields) > 2 else ""
    return pred, f"{float(header['lambda']):g}/{float(header['bias_lambda']):g}", seconds


def bench_dataset(name, users, items, values, args, work):
    rng = np.random.default_rng(args.seed)
    test_mask = rng.random(len(values)) < 0.1
    train = (users[~test_mask], items[~test_mask], values[~test_mask])
    test = (users[test_mask], items[test_mask], values[test_mask])
    train_path = os.path.join(work, f"{name}-train.txt")
    test_path = os.path.join(work, f"{name}-test.txt")
    write_ratings(train_path, *train)
    write_ratings(test_path, *test)
    d = Indexed(train, test)
    print(f"\n## {name}: {len(train[2])} train / {len(test[2])} test ratings, "
          f"{len(d.user_ids)} users, {len(d.item_ids)} items, "
          f"{int(np.sum((d.tu < 0) | (d.ti < 0)))} test ratings with an unseen user or item")
    print("| rank | strads auto (lambda/bias_lambda) | strads default (lambda/bias_lambda) | numpy ALS-WR+biases (lambda) | "
          "bias only (lambda) | strads/numpy | strads/bias |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for rank in args.ranks:
        pred_auto, lam_auto, _ = strads_run(args.strads, work, train_path, test_path, rank, "auto",
                                            2 * args.sweeps)
        pred_def, lam_def, _ = strads_run(args.strads, work, train_path, test_path, rank, None,
                                          2 * args.sweeps)
        ours = rmse(pred_auto, test[2])
        ours_default = rmse(pred_def, test[2])
        (wr, lam_wr), (bias, lam_b) = numpy_methods(d, rank, args.sweeps, args.seed)
        print(f"| {rank} | {ours:.4f} ({lam_auto}) | {ours_default:.4f} ({lam_def}) | {wr:.4f} ({lam_wr:g})"
              f" | {bias:.4f} ({lam_b:g}) | {ours / wr:.3f} | {ours / bias:.3f} |", flush=True)
        rows.append((rank, ours, wr, bias))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="ratings files (MovieLens CSV, 'user item rating')")
    parser.add_argument("--strads", default="build/bin/strads")
    parser.add_argument("--ranks", default="5,10,20")
    parser.add_argument("--sweeps", type=int, default=15, help="ALS sweeps (W then H)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-generated", action="store_true")
    args = parser.parse_args()
    args.ranks = [int(r) for r in args.ranks.split(",")]
    all_rows = []
    with tempfile.TemporaryDirectory(prefix="mf_real_") as work:
        if not args.no_generated:
            # Real-like: power-law users and items, mean 3.5, user and item biases, a weak rank-8
            # signal, noise, whole stars 1-5.
            path = os.path.join(work, "generated.txt")
            subprocess.run([args.strads, "generate", "mf", "--users", "6000", "--items", "3000",
                            "--ratings", "200000", "--rank", "8", "--power-law", "0.8",
                            "--mean", "3.5", "--user-bias", "0.4", "--item-bias", "0.5",
                            "--factor-scale", "0.6", "--noise", "0.8", "--stars",
                            "--test-fraction", "0", "--seed", str(args.seed), "--out", path],
                           check=True, stdout=subprocess.DEVNULL)
            all_rows += bench_dataset("generated", *read_ratings(path), args, work)
        for path in args.files:
            name = os.path.basename(path)
            all_rows += bench_dataset(name, *read_ratings(path), args, work)
    ok = all(ours <= wr * (1 + 1e-3) and ours <= bias for _, ours, wr, bias in all_rows)
    print(f"\ngoal (strads <= numpy ALS-WR+biases within 0.1%, and <= bias only, every row): "
          f"{'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
