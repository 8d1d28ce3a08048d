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
  const double s = xtr_inf > lambda ? lambda / xtr_inf : 1.0;
  const double y_dot_r = residual_sq + b_dot_xtr;
  DualityGap result;
  result.primal = LassoObjective(residual_sq, l1, lambda);
  result.dual = s * y_dot_r - 0.5 * s * s * residual_sq;
  // Rounding can make a gap that is truly 0 come out as -1e-17 * primal; it certifies nothing
  // either way, so report 0.
  result.gap = std::max(0.0, result.primal - result.dual);
  result.relative_gap = result.primal > 0 ? result.gap / std::max(result.primal, DBL_MIN) : 0.0;
  return result;
}

}  // namespace strads::lasso
