#include "apps/lasso/residual_lasso_solver.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "apps/lasso/generator.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/reference_solver.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

struct Start {
  std::vector<int64_t> keys;
  std::vector<double> b, r, col_sqnorm;
  double residual_sq = 0;
};

// W = every column at b = 0; r = y (centred with an intercept).
Start AtZero(const core::LabeledData& data, bool intercept) {
  Start start;
  start.keys.resize(data.x.cols);
  std::iota(start.keys.begin(), start.keys.end(), 0);
  start.b.assign(data.x.cols, 0.0);
  start.r = data.y;
  if (intercept) {
    const double mean = std::accumulate(start.r.begin(), start.r.end(), 0.0) / start.r.size();
    for (double& v : start.r) v -= mean;
  }
  for (double v : start.r) start.residual_sq += v * v;
  start.col_sqnorm = core::ColumnSquaredNorms(data.x);
  return start;
}

ResidualLassoProblem ProblemFor(const core::LabeledData& data, const Start& start, double lambda,
                                bool intercept) {
  ResidualLassoProblem problem;
  problem.x = &data.x;
  problem.keys = start.keys;
  problem.col_sqnorm = start.col_sqnorm;
  problem.start = start.b;
  problem.lambda = lambda;
  problem.intercept = intercept;
  problem.gap_target = 1e-12 * 0.5 * start.residual_sq;
  return problem;
}

// On every column the restricted problem is the Lasso itself: the reference optimum, with and
// without an intercept, on correlated, binary (non-centred) and duplicated columns; the residual
// it returns is the residual of the solution it returns.
TEST(SolveResidualLasso, OnEveryColumnMatchesTheReferenceSolver) {
  for (DesignKind kind : {DesignKind::kGroups, DesignKind::kBinary, DesignKind::kDuplicated}) {
    for (bool intercept : {false, true}) {
      SCOPED_TRACE(::testing::Message() << DesignKindName(kind) << " intercept " << intercept);
      absl::StatusOr<LassoProblem> generated = GenerateLassoProblem({.kind = kind,
                                                                     .samples = 120,
                                                                     .features = 60,
                                                                     .density = 0.2,
                                                                     .correlation = 0.8,
                                                                     .seed = 2});
      ASSERT_TRUE(generated.ok());
      const core::LabeledData& data = generated->data;
      const double lambda = 0.05 * LambdaMax(data.x, data.y);
      Start start = AtZero(data, intercept);
      ResidualLassoScratch scratch;
      const GramLassoSolution solution =
          SolveResidualLasso(ProblemFor(data, start, lambda, intercept), start.r, &scratch);
      absl::StatusOr<ReferenceSolution> reference =
          SolveLassoReference(data, {.lambda = lambda, .tolerance = 1e-13, .intercept = intercept});
      ASSERT_TRUE(reference.ok());
      ASSERT_TRUE(reference->converged);
      EXPECT_NEAR(solution.primal, reference->objective, 1e-9 * reference->objective);
      EXPECT_LE(solution.gap, 1e-12 * 0.5 * start.residual_sq);
      // r = y - b0 - X b for the returned b and the intercept's change.
      std::vector<double> expected = data.y;
      const double b0 = intercept
                            ? std::accumulate(data.y.begin(), data.y.end(), 0.0) / data.y.size() +
                                  solution.delta_b0
                            : 0.0;
      for (double& v : expected) v -= b0;
      for (int64_t j = 0; j < data.x.cols; ++j) {
        for (size_t k = 0; k < data.x.ColRows(j).size(); ++k) {
          expected[data.x.ColRows(j)[k]] -= solution.b[j] * data.x.ColValues(j)[k];
        }
      }
      for (size_t i = 0; i < expected.size(); ++i) ASSERT_NEAR(start.r[i], expected[i], 1e-9);
    }
  }
}

