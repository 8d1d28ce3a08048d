#include "apps/lasso/reference_solver.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "apps/lasso/lasso_math.h"

namespace strads::lasso {

absl::StatusOr<ReferenceSolution> SolveLassoReference(const core::LabeledData& data,
                                                      const ReferenceSolverOptions& options) {
  const core::CscMatrix& x = data.x;
  if (static_cast<int64_t>(data.y.size()) != x.rows) {
    return absl::InvalidArgumentError(
        absl::StrCat("labels: ", data.y.size(), " but the matrix has ", x.rows, " rows"));
  }
  if (!(options.lambda >= 0) || !std::isfinite(options.lambda)) {
    return absl::InvalidArgumentError(absl::StrCat("lambda must be >= 0, got ", options.lambda));
  }
  const std::vector<double> sqnorm = core::ColumnSquaredNorms(x);
  ReferenceSolution solution;
  solution.beta.assign(x.cols, 0.0);
  std::vector<double>& b = solution.beta;
  std::vector<double> r = data.y;
  std::vector<double> xtr(x.cols);
  const std::vector<double> col_sums =
      options.intercept ? ColumnSums(x) : std::vector<double>(x.cols, 0.0);
  const double rows = static_cast<double>(x.rows);
  double& b0 = solution.intercept;
  if (options.intercept && x.rows > 0) {
    double y_sum = 0;
    for (double v : data.y) y_sum += v;
    b0 = y_sum / rows;
  }

  auto check_gap = [&]() {
    // Exact residual, then the certificate.
    r = data.y;
    for (double& v : r) v -= b0;
    for (int64_t j = 0; j < x.cols; ++j) {
      if (b[j] == 0) continue;
      for (int64_t k = x.col_ptr[j]; k < x.col_ptr[j + 1]; ++k) {
        r[x.row_idx[k]] -= x.values[k] * b[j];
      }
    }
    double rsq = 0;
    double r_sum = 0;
    for (double v : r) {
      rsq += v * v;
      r_sum += v;
    }
    TransposeTimes(x, r, xtr);
    if (options.intercept && x.rows > 0) {
      // The gap below is that of (b, b0 + mean(r)): take the intercept step with it.
      rsq = CenterResidual(rsq, r_sum, rows, col_sums, xtr);
      const double mean = r_sum / rows;
      b0 += mean;
      for (double& v : r) v -= mean;
    }
    const DualityGap gap = ComputeDualityGap(rsq, xtr, b, options.lambda);
    solution.objective = gap.primal;
    solution.duality_gap = gap.gap;
    solution.relative_gap = gap.relative_gap;
    return gap.relative_gap <= options.tolerance;
  };

  if (check_gap()) {
    solution.converged = true;
    return solution;
  }
  for (int64_t sweep = 1; sweep <= options.max_sweeps; ++sweep) {
    for (int64_t j = 0; j < x.cols; ++j) {
      if (sqnorm[j] == 0) continue;
      const int64_t begin = x.col_ptr[j];
      const int64_t end = x.col_ptr[j + 1];
      double z = 0;
      for (int64_t k = begin; k < end; ++k) z += x.values[k] * r[x.row_idx[k]];
      const double b_new = CoordinateMinimizer(z, b[j], sqnorm[j], options.lambda);
      const double delta = b_new - b[j];
      if (delta == 0) continue;
      b[j] = b_new;
      for (int64_t k = begin; k < end; ++k) r[x.row_idx[k]] -= x.values[k] * delta;
    }
    if (options.intercept && x.rows > 0) {
      double r_sum = 0;
      for (double v : r) r_sum += v;
      const double mean = r_sum / rows;
      b0 += mean;
      for (double& v : r) v -= mean;
    }
    solution.sweeps = sweep;
    if (check_gap()) {
      solution.converged = true;
      break;
    }
  }
  return solution;
}

}  // namespace strads::lasso
