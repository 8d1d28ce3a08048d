#include "apps/lasso/lasso_math.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/lasso/generator.h"
#include "apps/lasso/reference_solver.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

core::CscMatrix Identity2() {
  absl::StatusOr<core::CscMatrix> x = core::CscFromTriplets(2, 2, {{0, 0, 1.0}, {1, 1, 1.0}});
  EXPECT_TRUE(x.ok()) << x.status();
  return *x;
}

TEST(SoftThreshold, ShrinksTowardZeroAndKillsTheDeadZone) {
  EXPECT_DOUBLE_EQ(SoftThreshold(3.0, 1.0), 2.0);
  EXPECT_DOUBLE_EQ(SoftThreshold(-3.0, 1.0), -2.0);
  EXPECT_DOUBLE_EQ(SoftThreshold(0.5, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(SoftThreshold(-0.5, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(SoftThreshold(1.0, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(SoftThreshold(2.5, 0.0), 2.5);
}

TEST(LambdaMax, IsTheLargestAbsoluteCorrelationWithTheLabels) {
  const core::CscMatrix x = Identity2();
  const std::vector<double> y = {3.0, -4.0};
  EXPECT_DOUBLE_EQ(LambdaMax(x, y), 4.0);
}

// X = I, y = (3, 0.5), lambda = 1: the Lasso solution is b = S(y, 1) = (2, 0).
TEST(DualityGap, IsZeroAtTheClosedFormOrthogonalSolution) {
  const core::CscMatrix x = Identity2();
  const std::vector<double> y = {3.0, 0.5};
  const std::vector<double> b = {2.0, 0.0};
  std::vector<double> r = {y[0] - b[0], y[1] - b[1]};
  std::vector<double> xtr(2);
  TransposeTimes(x, r, xtr);
  const DualityGap gap = ComputeDualityGap(r[0] * r[0] + r[1] * r[1], xtr, b, 1.0);
  EXPECT_DOUBLE_EQ(gap.primal, 2.625);
  EXPECT_DOUBLE_EQ(gap.dual, 2.625);
  EXPECT_DOUBLE_EQ(gap.gap, 0.0);
  EXPECT_DOUBLE_EQ(gap.relative_gap, 0.0);
}

// Same problem at b = 0: theta = r / 3 (||X'r||_inf = 3), P = 4.625, D = 9.25 (1/3 - 1/18),
// gap = 37/18.
TEST(DualityGap, HasTheHandComputedValueAwayFromTheSolution) {
  const std::vector<double> b = {0.0, 0.0};
  const std::vector<double> xtr = {3.0, 0.5};
  const DualityGap gap = ComputeDualityGap(9.25, xtr, b, 1.0);
  EXPECT_DOUBLE_EQ(gap.primal, 4.625);
  EXPECT_NEAR(gap.gap, 37.0 / 18.0, 1e-14);
  EXPECT_NEAR(gap.relative_gap, (37.0 / 18.0) / 4.625, 1e-14);
}

TEST(DualityGap, ZeroIsOptimalExactlyFromLambdaMax) {
  const core::CscMatrix x = Identity2();
  const std::vector<double> y = {3.0, -4.0};
  const std::vector<double> b = {0.0, 0.0};
  const double lambda_max = LambdaMax(x, y);
  EXPECT_DOUBLE_EQ(ComputeDualityGap(25.0, y, b, lambda_max).gap, 0.0);
  EXPECT_GT(ComputeDualityGap(25.0, y, b, 0.9 * lambda_max).gap, 0.0);
}

// The gap formula avoids y by y'r = ||r||^2 + b'X'r; check it against D(theta) written with y.
TEST(DualityGap, MatchesTheDualWrittenWithTheLabels) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  const int64_t n = 30;
  const int64_t m = 8;
  std::vector<core::Triplet> triplets;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      if ((i + j) % 3 != 0) triplets.push_back({i, j, normal(rng)});
    }
  }
  absl::StatusOr<core::CscMatrix> x = core::CscFromTriplets(n, m, triplets);
  ASSERT_TRUE(x.ok()) << x.status();
  std::vector<double> y(n);
  for (double& v : y) v = normal(rng);
  std::vector<double> b(m);
  for (double& v : b) v = 0.3 * normal(rng);
  std::vector<double> r = y;
  for (int64_t j = 0; j < m; ++j) {
    for (int64_t k = x->col_ptr[j]; k < x->col_ptr[j + 1]; ++k) {
      r[x->row_idx[k]] -= x->values[k] * b[j];
    }
  }
  double rsq = 0;
  for (double v : r) rsq += v * v;
  std::vector<double> xtr(m);
  TransposeTimes(*x, r, xtr);
  const double lambda = 0.5;
  const DualityGap gap = ComputeDualityGap(rsq, xtr, b, lambda);

  double xtr_inf = 0;
  for (double v : xtr) xtr_inf = std::max(xtr_inf, std::abs(v));
  const double s = std::min(1.0, lambda / xtr_inf);
  double y_sq = 0;
  double diff_sq = 0;
  for (int64_t i = 0; i < n; ++i) {
    y_sq += y[i] * y[i];
    diff_sq += (y[i] - s * r[i]) * (y[i] - s * r[i]);
  }
  EXPECT_NEAR(gap.dual, 0.5 * y_sq - 0.5 * diff_sq, 1e-10);
  EXPECT_GT(gap.gap, 0.0);
}

// The residual r = y - b0 - X b of (b, b0) on `data`, with ||r||^2, sum(r) and X'r.
struct ResidualStats {
  double sq = 0;
  double sum = 0;
  std::vector<double> xtr;
  std::vector<double> r;
};
ResidualStats Residual(const core::LabeledData& data, const std::vector<double>& b, double b0) {
  ResidualStats stats;
  stats.r = data.y;
  for (double& v : stats.r) v -= b0;
  for (int64_t j = 0; j < data.x.cols; ++j) {
    for (int64_t k = data.x.col_ptr[j]; k < data.x.col_ptr[j + 1]; ++k) {
      stats.r[data.x.row_idx[k]] -= data.x.values[k] * b[j];
    }
  }
  for (double v : stats.r) {
    stats.sq += v * v;
    stats.sum += v;
  }
  stats.xtr.resize(data.x.cols);
  TransposeTimes(data.x, stats.r, stats.xtr);
  return stats;
}

DualityGap GapWithIntercept(const core::LabeledData& data, const std::vector<double>& b, double b0,
                            double lambda) {
  ResidualStats stats = Residual(data, b, b0);
  const std::vector<double> col_sums = ColumnSums(data.x);
  const double centred_sq =
      CenterResidual(stats.sq, stats.sum, static_cast<double>(data.x.rows), col_sums, stats.xtr);
  return ComputeDualityGap(centred_sq, stats.xtr, b, lambda);
}

core::LabeledData ShiftedProblem(double shift) {
  absl::StatusOr<LassoProblem> problem = GenerateLassoProblem(
      {.samples = 120, .features = 40, .density = 0.3, .correlation = 0.5, .seed = 9});
  EXPECT_TRUE(problem.ok()) << problem.status();
  for (double& v : problem->data.y) v += shift;
  return std::move(problem->data);
}

TEST(DualityGapWithIntercept, IsZeroAtTheReferenceSolutionAndPositiveElsewhere) {
  const core::LabeledData data = ShiftedProblem(6.0);
  const double lambda = 2.0;
  absl::StatusOr<ReferenceSolution> solution =
      SolveLassoReference(data, {.lambda = lambda, .tolerance = 1e-14, .intercept = true});
  ASSERT_TRUE(solution.ok()) << solution.status();
  ASSERT_TRUE(solution->converged);
  const DualityGap at_solution =
      GapWithIntercept(data, solution->beta, solution->intercept, lambda);
  EXPECT_LE(at_solution.relative_gap, 1e-13);
  EXPECT_NEAR(at_solution.primal, solution->objective, 1e-12 * solution->objective);

  std::vector<double> moved = solution->beta;
  moved[3] += 0.05;
  EXPECT_GT(GapWithIntercept(data, moved, solution->intercept, lambda).relative_gap, 1e-6);
  moved = solution->beta;
  for (double& v : moved) v *= 0.9;
  EXPECT_GT(GapWithIntercept(data, moved, solution->intercept, lambda).relative_gap, 1e-4);

  // A wrong b0 is not an error of b: the gap is that of (b, b0 + mean(r)), still the solution.
  const DualityGap wrong_b0 =
      GapWithIntercept(data, solution->beta, solution->intercept + 3.0, lambda);
  EXPECT_LE(wrong_b0.relative_gap, 1e-13);
  EXPECT_NEAR(wrong_b0.primal, solution->objective, 1e-12 * solution->objective);

  // The uncentred gap (no intercept in the dual) would not certify the solution: theta must sum
  // to 0.
  ResidualStats stats = Residual(data, solution->beta, solution->intercept + 3.0);
  EXPECT_GT(ComputeDualityGap(stats.sq, stats.xtr, solution->beta, lambda).relative_gap, 1e-3);
}

// The centred gap against its definition with y: theta = s (r - mean(r)), which sums to 0 and
// has ||X'theta||_inf <= lambda, and D(theta) = y'theta - 0.5 ||theta||^2.
TEST(DualityGapWithIntercept, MatchesTheDualWrittenWithTheLabels) {
  const core::LabeledData data = ShiftedProblem(-3.0);
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  std::vector<double> b(data.x.cols);
  for (double& v : b) v = 0.2 * normal(rng);
  const double b0 = 1.25;
  const double lambda = 1.5;
  const DualityGap gap = GapWithIntercept(data, b, b0, lambda);

  ResidualStats stats = Residual(data, b, b0);
  const double mean = stats.sum / static_cast<double>(data.x.rows);
  std::vector<double> centred = stats.r;
  for (double& v : centred) v -= mean;
  std::vector<double> xtrc(data.x.cols);
  TransposeTimes(data.x, centred, xtrc);
  double inf = 0;
  for (double v : xtrc) inf = std::max(inf, std::abs(v));
  const double s = std::min(1.0, lambda / inf);
  double y_theta = 0;
  double theta_sq = 0;
  double primal_sq = 0;
  for (size_t i = 0; i < centred.size(); ++i) {
    y_theta += data.y[i] * s * centred[i];
    theta_sq += s * centred[i] * s * centred[i];
    primal_sq += centred[i] * centred[i];
  }
  double l1 = 0;
  for (double v : b) l1 += std::abs(v);
  EXPECT_NEAR(gap.dual, y_theta - 0.5 * theta_sq, 1e-9 * std::abs(gap.dual));
  EXPECT_NEAR(gap.primal, 0.5 * primal_sq + lambda * l1, 1e-12 * gap.primal);
  EXPECT_GT(gap.gap, 0.0);
}

TEST(StandardizationScales, AreTheStandardDeviationOrRootMeanSquare) {
  // Column 0: values (2, 0, 4, 0) -> mean 1.5, sd sqrt(2.75), rms sqrt(5); column 1: all zero;
  // column 2: the constant 3 -> sd 0 (kept at 1 with the intercept), rms 3.
  absl::StatusOr<core::CscMatrix> x = core::CscFromTriplets(
      4, 3, {{0, 0, 2.0}, {2, 0, 4.0}, {0, 2, 3.0}, {1, 2, 3.0}, {2, 2, 3.0}, {3, 2, 3.0}});
  ASSERT_TRUE(x.ok()) << x.status();
  const std::vector<double> sd = StandardizationScales(*x, true);
  EXPECT_DOUBLE_EQ(sd[0], std::sqrt(2.75));
  EXPECT_EQ(sd[1], 1.0);
  EXPECT_EQ(sd[2], 1.0);
  const std::vector<double> rms = StandardizationScales(*x, false);
  EXPECT_DOUBLE_EQ(rms[0], std::sqrt(5.0));
  EXPECT_EQ(rms[1], 1.0);
  EXPECT_DOUBLE_EQ(rms[2], 3.0);
  core::CscMatrix scaled = *x;
  DivideColumns(sd, &scaled);
  EXPECT_DOUBLE_EQ(scaled.values[0], 2.0 / std::sqrt(2.75));
  EXPECT_EQ(scaled.row_idx, x->row_idx);
}

}  // namespace
}  // namespace strads::lasso
