// The Lasso's closed-form pieces: the soft-threshold coordinate step, lambda_max, the objective
// and the duality gap. The gap is written in terms of sums that row shards can report
// (||r||^2 and X'r add up over shards), so the distributed app and the reference solver share it.
#pragma once

#include <span>
#include <vector>

#include "core/csc_matrix.h"
#include "core/labeled_data.h"

namespace strads::lasso {

// S(z, l) = sign(z) max(|z| - l, 0).
inline double SoftThreshold(double z, double l) {
  if (z > l) return z - l;
  if (z < -l) return z + l;
  return 0.0;
}

// The coordinate-descent minimiser of F over b_j alone, given z = x_j'r for the current residual
// r = y - X b, the current b_j and ||x_j||^2 > 0.
inline double CoordinateMinimizer(double z, double b_j, double col_sqnorm, double lambda) {
  return SoftThreshold(z + col_sqnorm * b_j, lambda) / col_sqnorm;
}

// out = X' v (out has x.cols entries). Streams X column by column.
void TransposeTimes(const core::CscMatrix& x, std::span<const double> v, std::span<double> out);

// ||X'y||_inf: the smallest lambda for which b = 0 is optimal.
double LambdaMax(const core::CscMatrix& x, std::span<const double> y);

// F(b) = 0.5 ||r||^2 + lambda ||b||_1.
inline double LassoObjective(double residual_sq, double l1_norm, double lambda) {
  return 0.5 * residual_sq + lambda * l1_norm;
}

struct DualityGap {
  double primal = 0;        // F(b)
  double dual = 0;          // D(theta) for the scaled residual theta = s r
  double gap = 0;           // primal - dual, >= 0 up to rounding (clamped at 0)
  double relative_gap = 0;  // gap / primal (0 when both are 0)
};

// D(s theta) for a residual-shaped theta scaled into the dual feasible set, s = min(1, lambda /
// ||X'theta||_inf): s y'theta - s^2/2 ||theta||^2 (theta must sum to 0 with an intercept). Every
// such value is a lower bound on the optimum at this lambda.
double ScaledDualValue(double y_dot_theta, double theta_sq, double xt_theta_inf, double lambda);

// The gap of b with residual r = y - X b, from ||r||^2, X'r and b alone. The dual point is
// theta = s r with s = min(1, lambda / ||X'r||_inf) (s = 1 when X'r = 0), which is feasible
// (||X'theta||_inf <= lambda), and D(theta) = 0.5||y||^2 - 0.5||y - theta||^2
// = s y'r - 0.5 s^2 ||r||^2 with y'r = ||r||^2 + b'X'r, so y itself is never needed.
DualityGap ComputeDualityGap(double residual_sq, std::span<const double> xtr,
                             std::span<const double> b, double lambda);

// With an unpenalised intercept (r = y - b0 - X b): the optimal b0 for the current b is
// b0 + mean(r), and the dual needs sum(theta) = 0, so the gap is taken at the centred residual
// r_c = r - mean(r) (the residual after that intercept step). Given ||r||^2, sum(r), the row
// count and the column sums 1'x_j, this replaces `xtr` (X'r on entry) by X'r_c and returns
// ||r_c||^2; ComputeDualityGap(||r_c||^2, X'r_c, b, lambda) is then the exact gap of
// (b, b0 + mean(r)): y'r_c = ||r_c||^2 + b'X'r_c still holds because 1'r_c = 0.
double CenterResidual(double residual_sq, double residual_sum, double rows,
                      std::span<const double> col_sums, std::span<double> xtr);

// 1'x_j for every column: the dot products of the columns with the intercept's all-ones column.
std::vector<double> ColumnSums(const core::CscMatrix& x);

// The per-column divisors of the "standardize" option: the population standard deviation
// sqrt(mean_i (x_ij - mean_j)^2) when `intercept` (centring is what the intercept absorbs, so X
// need not be centred), else the root mean square sqrt(mean_i x_ij^2). A column whose divisor is
// 0 (all zero, or constant with an intercept) gets 1.
std::vector<double> StandardizationScales(const core::CscMatrix& x, bool intercept);

// With the intercept, the squared norm of a coordinate step: ||x_j - mean_j||^2 for every column
// (two passes, the implicit zeros included), 0 for a column constant to rounding (as in
// StandardizationScales: its spread at most 1e-12 of its largest |x|), which the intercept
// absorbs and a step never moves. A step that moves b0 by -mean_j per unit of b_j is exact
// coordinate descent on the centred column, however far from zero the column sits.
std::vector<double> CentredSquaredNorms(const core::CscMatrix& x);
// The same from a column's summed squared deviations about its mean, the row count and its
// largest |x| (what shared data's workers report).
double CentredSquaredNorm(double deviations, double rows, double max_abs);

// Divides column j of x by scales[j] in place (the sparsity pattern is unchanged).
void DivideColumns(std::span<const double> scales, core::CscMatrix* x);

// F(b, b0) = 1/2 ||y - b0 - X b||^2 + lambda ||b||_1 straight from the data, O(nnz): the
// independent check tests hold a solver's reported objective to. `b` may be shorter than X (a
// LIBSVM file's trailing all-zero columns are not in it); the missing coefficients are zero.
double ObjectiveFromData(const core::LabeledData& data, std::span<const double> b, double b0,
                         double lambda);

}  // namespace strads::lasso
