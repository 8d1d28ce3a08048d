#include "apps/lasso/gram_lasso_solver.h"

#include <algorithm>
#include <cmath>

#include "apps/lasso/lasso_math.h"

namespace strads::lasso {
namespace {

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
    bool moved = false;
    for (int64_t j = 0; j < n; ++j) {
      const double* row = g + j * n;
      const double sqnorm = row[j];
      work += 1;
      if (!(sqnorm > 0)) continue;
      const double old_value = out.b[j];
      const double new_value = CoordinateMinimizer(c[j], old_value, sqnorm, problem.lambda);
      const double d = new_value - old_value;
      if (d == 0) continue;
      moved = true;
      out.b[j] = new_value;
      residual_sq += d * (d * sqnorm - 2 * c[j]);
      for (int64_t k = 0; k < n; ++k) c[k] -= row[k] * d;
      if (problem.intercept) residual_sum -= problem.col_sums[j] * d;
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
  }
  out.delta_b0 = b0;
  out.residual_sq = residual_sq;
  return out;
}

}  // namespace strads::lasso