// Near-collinear dense columns (p > n): the accelerations are tried, kept only when they lower
// F, and the solve still ends at the reference optimum in fewer sweeps than plain CD.
TEST(SolveResidualLasso, AcceleratesOnIllConditionedColumnsAndStaysExact) {
  absl::StatusOr<LassoProblem> generated = GenerateLassoProblem(
      {.kind = DesignKind::kSpectra, .samples = 40, .features = 100, .seed = 3});
  ASSERT_TRUE(generated.ok());
  const core::LabeledData& data = generated->data;
  const double lambda = 0.01 * LambdaMax(data.x, data.y);
  Start start = AtZero(data, false);
  ResidualLassoProblem problem = ProblemFor(data, start, lambda, false);
  problem.gap_target = 1e-9 * 0.5 * start.residual_sq;
  ResidualLassoScratch scratch;
  const GramLassoSolution solution = SolveResidualLasso(problem, start.r, &scratch);
  EXPECT_GT(solution.extrapolations + solution.newton_steps, 0);
  absl::StatusOr<ReferenceSolution> reference =
      SolveLassoReference(data, {.lambda = lambda, .tolerance = 1e-12, .max_sweeps = 2000000});
  ASSERT_TRUE(reference.ok());
  ASSERT_TRUE(reference->converged);
  EXPECT_NEAR(solution.primal, reference->objective, 1e-8 * reference->objective);
  EXPECT_LT(solution.sweeps, reference->sweeps);
}

// A saturated p >> n block (binary features, support close to N, with an intercept): the
// Newton step solved by conjugate gradients on the columns is taken, and the solve ends at the
// reference optimum in fewer sweeps than plain coordinate descent.
TEST(SolveResidualLasso, TakesTheIterativeNewtonStepOnASaturatedBlock) {
  absl::StatusOr<LassoProblem> generated = GenerateLassoProblem(
      {.kind = DesignKind::kBinary, .samples = 120, .features = 1200, .density = 0.05, .seed = 5});
  ASSERT_TRUE(generated.ok());
  const core::LabeledData& data = generated->data;
  const double lambda = 0.005 * LambdaMax(data.x, data.y);
  Start start = AtZero(data, true);
  ResidualLassoProblem problem = ProblemFor(data, start, lambda, true);
  problem.gap_target = 1e-10 * 0.5 * start.residual_sq;
  ResidualLassoScratch scratch;
  const GramLassoSolution solution = SolveResidualLasso(problem, start.r, &scratch);
  EXPECT_GT(solution.newton_steps, 0);
  int64_t nnz = 0;
  for (double v : solution.b) nnz += v != 0;
  EXPECT_GT(nnz, data.x.rows / 2);  // saturated: the block is nearly singular
  absl::StatusOr<ReferenceSolution> reference = SolveLassoReference(
      data, {.lambda = lambda, .tolerance = 1e-12, .max_sweeps = 2000000, .intercept = true});
  ASSERT_TRUE(reference.ok());
  ASSERT_TRUE(reference->converged);
  EXPECT_NEAR(solution.primal, reference->objective, 1e-8 * reference->objective);
  EXPECT_LT(solution.sweeps, reference->sweeps);
}

