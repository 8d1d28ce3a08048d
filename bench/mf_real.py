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
Both sides get the same split, the same rank and the same stopping rule: every ALS fit (the
held-out fits of the lambda search too) runs until its objective moved by at most --tol
(relative) since the previous round of the same half-sweep, or --max-rounds rounds (a round:
all users, or all items); the defaults are strads' own. The biases converge to a fixed point.
None looks at the test ratings to choose anything.
Every method predicts every test rating (an unknown user or item gets mu plus the known bias)
clipped to the training range; prints test RMSEs and ratios strads / numpy and strads / biases.

Usage: bench/mf_real.py [--strads build/bin/strads] [--ranks 5,10,20] [--generated 1,2]
                        [--tol 1e-5] [--max-rounds 400] [--cache DIR] [FILE ...]
Not a test. Needs python3-numpy and python3-scipy.
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
import scipy.sparse as sp  # noqa: E402

GRID_WR = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]  # as apps/mf/lambda_search.cc
GRID_BIAS = [0.5, 1, 2, 5, 10, 20, 50]
# strads' default stopping rule (apps/mf/mf_params.h kDefaultTolerance, kDefaultMaxRounds): both
# sides run until the objective settles, the search's held-out fits too.
TOLERANCE = 1e-5
MAX_ROUNDS = 400
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
    """Ridge solve of every row: x_r = (G_r'G_r + lam n_r I)^-1 G_r't_r, G_r = [other[cols], 1]
    over the row's ratings. G_r'G_r is the sum of g_c g_c' over the row's ratings: one sparse
    (rows x columns) product with every column's outer product, instead of one per rating."""
    k1 = other.shape[1] + 1
    g = np.hstack([other, np.ones((len(other), 1))])
    outer = (g[:, :, None] * g[:, None, :]).reshape(len(g), k1 * k1)
    shape = (n_rows, len(g))
    ones = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)  # duplicates add up
    gram = (ones @ outer).reshape(n_rows, k1, k1)
    rhs = sp.csr_matrix((targets, (rows, cols)), shape=shape) @ g
    counts = np.bincount(rows, minlength=n_rows)
    gram += (lam * counts)[:, None, None] * np.eye(k1)[None]
    out = np.zeros((n_rows, k1))
    rated = counts > 0
    out[rated] = np.linalg.solve(gram[rated], rhs[rated][:, :, None])[:, :, 0]
    return out


def objective(u, i, r, mu, bu, bi, w, h, lam, nu, ni):
    """Squared training error plus the ALS-WR penalty (factors and bias alike, lambda * n_row)."""
    p = mu + bu[u] + bi[i] + np.einsum("nk,nk->n", w[u], h[i])
    return float(np.sum((r - p) ** 2) + lam * (np.dot(nu, np.sum(w * w, 1) + bu * bu) +
                                                np.dot(ni, np.sum(h * h, 1) + bi * bi)))


def als_wr(d, u, i, r, rank, lam, tol, max_rounds, seed):
    """ALS-WR with biases from a seeded start, stopped by the rule strads stops by (see
    apps/mf/mf_scheduler_app.cc Pull): after each half-sweep (a round: all users, or all items),
    stop when the objective moved by at most tol (relative) since the previous round of the same
    half, or after max_rounds rounds. Returns the model and the rounds made."""
    n_users, n_items = len(d.user_ids), len(d.item_ids)
    rng = np.random.default_rng(seed)
    mu = float(r.mean())
    nu = np.bincount(u, minlength=n_users)
    ni = np.bincount(i, minlength=n_items)
    h = rng.uniform(0, 1 / np.sqrt(rank), (n_items, rank))
    bi = np.zeros(n_items)
    previous = [None, None]
    for rounds in range(1, max_rounds + 1):
        if rounds % 2:
            x = solve_rows(u, i, r - mu - bi[i], h, n_users, lam)
            w, bu = x[:, :rank], x[:, rank]
        else:
            x = solve_rows(i, u, r - mu - bu[u], w, n_items, lam)
            h, bi = x[:, :rank], x[:, rank]
        value = objective(u, i, r, mu, bu, bi, w, h, lam, nu, ni)
        last = previous[rounds % 2]
        previous[rounds % 2] = value
        if last is not None and abs(last - value) <= tol * max(abs(value), 1e-300):
            break
    return (mu, bu, bi, w, h), rounds


