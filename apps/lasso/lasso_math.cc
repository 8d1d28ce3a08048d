#include "apps/lasso/lasso_math.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace strads::lasso {

void TransposeTimes(const core::CscMatrix& x, std::span<const double> v, std::span<double> out) {
  for (int64_t j = 0; j < x.cols; ++j) {
    const int64_t end = x.col_ptr[j + 1];
    double sum = 0;
    for (int64_t k = x.col_ptr[j]; k < end; ++k) sum += x.values[k] * v[x.row_idx[k]];
    out[j] = sum;
  }
}

double LambdaMax(const core::CscMatrix& x, std::span<const double> y) {
  double max_abs = 0;
  for (int64_t j = 0; j < x.cols; ++j) {
    const int64_t end = x.col_ptr[j + 1];
    double sum = 0;
    for (int64_t k = x.col_ptr[j]; k < end; ++k) sum += x.values[k] * y[x.row_idx[k]];
    max_abs = std::max(max_abs, std::abs(sum));
  }
  return max_abs;
}

double ScaledDualValue(double y_dot_theta, double theta_sq, double xt_theta_inf, double lambda) {
  const double s = xt_theta_inf > lambda ? lambda / xt_theta_inf : 1.0;
  return s * y_dot_theta - 0.5 * s * s * theta_sq;
}

DualityGap ComputeDualityGap(double residual_sq, std::span<const double> xtr,
                             std::span<const double> b, double lambda) {
  double l1 = 0;
  double b_dot_xtr = 0;
  double xtr_inf = 0;
  for (size_t j = 0; j < xtr.size(); ++j) {
    l1 += std::abs(b[j]);
    b_dot_xtr += b[j] * xtr[j];
    xtr_inf = std::max(xtr_inf, std::abs(xtr[j]));
  }
  DualityGap result;
  result.primal = LassoObjective(residual_sq, l1, lambda);
  result.dual = ScaledDualValue(residual_sq + b_dot_xtr, residual_sq, xtr_inf, lambda);
  // Rounding can make a gap that is truly 0 come out as -1e-17 * primal; it certifies nothing
  // either way, so report 0.
  result.gap = std::max(0.0, result.primal - result.dual);
  result.relative_gap = result.primal > 0 ? result.gap / std::max(result.primal, DBL_MIN) : 0.0;
  return result;
}

double CenterResidual(double residual_sq, double residual_sum, double rows,
                      std::span<const double> col_sums, std::span<double> xtr) {
  const double mean = rows > 0 ? residual_sum / rows : 0.0;
  for (size_t j = 0; j < xtr.size(); ++j) xtr[j] -= mean * col_sums[j];
  // ||r - mean||^2 = ||r||^2 - rows * mean^2 >= 0; rounding can take a true 0 below.
  return std::max(0.0, residual_sq - mean * residual_sum);
}

std::vector<double> ColumnSums(const core::CscMatrix& x) {
  std::vector<double> sums(x.cols, 0.0);
  for (int64_t j = 0; j < x.cols; ++j) {
    double sum = 0;
    for (int64_t k = x.col_ptr[j]; k < x.col_ptr[j + 1]; ++k) sum += x.values[k];
    sums[j] = sum;
  }
  return sums;
}

double CentredSquaredNorm(double deviations, double rows, double max_abs) {
  if (!(rows > 0) || !(deviations > 0)) return 0;
  return std::sqrt(deviations / rows) > 1e-12 * max_abs ? deviations : 0.0;
}

namespace {

// Column j's sum of squared deviations about its mean (about 0 unless `centred`), the implicit
// zeros included, and its largest |value|. Two passes, so a constant column comes out as exactly
// 0 rather than as a tiny difference of squares; the implicit zeros each contribute mean^2.
struct ColumnSpread {
  double squared_deviations = 0;
  double max_abs = 0;
};
ColumnSpread SpreadOfColumn(const core::CscMatrix& x, int64_t j, bool centred) {
  const int64_t begin = x.col_ptr[j];
  const int64_t end = x.col_ptr[j + 1];
  double mean = 0;
  if (centred) {
    for (int64_t k = begin; k < end; ++k) mean += x.values[k];
    mean /= static_cast<double>(x.rows);
  }
  ColumnSpread spread;
  spread.squared_deviations = static_cast<double>(x.rows - (end - begin)) * mean * mean;
  for (int64_t k = begin; k < end; ++k) {
    spread.squared_deviations += (x.values[k] - mean) * (x.values[k] - mean);
    spread.max_abs = std::max(spread.max_abs, std::abs(x.values[k]));
  }
  return spread;
}

}  // namespace

std::vector<double> CentredSquaredNorms(const core::CscMatrix& x) {
  std::vector<double> norms(x.cols, 0.0);
  if (x.rows == 0) return norms;
  for (int64_t j = 0; j < x.cols; ++j) {
    const ColumnSpread spread = SpreadOfColumn(x, j, /*centred=*/true);
    norms[j] =
        CentredSquaredNorm(spread.squared_deviations, static_cast<double>(x.rows), spread.max_abs);
  }
  return norms;
}

std::vector<double> StandardizationScales(const core::CscMatrix& x, bool intercept) {
  std::vector<double> scales(x.cols, 1.0);
  if (x.rows == 0) return scales;
  const double rows = static_cast<double>(x.rows);
  for (int64_t j = 0; j < x.cols; ++j) {
    const ColumnSpread spread = SpreadOfColumn(x, j, intercept);
    const double scale = std::sqrt(spread.squared_deviations / rows);
    // A constant column's rounding residue would blow it up to nonsense instead of leaving it
    // to the intercept.
    if (scale > 1e-12 * spread.max_abs && scale > 0) scales[j] = scale;
  }
  return scales;
}

void DivideColumns(std::span<const double> scales, core::CscMatrix* x) {
  for (int64_t j = 0; j < x->cols; ++j) {
    for (int64_t k = x->col_ptr[j]; k < x->col_ptr[j + 1]; ++k) x->values[k] /= scales[j];
  }
}

double ObjectiveFromData(const core::LabeledData& data, std::span<const double> b, double b0,
                         double lambda) {
  std::vector<double> r(data.y.begin(), data.y.end());
  for (double& v : r) v -= b0;
  double l1 = 0;
  const int64_t cols = std::min<int64_t>(data.x.cols, static_cast<int64_t>(b.size()));
  for (int64_t j = 0; j < cols; ++j) {
    l1 += std::abs(b[j]);
    auto rows = data.x.ColRows(j);
    auto values = data.x.ColValues(j);
    for (size_t k = 0; k < rows.size(); ++k) r[rows[k]] -= values[k] * b[j];
  }
  double sq = 0;
  for (double v : r) sq += v * v;
  return 0.5 * sq + lambda * l1;
}

}  // namespace strads::lasso