// The dual point a solve hands back is, once scaled into the feasible set, a lower bound on the
// optimum (with the intercept it sums to 0), and the gap it reports is primal minus that bound,
// so it bounds the true suboptimality from above: early (a loose work bound) and at the end, on a
// saturated block where the dual extrapolation and the Newton step both run.
TEST(SolveResidualLasso, ItsDualPointBoundsTheOptimumFromBelow) {
  absl::StatusOr<LassoProblem> generated = GenerateLassoProblem(
      {.kind = DesignKind::kBinary, .samples = 120, .features = 1200, .density = 0.05, .seed = 5});
  ASSERT_TRUE(generated.ok());
  const core::LabeledData& data = generated->data;
  const double lambda = 0.005 * LambdaMax(data.x, data.y);
  absl::StatusOr<ReferenceSolution> reference = SolveLassoReference(
      data, {.lambda = lambda, .tolerance = 1e-12, .max_sweeps = 2000000, .intercept = true});
  ASSERT_TRUE(reference.ok());
  ASSERT_TRUE(reference->converged);
  for (int64_t max_work : {int64_t{200'000}, int64_t{400'000'000}}) {
    SCOPED_TRACE(::testing::Message() << "max_work " << max_work);
    Start start = AtZero(data, true);
    ResidualLassoProblem problem = ProblemFor(data, start, lambda, true);
    problem.gap_target = 1e-10 * 0.5 * start.residual_sq;
    problem.max_work = max_work;
    ResidualLassoScratch scratch;
    const GramLassoSolution solution = SolveResidualLasso(problem, start.r, &scratch);
    const std::vector<double>& theta = scratch.dual_point;
    ASSERT_EQ(theta.size(), data.y.size());
    double theta_sum = 0;
    double y_dot_theta = 0;
    double theta_sq = 0;
    for (size_t i = 0; i < theta.size(); ++i) {
      theta_sum += theta[i];
      y_dot_theta += data.y[i] * theta[i];
      theta_sq += theta[i] * theta[i];
    }
    EXPECT_NEAR(theta_sum, 0, 1e-9 * std::sqrt(theta_sq * theta.size()));
    double xt_theta_inf = 0;
    for (int64_t j = 0; j < data.x.cols; ++j) {
      double dot = 0;
      for (size_t k = 0; k < data.x.ColRows(j).size(); ++k) {
        dot += data.x.ColValues(j)[k] * theta[data.x.ColRows(j)[k]];
      }
      xt_theta_inf = std::max(xt_theta_inf, std::abs(dot));
    }
    const double scale = xt_theta_inf > lambda ? lambda / xt_theta_inf : 1.0;
    const double dual = scale * y_dot_theta - 0.5 * scale * scale * theta_sq;
    const double slack = 1e-9 * reference->objective;
    EXPECT_LE(dual, reference->objective + slack);
    EXPECT_NEAR(solution.primal - solution.gap, dual, slack);
    EXPECT_GE(solution.gap + slack, solution.primal - reference->objective);
  }
}

// The work bound stops the solve early with a descent; a working set of all-zero columns ends at
// once instead of sweeping forever.
TEST(SolveResidualLasso, StopsOnTheWorkBoundAndOnZeroColumns) {
  absl::StatusOr<LassoProblem> generated = GenerateLassoProblem(
      {.kind = DesignKind::kSpectra, .samples = 30, .features = 80, .seed = 4});
  ASSERT_TRUE(generated.ok());
  const core::LabeledData& data = generated->data;
  Start start = AtZero(data, false);
  ResidualLassoProblem problem = ProblemFor(data, start, 0.01 * LambdaMax(data.x, data.y), false);
  problem.max_work = 30 * 80 * 6;
  ResidualLassoScratch scratch;
  const GramLassoSolution early = SolveResidualLasso(problem, start.r, &scratch);
  EXPECT_LE(early.sweeps, 8);
  EXPECT_GT(early.gap, problem.gap_target);
  EXPECT_LT(early.primal, 0.5 * start.residual_sq);

  core::LabeledData empty;
  empty.x.rows = 5;
  empty.x.cols = 3;
  empty.x.col_ptr.assign(4, 0);
  empty.y = {1, 2, 3, 4, 5};
  Start none = AtZero(empty, true);
  ResidualLassoProblem zero = ProblemFor(empty, none, 0.1, true);
  zero.gap_target = 0;
  const GramLassoSolution stuck = SolveResidualLasso(zero, none.r, &scratch);
  EXPECT_LE(stuck.sweeps, 2);
  EXPECT_EQ(stuck.b, std::vector<double>(3, 0.0));
}

TEST(PreferResidualSolve, PicksTheCheaperForm) {
  EXPECT_TRUE(PreferResidualSolve(2000, 40'000, 2000));      // sparse columns, p >> n
  EXPECT_FALSE(PreferResidualSolve(123, 400'000, 32'561));   // a9a: few columns, many rows
  EXPECT_FALSE(PreferResidualSolve(1000, 3'000'000, 3000));  // dense columns
}

}  // namespace
}  // namespace strads::lasso