def biases_only(d, u, i, r, lam, tol=1e-10, max_sweeps=10000):
    """Alternating damped means, to a fixed point (every bias moved by under tol in a sweep)."""
    mu = float(r.mean())
    nu = np.bincount(u, minlength=len(d.user_ids))
    ni = np.bincount(i, minlength=len(d.item_ids))
    bu, bi = np.zeros(len(nu)), np.zeros(len(ni))
    for _ in range(max_sweeps):
        new_bu = np.bincount(u, r - mu - bi[i], len(nu)) / (nu + lam)
        new_bi = np.bincount(i, r - mu - new_bu[u], len(ni)) / (ni + lam)
        moved = max(np.max(np.abs(new_bu - bu)), np.max(np.abs(new_bi - bi)))
        bu, bi = new_bu, new_bi
        if moved < tol:
            break
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


def numpy_methods(d, rank, tol, max_rounds, seed, reference_folds=0):
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
        def fit(u, i, r, hu, hi):
            model, _ = als_wr(d, u, i, r, rank, lam, tol, max_rounds, seed)
            return predict(*model, hu, hi, d.lo, d.hi)
        return pooled(fit)

    def score_bias(lam):
        return pooled(lambda u, i, r, hu, hi: predict(*biases_only(d, u, i, r, lam), None, None,
                                                      hu, hi, d.lo, d.hi))

    lam_wr, _ = search(score_wr, GRID_WR)
    m, rounds = als_wr(d, d.u, d.i, d.r, rank, lam_wr, tol, max_rounds, seed)
    wr = rmse(predict(*m, d.tu, d.ti, d.lo, d.hi), d.tr)
    lam_b, _ = search(score_bias, GRID_BIAS)
    mu, bu, bi = biases_only(d, d.u, d.i, d.r, lam_b)
    bias = rmse(predict(mu, bu, bi, None, None, d.tu, d.ti, d.lo, d.hi), d.tr)
    return (wr, lam_wr, rounds), (bias, lam_b)


def cached_numpy_methods(d, rank, args):
    """numpy_methods, remembered in --cache DIR (the reference is the slow side of a run)."""
    if not args.cache:
        return numpy_methods(d, rank, args.tol, args.max_rounds, args.seed, args.reference_folds)
    key = hashlib.sha256()
    for part in (d.u, d.i, d.r, d.tu, d.ti, d.tr):
        key.update(np.ascontiguousarray(part).tobytes())
    # Any change to the methods (or to the selection rule's constants) invalidates the cache.
    for method in (numpy_methods, search, held_out_folds, folds_for, als_wr, objective,
                   biases_only, solve_rows, predict):
        key.update(inspect.getsource(method).encode())
    key.update(repr((GRID_WR, GRID_BIAS, HELD_OUT_FRACTION, HELD_OUT_TARGET, MAX_FOLDS,
                     REFINE_LEVELS, MAX_EXTENSIONS)).encode())
    key.update(f"{rank} {args.tol} {args.max_rounds} {args.seed} {args.reference_folds}".encode())
    path = os.path.join(args.cache, key.hexdigest()[:24] + ".json")
    if os.path.exists(path):
        with open(path) as f:
            (wr, lam_wr, rounds), (bias, lam_b) = json.load(f)
        return (wr, lam_wr, int(rounds)), (bias, lam_b)
    result = numpy_methods(d, rank, args.tol, args.max_rounds, args.seed, args.reference_folds)
    os.makedirs(args.cache, exist_ok=True)
    with open(path, "w") as f:
        json.dump([[float(x) for x in pair] for pair in result], f)
    return result


def cached_strads_run(args, work, train, test, rank, lam):
    """strads_run, remembered in --cache DIR for the same binary, data and settings."""
    if not args.cache:
        return strads_run(args, work, train, test, rank, lam)
    key = hashlib.sha256()
    for path in (args.strads, train, test):
        with open(path, "rb") as f:
            key.update(hashlib.sha256(f.read()).digest())
    key.update(f"{rank} {lam} {args.tol} {args.max_rounds} {args.seed} {args.reference_folds}"
               .encode())
    path = os.path.join(args.cache, "strads-" + key.hexdigest()[:24] + ".json")
    if os.path.exists(path):
        with open(path) as f:
            pred, lams, rounds, seconds = json.load(f)
        return np.array(pred), lams, rounds, seconds
    pred, lams, rounds, seconds = strads_run(args, work, train, test, rank, lam)
    os.makedirs(args.cache, exist_ok=True)
    with open(path, "w") as f:
        json.dump([pred.tolist(), lams, rounds, seconds], f)
    return pred, lams, rounds, seconds


