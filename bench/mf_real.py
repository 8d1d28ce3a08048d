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
             by the rule strads uses (see `search` below: pooled held-out slices of the training
             set, the same grid, walk, refinement), then refitted on all of it;
  - biases:  mu + b_u + b_i alone (alternating damped means, b = sum(r - ...) / (n + lambda)),
             lambda picked the same way.
Both sides get the same split, the same rank and the same number of ALS sweeps (strads: 2 rounds
a sweep, run to the last round). None looks at the test ratings to choose anything.
Every method predicts every test rating (an unknown user or item gets mu plus the known bias)
clipped to the training range; prints test RMSEs and ratios strads / numpy and strads / biases.

Usage: bench/mf_real.py [--strads build/bin/strads] [--ranks 5,10,20] [--generated 1,2] [FILE ...]
Not a test. Needs python3-numpy.
"""
import argparse
import hashlib
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import time

# One BLAS thread: the solves are many small systems, and extra threads only contend.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

GRID_WR = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]  # as apps/mf/lambda_search.cc
GRID_BIAS = [0.5, 1, 2, 5, 10, 20, 50]
GENERATED = {
    1: ["--users", "6000", "--items", "3000", "--ratings", "200000", "--rank", "8",
        "--power-law", "0.8", "--mean", "3.5", "--user-bias", "0.4", "--item-bias", "0.5",
        "--factor-scale", "0.6", "--noise", "0.8", "--seed", "1"],
    2: ["--users", "2500", "--items", "8000", "--ratings", "120000", "--rank", "5",
        "--power-law", "1.0", "--mean", "3.6", "--user-bias", "0.5", "--item-bias", "0.4",
        "--factor-scale", "0.8", "--noise", "0.9", "--seed", "7"],
}
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


# The selection rule of `strads run mf --lambda auto` (apps/mf/lambda_search.h), applied here to
# the reference's penalties, so that both sides choose the same way: disjoint 10% slices of the
# training set held out in turn (as many as reach HELD_OUT_TARGET ratings, at most MAX_FOLDS),
# errors pooled; the grid, then a walk to neighbouring points (up to MAX_EXTENSIONS steps past
# either end) while that helps, then REFINE_LEVELS geometric midpoints.
HELD_OUT_FRACTION = 0.1
HELD_OUT_TARGET = 50000
MAX_FOLDS = 3
REFINE_LEVELS = 2
MAX_EXTENSIONS = 3


def folds_for(ratings):
    per_fold = max(1.0, HELD_OUT_FRACTION * ratings)
    wanted = int(np.ceil(HELD_OUT_TARGET / per_fold))
    return max(1, min(wanted, MAX_FOLDS, int(1 / HELD_OUT_FRACTION)))


def held_out_folds(d, seed, folds):
    """folds: how many slices (0: as strads, folds_for)."""
    draw = np.random.default_rng(seed + 1000).random(len(d.r))
    return [(draw >= f * HELD_OUT_FRACTION) & (draw < (f + 1) * HELD_OUT_FRACTION)
            for f in range(folds or folds_for(len(d.r)))]


def search(score, grid):
    """The lambda of lowest score by the rule above; returns (lambda, number of fits)."""
    points = sorted(set(grid))
    scores = {}

    def at(lam):
        if lam not in scores:
            scores[lam] = score(lam)
            if lam not in points:
                points.append(lam)
                points.sort()
        return scores[lam]

    best = min(grid, key=lambda lam: (at(lam), grid.index(lam)))
    extended = [0, 0]
    for _ in range(8):
        n = points.index(best)
        candidates = []
        if n > 0:
            candidates.append(points[n - 1])
        elif best > 0 and extended[0] < MAX_EXTENSIONS:
            extended[0] += 1
            candidates.append(best * best / points[n + 1])
        if n + 1 < len(points):
            candidates.append(points[n + 1])
        elif points[n - 1] > 0 and extended[1] < MAX_EXTENSIONS:
            extended[1] += 1
            candidates.append(best * best / points[n - 1])
        moved = False
        for lam in candidates:
            if at(lam) < at(best):
                best, moved = lam, True
        if not moved:
            break
    for _ in range(REFINE_LEVELS):
        n = points.index(best)
        neighbours = points[max(0, n - 1):n] + points[n + 1:n + 2]
        for lam in [np.sqrt(best * o) if best > 0 and o > 0 else (best + o) / 2
                    for o in neighbours]:
            if at(lam) < at(best):
                best = lam
    return best, len(scores)


def numpy_methods(d, rank, sweeps, seed, reference_folds=0):
    folds = held_out_folds(d, seed, reference_folds)

    def pooled(fit_fold):
        squared, count = 0.0, 0
        for held in folds:
            fit = ~held
            p = fit_fold(d.u[fit], d.i[fit], d.r[fit], d.u[held], d.i[held])
            squared += float(np.sum((p - d.r[held]) ** 2))
            count += int(held.sum())
        return np.sqrt(squared / count)

    def score_wr(lam):
        return pooled(lambda u, i, r, hu, hi: predict(*als_wr(d, u, i, r, rank, lam, sweeps, seed),
                                                      hu, hi, d.lo, d.hi))

    def score_bias(lam):
        return pooled(lambda u, i, r, hu, hi: predict(*biases_only(d, u, i, r, lam), None, None,
                                                      hu, hi, d.lo, d.hi))

    lam_wr, _ = search(score_wr, GRID_WR)
    m = als_wr(d, d.u, d.i, d.r, rank, lam_wr, sweeps, seed)
    wr = rmse(predict(*m, d.tu, d.ti, d.lo, d.hi), d.tr)
    lam_b, _ = search(score_bias, GRID_BIAS)
    mu, bu, bi = biases_only(d, d.u, d.i, d.r, lam_b)
    bias = rmse(predict(mu, bu, bi, None, None, d.tu, d.ti, d.lo, d.hi), d.tr)
    return (wr, lam_wr), (bias, lam_b)


def cached_numpy_methods(d, rank, args):
    """numpy_methods, remembered in --cache DIR (the reference is the slow side of a run)."""
    if not args.cache:
        return numpy_methods(d, rank, args.sweeps, args.seed, args.reference_folds)
    key = hashlib.sha256()
    for part in (d.u, d.i, d.r, d.tu, d.ti, d.tr):
        key.update(np.ascontiguousarray(part).tobytes())
    # Any change to the methods (or to the selection rule's constants) invalidates the cache.
    for method in (numpy_methods, search, held_out_folds, folds_for, als_wr, biases_only,
                   solve_rows, predict):
        key.update(inspect.getsource(method).encode())
    key.update(repr((GRID_WR, GRID_BIAS, HELD_OUT_FRACTION, HELD_OUT_TARGET, MAX_FOLDS,
                     REFINE_LEVELS, MAX_EXTENSIONS)).encode())
    key.update(f"{rank} {args.sweeps} {args.seed} {args.reference_folds}".encode())
    path = os.path.join(args.cache, key.hexdigest()[:24] + ".json")
    if os.path.exists(path):
        with open(path) as f:
            (wr, lam_wr), (bias, lam_b) = json.load(f)
        return (wr, lam_wr), (bias, lam_b)
    result = numpy_methods(d, rank, args.sweeps, args.seed, args.reference_folds)
    os.makedirs(args.cache, exist_ok=True)
    with open(path, "w") as f:
        json.dump([[float(x) for x in pair] for pair in result], f)
    return result


def cached_strads_run(args, work, train, test, rank, lam, rounds):
    """strads_run, remembered in --cache DIR for the same binary, data and settings."""
    if not args.cache:
        return strads_run(args.strads, work, train, test, rank, lam, rounds)
    key = hashlib.sha256()
    for path in (args.strads, train, test):
        with open(path, "rb") as f:
            key.update(hashlib.sha256(f.read()).digest())
    key.update(f"{rank} {lam} {rounds}".encode())
    path = os.path.join(args.cache, "strads-" + key.hexdigest()[:24] + ".json")
    if os.path.exists(path):
        with open(path) as f:
            pred, lams, seconds = json.load(f)
        return np.array(pred), lams, seconds
    pred, lams, seconds = strads_run(args.strads, work, train, test, rank, lam, rounds)
    os.makedirs(args.cache, exist_ok=True)
    with open(path, "w") as f:
        json.dump([pred.tolist(), lams, seconds], f)
    return pred, lams, seconds


def strads_run(strads, work, train, test, rank, lam, rounds):
    prefix = os.path.join(work, f"model-{rank}-{lam}")
    cmd = [strads, "run", "mf", "--data", train, "--test", test, "--rank", str(rank)]
    cmd += ["--lambda", str(lam)] if lam is not None else []  # None: the default
    # --tol far below the default: every run makes all `rounds` rounds, as the reference makes
    # all its sweeps (the default 1e-4 stops some runs a few rounds early).
    cmd += ["--workers", "2", "--max-rounds", str(rounds), "--tol", "1e-12", "--quiet",
            "--model-out", prefix, "--summary-json", prefix + "-summary.json"]
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
        if args.numpy_only:
            (wr, lam_wr), (bias, lam_b) = cached_numpy_methods(d, rank, args)
            print(f"| {rank} | | | {wr:.4f} ({lam_wr:g}) | {bias:.4f} ({lam_b:g}) | | |",
                  flush=True)
            continue
        pred_auto, lam_auto, _ = cached_strads_run(args, work, train_path, test_path, rank, "auto",
                                                   2 * args.sweeps)
        pred_def, lam_def, _ = cached_strads_run(args, work, train_path, test_path, rank, None,
                                                 2 * args.sweeps)
        ours = rmse(pred_auto, test[2])
        ours_default = rmse(pred_def, test[2])
        if args.strads_only:
            print(f"| {rank} | {ours:.4f} ({lam_auto}) | {ours_default:.4f} ({lam_def}) | | | | |",
                  flush=True)
            continue
        (wr, lam_wr), (bias, lam_b) = cached_numpy_methods(d, rank, args)
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
    parser.add_argument("--cache", help="directory remembering the numpy results between runs")
    parser.add_argument("--numpy-only", action="store_true",
                        help="run the numpy methods only (with --cache: fill it)")
    parser.add_argument("--reference-folds", type=int, default=0,
                        help="held-out slices the numpy and bias-only selections pool (0: as "
                        "strads does; 1 costs a third of that on small data)")
    parser.add_argument("--strads-only", action="store_true",
                        help="run strads only (with --cache: fill it)")
    parser.add_argument("--generated", default="1,2",
                        help="generated sets to include (1, 2; empty for none)")
    args = parser.parse_args()
    args.ranks = [int(r) for r in args.ranks.split(",")]
    args.generated = [int(n) for n in args.generated.split(",") if n]
    all_rows = []
    with tempfile.TemporaryDirectory(prefix="mf_real_") as work:
        for n in args.generated:
            # Real-like: power-law users and items, mean 3.5, user and item biases, a weak
            # low-rank signal, noise, whole stars 1-5. Set 2 has another seed and shape (more
            # items than users, a steeper power law, rank 5).
            shape = GENERATED[n]
            path = os.path.join(work, f"generated{n}.txt")
            subprocess.run([args.strads, "generate", "mf"] + shape +
                           ["--stars", "--test-fraction", "0", "--out", path],
                           check=True, stdout=subprocess.DEVNULL)
            all_rows += bench_dataset(f"generated{n}", *read_ratings(path), args, work)
        for path in args.files:
            name = os.path.basename(path)
            all_rows += bench_dataset(name, *read_ratings(path), args, work)
    if args.numpy_only or args.strads_only:
        return 0
    ok = all(ours <= wr * (1 + 1e-3) and ours <= bias for _, ours, wr, bias in all_rows)
    print(f"\ngoal (strads <= numpy ALS-WR+biases within 0.1%, and <= bias only, every row): "
          f"{'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
