#include "apps/lasso/lasso_math.h"

#include <cmath>
#include <random>
#include <vector>

#include "absl/status/statusor.h"
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

}  // namespace
}  // namespace strads::lasso