def strads_run(args, work, train, test, rank, lam):
    """Returns the test predictions, "lambda/bias_lambda", the rounds made and the seconds."""
    prefix = os.path.join(work, f"model-{rank}-{lam}")
    cmd = [args.strads, "run", "mf", "--data", train, "--test", test, "--rank", str(rank)]
    cmd += ["--lambda", str(lam)] if lam is not None else []  # None: the default
    # The same stopping rule as the reference (and as strads' defaults, unless told otherwise);
    # under --lambda auto the held-out fits of the search stop by it too.
    cmd += ["--workers", "2", "--tol", repr(args.tol), "--max-rounds", str(args.max_rounds),
            "--seed", str(args.seed), "--quiet", "--model-out", prefix,
            "--lambda-folds", str(args.reference_folds),
            "--summary-json", prefix + "-summary.json"]
    start = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.time() - start
    out = prefix + "-pred.txt"
    subprocess.run([args.strads, "predict", "mf", "--model", prefix, "--pairs", test, "--out", out],
                   check=True, stderr=subprocess.DEVNULL)
    pred = np.loadtxt(out, usecols=2, ndmin=1)
    header = {}
    with open(prefix + "-W.txt") as f:
        for line in f:
            if line.startswith("# "):
                fields = line.split()
                header[fields[1]] = fields[2] if len(fields) > 2 else ""
    lams = f"{float(header['lambda']):.3g}/{float(header['bias_lambda']):.3g}"
    return pred, lams, int(header["rounds"]), seconds


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
    print("| rank | strads auto (lambda/bias_lambda, rounds) | strads default (same) | "
          "numpy ALS-WR+biases (lambda, rounds) | bias only (lambda) | strads/numpy | "
          "strads/bias |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for rank in args.ranks:
        if args.numpy_only:
            (wr, lam_wr, rounds_wr), (bias, lam_b) = cached_numpy_methods(d, rank, args)
            print(f"| {rank} | | | {wr:.4f} ({lam_wr:.3g}, {rounds_wr}) | {bias:.4f} ({lam_b:.3g}) "
                  "| | |", flush=True)
            continue
        pred_auto, lam_auto, rounds_auto, _ = cached_strads_run(args, work, train_path, test_path,
                                                                rank, "auto")
        pred_def, lam_def, rounds_def, _ = cached_strads_run(args, work, train_path, test_path,
                                                             rank, None)
        ours = rmse(pred_auto, test[2])
        ours_default = rmse(pred_def, test[2])
        if args.strads_only:
            print(f"| {rank} | {ours:.4f} ({lam_auto}, {rounds_auto}) | {ours_default:.4f} "
                  f"({lam_def}, {rounds_def}) | | | | |", flush=True)
            continue
        (wr, lam_wr, rounds_wr), (bias, lam_b) = cached_numpy_methods(d, rank, args)
        print(f"| {rank} | {ours:.4f} ({lam_auto}, {rounds_auto}) | {ours_default:.4f} "
              f"({lam_def}, {rounds_def}) | {wr:.4f} ({lam_wr:.3g}, {rounds_wr}) | {bias:.4f} "
              f"({lam_b:.3g}) | {ours / wr:.3f} | {ours / bias:.3f} |", flush=True)
        rows.append((rank, ours, wr, bias))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="ratings files (MovieLens CSV, 'user item rating')")
    parser.add_argument("--strads", default="build/bin/strads")
    parser.add_argument("--ranks", default="5,10,20")
    parser.add_argument("--tol", type=float, default=TOLERANCE,
                        help="both sides stop when the objective moved by at most this "
                        "(relative) since the previous round of the same half-sweep "
                        "(default: strads' own)")
    parser.add_argument("--max-rounds", type=int, default=MAX_ROUNDS,
                        help="or after this many rounds (half-sweeps; default: strads' own)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", help="directory remembering the numpy results between runs")
    parser.add_argument("--numpy-only", action="store_true",
                        help="run the numpy methods only (with --cache: fill it)")
    parser.add_argument("--reference-folds", type=int, default=0,
                        help="held-out slices every lambda search pools, strads' (--lambda-folds) "
                        "and the numpy and bias-only ones alike (0: strads' default, up to 3 on "
                        "small data; 1 costs a third of that)")
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
