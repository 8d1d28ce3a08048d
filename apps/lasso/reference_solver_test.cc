#include "apps/lasso/reference_solver.h"

#include <cmath>

#include "apps/lasso/generator.h"
#include "apps/lasso/lasso_math.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

// Columns with disjoint supports are orthogonal, so the Lasso decouples:
// b_j = S(x_j'y, lambda) / ||x_j||^2.
TEST(ReferenceSolver, MatchesTheClosedFormForAnOrthogonalDesign) {
  core::LabeledData data;
  absl::StatusOr<core::CscMatrix> x = core::CscFromTriplets(
      6, 4, {{0, 0, 1.0}, {1, 0, 2.0}, {2, 1, -1.5}, {3, 1, 0.5}, {4, 2, 3.0}, {5, 3, 0.25}});
  ASSERT_TRUE(x.ok()) << x.status();
  data.x = *x;
  data.y = {1.0, 3.0, -2.0, 1.0, 0.3, 4.0};
  const double lambda = 1.2;
  absl::StatusOr<ReferenceSolution> solution =
      SolveLassoReference(data, {.lambda = lambda, .tolerance = 1e-14});
  ASSERT_TRUE(solution.ok()) << solution.status();
  EXPECT_TRUE(solution->converged);
  const double expected[4] = {SoftThreshold(7.0, lambda) / 5.0, SoftThreshold(3.5, lambda) / 2.5,
                              SoftThreshold(0.9, lambda) / 9.0,
                              SoftThreshold(1.0, lambda) / 0.0625};
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(solution->beta[j], expected[j], 1e-12) << "j=" << j;
  EXPECT_EQ(solution->beta[2], 0.0);
}

TEST(ReferenceSolver, ReachesItsGapToleranceOnACorrelatedProblem) {
  absl::StatusOr<LassoProblem> problem = GenerateLassoProblem(
      {.samples = 200, .features = 100, .density = 0.2, .correlation = 0.8, .seed = 3});
  ASSERT_TRUE(problem.ok()) << problem.status();
  const double lambda = 0.1 * LambdaMax(problem->data.x, problem->data.y);
  absl::StatusOr<ReferenceSolution> solution =
      SolveLassoReference(problem->data, {.lambda = lambda, .tolerance = 1e-12});
  ASSERT_TRUE(solution.ok()) << solution.status();
  EXPECT_TRUE(solution->converged);
  EXPECT_LE(solution->relative_gap, 1e-12);
  EXPECT_GT(solution->sweeps, 1);
  int nnz = 0;
  for (double v : solution->beta) nnz += v != 0;
  EXPECT_GT(nnz, 0);
  EXPECT_LT(nnz, 100);
}

TEST(ReferenceSolver, RefusesANegativeLambda) {
  core::LabeledData data;
  data.x = *core::CscFromTriplets(1, 1, {{0, 0, 1.0}});
  data.y = {1.0};
  EXPECT_FALSE(SolveLassoReference(data, {.lambda = -1}).ok());
}

TEST(ReferenceSolver, InterceptAbsorbsAShiftOfTheLabels) {
  absl::StatusOr<LassoProblem> problem = GenerateLassoProblem(
      {.samples = 150, .features = 60, .density = 0.2, .correlation = 0.5, .seed = 8});
  ASSERT_TRUE(problem.ok()) << problem.status();
  core::LabeledData shifted = problem->data;
  for (double& v : shifted.y) v += 12.0;
  const double lambda = 0.1 * LambdaMax(problem->data.x, problem->data.y);
  absl::StatusOr<ReferenceSolution> base =
      SolveLassoReference(problem->data, {.lambda = lambda, .tolerance = 1e-13, .intercept = true});
  absl::StatusOr<ReferenceSolution> moved =
      SolveLassoReference(shifted, {.lambda = lambda, .tolerance = 1e-13, .intercept = true});
  ASSERT_TRUE(base.ok() && moved.ok());
  ASSERT_TRUE(base->converged && moved->converged);
  EXPECT_NEAR(moved->intercept - base->intercept, 12.0, 1e-6);
  EXPECT_NEAR(moved->objective, base->objective, 1e-9 * base->objective);
  for (size_t j = 0; j < base->beta.size(); ++j) {
    EXPECT_NEAR(moved->beta[j], base->beta[j], 1e-6) << "j=" << j;
  }
  // Without the intercept the shift changes the fit.
  absl::StatusOr<ReferenceSolution> plain =
      SolveLassoReference(shifted, {.lambda = lambda, .tolerance = 1e-13});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->intercept, 0.0);
  EXPECT_GT(plain->objective, 2 * moved->objective);
}

}  // namespace
}  // namespace strads::lasso
