#include "apps/lasso/gram_lasso_solver.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "Eigen/Cholesky"
#include "Eigen/Core"
#include "apps/lasso/cd_accelerations.h"
#include "apps/lasso/lasso_math.h"

namespace strads::lasso {
namespace {

// y -= a * x over n contiguous doubles: the solver's inner loop, through Eigen so that it is
// vectorised (plain pointers may alias, which keeps the compiler scalar).
inline void SubtractScaled(double* y, const double* x, double a, int64_t n) {
  Eigen::Map<Eigen::VectorXd>(y, n).noalias() -= a * Eigen::Map<const Eigen::VectorXd>(x, n);
}

// One coordinate's step. With the intercept, b_j moves with b0 along (d, -m_j d), m_j the
// column's mean: r changes by -d (x_j - m_j 1), which leaves 1'r as it is, and the step is exact
// coordinate descent on the centred column. Moving b_j alone and re-fitting b0 after the sweep
// would divide the gradient by ||x_j||^2 instead of ||x_j - m_j 1||^2: on a column far from zero
// with a small spread (1000 +- 0.01) that is 1e10 times too small a step, and the sweeps crawl.
// A constant column (centred norm at rounding level) keeps the plain step.
struct CoordinateStep {
  double sqnorm;
  double gradient;
  double intercept_per_unit = 0;  // b0's move per unit of d
};
inline CoordinateStep CentredStep(bool intercept, double rows, double sqnorm, double gradient,
                                  double col_sum, double residual_sum) {
  if (!intercept || rows <= 0 || col_sum == 0) return {sqnorm, gradient};
  const double mean = col_sum / rows;
  const double centred = sqnorm - col_sum * mean;
  if (!(centred > 1e-12 * sqnorm)) return {sqnorm, gradient};
  return {centred, gradient - mean * residual_sum, -mean};
}

// The restricted duality gap from the current gradient c = X_W'r', ||r'||^2 and b (1'r' = 0).
double RestrictedGap(std::span<const double> c, std::span<const double> b, double residual_sq,
                     double lambda, double* primal) {
  double c_max = 0;
  double cb = 0;
  double l1 = 0;
  for (size_t j = 0; j < c.size(); ++j) {
    c_max = std::max(c_max, std::abs(c[j]));
    cb += c[j] * b[j];
    l1 += std::abs(b[j]);
  }
  const double s = std::max(1.0, c_max / lambda);
  *primal = 0.5 * residual_sq + lambda * l1;
  const double dual = (residual_sq + cb) / s - residual_sq / (2 * s * s);
  return std::max(0.0, *primal - dual);
}

// Between full sweeps, sweeps over the non-zero coordinates A only (glmnet's active-set
// iterations) on a compact copy of their Gram block, so a move costs O(|A|) contiguous
// multiply-adds instead of O(|W|); the other gradients of W are brought up to date once at the
// end, O(|W| |A|). Stops when a sweep's predicted gain, sum of 1/2 ||x_j||^2 d_j^2, falls under a
// tenth of the gap target, or when `budget` multiply-adds are spent. Returns the work done.
struct ActiveScratch {
  std::vector<int64_t> index;  // A, as positions in W
  std::vector<double> gram;    // G_AA, |A| x |A| row-major
  std::vector<double> c;       // c_A
  std::vector<double> change;  // b_A - b_A at the start
  std::vector<double> col_sums;
  std::vector<double> history;  // the last kAndersonDepth + 1 iterates of b_A, column by column
  std::vector<double> step;     // scratch: an extrapolation's change and G_AA times it
  std::vector<double> gram_step;
};

// Anderson acceleration of the active-set sweeps (Bertrand and Massias, 2021): every
// kAndersonDepth + 1 sweeps, the combination of the last iterates that best cancels their
// differences is tried, and kept only when it lowers the objective (checked exactly from the Gram),
// so it can only help. On ill-conditioned blocks (near-collinear columns) it saves most sweeps.
// The largest active block solved outright (an LDLT of 3000 x 3000 is about 9e9 flops, a few
// seconds; beyond that the sweeps go on alone).
constexpr int64_t kMaxNewtonSize = 3000;

// Tries the extrapolated point; on success moves b_A (and c_A, ||r||^2, 1'r) there and returns
// true. The work is O(|A|^2).
bool TryExtrapolation(const GramLassoProblem& problem, ActiveScratch* scratch,
                      std::vector<double>* b, double* residual_sq, double* residual_sum) {
  const int64_t a = static_cast<int64_t>(scratch->index.size());
  scratch->step.resize(a);
  scratch->gram_step.resize(a);
  Eigen::Map<Eigen::VectorXd> step(scratch->step.data(), a);
  if (!AndersonPoint(scratch->history, a, scratch->step)) return false;  // the point...
  double l1_now = 0;
  double l1_new = 0;
  for (int64_t i = 0; i < a; ++i) {
    const double now = (*b)[scratch->index[i]];
    l1_now += std::abs(now);
    l1_new += std::abs(step[i]);
    step[i] -= now;  // ...as a change from the current one
  }
  Eigen::Map<Eigen::VectorXd> gram_step(scratch->gram_step.data(), a);
  gram_step.noalias() =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          scratch->gram.data(), a, a) *
      step;
  const Eigen::Map<const Eigen::VectorXd> c(scratch->c.data(), a);
  double new_sq = *residual_sq - 2 * step.dot(c) + step.dot(gram_step);
  double new_sum = *residual_sum;
  double after_intercept = new_sq;
  if (problem.intercept && problem.rows > 0) {
    new_sum -= Eigen::Map<const Eigen::VectorXd>(scratch->col_sums.data(), a).dot(step);
    after_intercept -= new_sum * new_sum / problem.rows;
  }
  const double now = 0.5 * *residual_sq + problem.lambda * l1_now;
  const double extrapolated = 0.5 * after_intercept + problem.lambda * l1_new;
  if (!(extrapolated < now)) return false;
  for (int64_t i = 0; i < a; ++i) {
    (*b)[scratch->index[i]] += step[i];
    scratch->change[i] += step[i];
  }
  Eigen::Map<Eigen::VectorXd>(scratch->c.data(), a) -= gram_step;
  *residual_sq = std::max(new_sq, 0.0);
  *residual_sum = new_sum;
  return true;
}

// Once the active set and its signs have settled, the restricted problem is a linear system:
// with s = sign(b_A), the optimum of 1/2||r - X_A d - 1 d0||^2 + lambda s'(b_A + d) solves
// G_AA d + cs d0 = c_A - lambda s and cs'd + N d0 = 1'r. Coordinate descent needs thousands of
// sweeps for it when X_A is ill-conditioned (nearly as many non-zeros as samples, near copies);
// one LDLT solve, O(|A|^3 / 3), gets there. The step is cut where the first coordinate would cross
// zero (along the segment F is a convex quadratic with its minimum at the full step, so any cut
// still lowers F), and kept only when F is lower, checked exactly from the Gram. Returns whether
// it moved.
bool TrySignedNewtonStep(const GramLassoProblem& problem, ActiveScratch* scratch,
                         std::vector<double>* b, double* residual_sq, double* residual_sum,
                         double* b0) {
  const int64_t a = static_cast<int64_t>(scratch->index.size());
  // The coordinates of A that are non-zero now (the others stay at zero in this step).
  std::vector<int64_t> live;
  for (int64_t i = 0; i < a; ++i) {
    if ((*b)[scratch->index[i]] != 0) live.push_back(i);
  }
  const int64_t l = static_cast<int64_t>(live.size());
  if (l == 0) return false;
  const int64_t size = l + (problem.intercept ? 1 : 0);
  Eigen::MatrixXd system(size, size);
  Eigen::VectorXd rhs(size);
  Eigen::VectorXd sign(l);
  for (int64_t u = 0; u < l; ++u) {
    const int64_t i = live[u];
    sign[u] = (*b)[scratch->index[i]] > 0 ? 1.0 : -1.0;
    for (int64_t v = 0; v < l; ++v) system(u, v) = scratch->gram[i * a + live[v]];
    rhs[u] = scratch->c[i] - problem.lambda * sign[u];
  }
  if (problem.intercept) {
    for (int64_t u = 0; u < l; ++u) {
      system(u, l) = scratch->col_sums[live[u]];
      system(l, u) = scratch->col_sums[live[u]];
    }
    system(l, l) = problem.rows;
    rhs[l] = *residual_sum;
  }
  // A tiny ridge keeps exact copies (a singular G_AA) solvable; F is checked anyway.
  system.diagonal().array() += 1e-12 * system.diagonal().mean();
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(system);
  if (ldlt.info() != Eigen::Success) return false;
  Eigen::VectorXd step = ldlt.solve(rhs);
  if (!step.allFinite()) return false;
  Eigen::VectorXd current(l);
  for (int64_t u = 0; u < l; ++u) current[u] = (*b)[scratch->index[live[u]]];
  const auto [fraction, stop_at] = CutAtFirstSignChange(current, step, sign);
  step *= fraction;
  // The change over all of A (zero off `live`), exactly zeroing the coordinate the cut stops at.
  Eigen::VectorXd d = Eigen::VectorXd::Zero(a);
  for (int64_t u = 0; u < l; ++u) {
    const int64_t i = live[u];
    d[i] = u == stop_at ? -(*b)[scratch->index[i]] : step[u];
  }
  const double d0 = problem.intercept ? step[l] : 0.0;
  Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> gram(
      scratch->gram.data(), a, a);
  const Eigen::VectorXd gd = gram * d;
  Eigen::Map<Eigen::VectorXd> c(scratch->c.data(), a);
  double new_sq = *residual_sq - 2 * d.dot(c) + d.dot(gd);
  double new_sum = *residual_sum;
  if (problem.intercept) {
    const Eigen::Map<const Eigen::VectorXd> cs(scratch->col_sums.data(), a);
    const double cs_d = cs.dot(d);
    new_sq += -2 * d0 * *residual_sum + 2 * d0 * cs_d + problem.rows * d0 * d0;
    new_sum -= cs_d + problem.rows * d0;
  }
  double l1_now = 0;
  double l1_new = 0;
  for (int64_t i = 0; i < a; ++i) {
    const double value = (*b)[scratch->index[i]];
    l1_now += std::abs(value);
    l1_new += std::abs(value + d[i]);
  }
  if (!(0.5 * new_sq + problem.lambda * l1_new < 0.5 * *residual_sq + problem.lambda * l1_now)) {
    return false;
  }
  for (int64_t i = 0; i < a; ++i) {
    (*b)[scratch->index[i]] += d[i];
    scratch->change[i] += d[i];
  }
  c -= gd;
  if (problem.intercept) c -= d0 * Eigen::Map<const Eigen::VectorXd>(scratch->col_sums.data(), a);
  *residual_sq = std::max(new_sq, 0.0);
  *residual_sum = new_sum;
  *b0 += d0;
  return true;
}

int64_t ActiveSetSweeps(const GramLassoProblem& problem, GramLassoSolution* out,
                        std::vector<double>* c_out, double* residual_sq, double* residual_sum,
                        double* b0, ActiveScratch* scratch, int64_t budget) {
  const int64_t n = problem.size;
  const double* g = problem.gram.data();
  std::vector<double>& c = *c_out;
  std::vector<double>& b = out->b;
  std::vector<int64_t>& index = scratch->index;
  index.clear();
  for (int64_t j = 0; j < n; ++j) {
    if (b[j] != 0) index.push_back(j);
  }
  const int64_t a = static_cast<int64_t>(index.size());
  if (a == 0 || a == n) return 0;  // worth it only when A is a real subset of W
  scratch->gram.resize(a * a);
  scratch->c.resize(a);
  scratch->change.assign(a, 0.0);
  scratch->col_sums.resize(problem.intercept ? a : 0);
  for (int64_t i = 0; i < a; ++i) {
    const double* row = g + index[i] * n;
    for (int64_t t = 0; t < a; ++t) scratch->gram[i * a + t] = row[index[t]];
    scratch->c[i] = c[index[i]];
    if (problem.intercept) scratch->col_sums[i] = problem.col_sums[index[i]];
  }
  double* ca = scratch->c.data();
  const double b0_start = *b0;
  int64_t work = a * a;
  scratch->history.resize((kAndersonDepth + 1) * a);
  int stored = 0;
  for (int sweep = 0; sweep < 1000 && work < budget; ++sweep) {
    double gain = 0;
    for (int64_t i = 0; i < a; ++i) {
      const int64_t j = index[i];
      const double* row = scratch->gram.data() + i * a;
      const CoordinateStep step =
          CentredStep(problem.intercept, problem.rows, row[i], ca[i],
                      problem.intercept ? scratch->col_sums[i] : 0.0, *residual_sum);
      const double old_value = b[j];
      const double new_value =
          CoordinateMinimizer(step.gradient, old_value, step.sqnorm, problem.lambda);
      const double d = new_value - old_value;
      work += 1;
      if (d == 0) continue;
      b[j] = new_value;
      scratch->change[i] += d;
      *residual_sq += d * (d * step.sqnorm - 2 * step.gradient);
      SubtractScaled(ca, row, d, a);
      if (step.intercept_per_unit != 0) {
        SubtractScaled(ca, scratch->col_sums.data(), step.intercept_per_unit * d, a);
        *b0 += step.intercept_per_unit * d;
        work += a;
      } else if (problem.intercept) {
        *residual_sum -= scratch->col_sums[i] * d;
      }
      gain += 0.5 * step.sqnorm * d * d;
      work += a;
      ++out->updates;
    }
    auto intercept_step = [&] {
      if (!problem.intercept || problem.rows <= 0 || *residual_sum == 0) return;
      const double d0 = *residual_sum / problem.rows;
      SubtractScaled(ca, scratch->col_sums.data(), d0, a);
      *residual_sq -= *residual_sum * d0;
      *residual_sum = 0;
      *b0 += d0;
    };
    intercept_step();
    ++out->sweeps;
    if (gain <= 0.1 * problem.gap_target) break;
    // Sweeps that go on this long mean an ill-conditioned block: try solving it outright. Only
    // then: tried early (after 10 sweeps) it was measured to cost rounds on well-conditioned
    // data (19 -> 27 on a 3000 x 20000 correlated problem), where the sweeps finish anyway.
    if ((sweep == 160 || sweep == 640) && a <= kMaxNewtonSize) {
      work += a * a * a / 3 + 2 * a * a;
      if (TrySignedNewtonStep(problem, scratch, &b, residual_sq, residual_sum, b0)) {
        intercept_step();
        ++out->newton_steps;
        stored = 0;
        continue;
      }
    }
    double* slot = scratch->history.data() + stored * a;
    for (int64_t i = 0; i < a; ++i) slot[i] = b[index[i]];
    if (++stored == kAndersonDepth + 1) {
      stored = 0;
      work += 2 * a * a;
      if (TryExtrapolation(problem, scratch, &b, residual_sq, residual_sum)) {
        intercept_step();
        ++out->extrapolations;
      }
    }
  }
  // Every gradient of W: c_k -= sum_{j in A} G_kj (b_j - start_j) + 1'x_k d0 (exact for A too,
  // where it replaces the running values).
  // G is symmetric, so this is a sum of A's rows of G: contiguous, vectorised.
  const double d0 = *b0 - b0_start;
  if (problem.intercept && d0 != 0) SubtractScaled(c.data(), problem.col_sums.data(), d0, n);
  for (int64_t i = 0; i < a; ++i) {
    if (scratch->change[i] != 0) SubtractScaled(c.data(), g + index[i] * n, scratch->change[i], n);
  }
  return work + n * a;
}

}  // namespace

GramLassoSolution SolveGramLasso(const GramLassoProblem& problem) {
  const int64_t n = problem.size;
  const double* g = problem.gram.data();
  GramLassoSolution out;
  out.b.assign(problem.start.begin(), problem.start.end());
  std::vector<double> c(problem.xtr.begin(), problem.xtr.end());
  double residual_sq = problem.residual_sq;
  double residual_sum = problem.residual_sum;
  double b0 = 0;  // the intercept's change so far

  // The exact intercept step: b0 += 1'r / N, after which 1'r = 0.
  auto intercept_step = [&] {
    if (!problem.intercept || problem.rows <= 0 || residual_sum == 0) return;
    const double d0 = residual_sum / problem.rows;
    for (int64_t j = 0; j < n; ++j) c[j] -= problem.col_sums[j] * d0;
    residual_sq -= residual_sum * d0;
    residual_sum = 0;
    b0 += d0;
  };
  // c, ||r'||^2 and 1'r' recomputed from the total change, so drift in the running updates never
  // decides convergence: O(n^2).
  std::vector<double> delta(n);
  auto recompute = [&] {
    for (int64_t j = 0; j < n; ++j) delta[j] = out.b[j] - problem.start[j];
    double quad = 0;
    double lin = 0;
    double cs_delta = 0;
    for (int64_t i = 0; i < n; ++i) {
      double gd = 0;
      const double* row = g + i * n;
      for (int64_t j = 0; j < n; ++j) gd += row[j] * delta[j];
      c[i] = problem.xtr[i] - gd;
      quad += delta[i] * gd;
      lin += delta[i] * problem.xtr[i];
      if (problem.intercept) {
        c[i] -= problem.col_sums[i] * b0;
        cs_delta += problem.col_sums[i] * delta[i];
      }
    }
    // ||r - X d - 1 d0||^2 = ||r||^2 - 2 d'c0 - 2 d0 1'r + d'Gd + 2 d0 cs'd + N d0^2.
    residual_sq = problem.residual_sq - 2 * lin + quad;
    residual_sum = problem.residual_sum;
    if (problem.intercept) {
      residual_sq += -2 * b0 * problem.residual_sum + 2 * b0 * cs_delta + problem.rows * b0 * b0;
      residual_sum = problem.residual_sum - cs_delta - problem.rows * b0;
    }
    residual_sq = std::max(residual_sq, 0.0);
  };

  intercept_step();
  int64_t work = 0;
  ActiveScratch active;
  while (true) {
    double primal = 0;
    double gap = RestrictedGap(c, out.b, residual_sq, problem.lambda, &primal);
    if (gap <= problem.gap_target || work >= problem.max_work) {
      // Confirmed on exact quantities before stopping.
      recompute();
      intercept_step();
      gap = RestrictedGap(c, out.b, residual_sq, problem.lambda, &primal);
      if (gap <= problem.gap_target || work >= problem.max_work) {
        out.gap = gap;
        out.primal = primal;
        break;
      }
    }
    // A full sweep over W keeps every gradient current: O(|W|) per coordinate that moves.
    bool moved = false;
    for (int64_t j = 0; j < n; ++j) {
      const double* row = g + j * n;
      work += 1;
      if (!(row[j] > 0)) continue;
      const CoordinateStep step =
          CentredStep(problem.intercept, problem.rows, row[j], c[j],
                      problem.intercept ? problem.col_sums[j] : 0.0, residual_sum);
      const double old_value = out.b[j];
      const double new_value =
          CoordinateMinimizer(step.gradient, old_value, step.sqnorm, problem.lambda);
      const double d = new_value - old_value;
      if (d == 0) continue;
      moved = true;
      out.b[j] = new_value;
      residual_sq += d * (d * step.sqnorm - 2 * step.gradient);
      SubtractScaled(c.data(), row, d, n);
      if (step.intercept_per_unit != 0) {
        SubtractScaled(c.data(), problem.col_sums.data(), step.intercept_per_unit * d, n);
        b0 += step.intercept_per_unit * d;
        work += n;
      } else if (problem.intercept) {
        residual_sum -= problem.col_sums[j] * d;
      }
      work += n;
      ++out.updates;
    }
    intercept_step();
    ++out.sweeps;
    if (!moved) {
      // A sweep that moved nothing is a fixed point: the gap is as small as rounding allows.
      recompute();
      intercept_step();
      out.gap = RestrictedGap(c, out.b, residual_sq, problem.lambda, &out.primal);
      break;
    }
    work += ActiveSetSweeps(problem, &out, &c, &residual_sq, &residual_sum, &b0, &active,
                            problem.max_work - work);
  }
  out.delta_b0 = b0;
  out.residual_sq = residual_sq;
  return out;
}

}  // namespace strads::lasso
