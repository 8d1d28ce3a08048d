#include "apps/lasso/gram_lasso_solver.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "apps/lasso/generator.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/reference_solver.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

// The Gram problem for W = every column, at b = 0 (b0 = mean(y) with an intercept).
struct FullProblem {
  std::vector<double> gram, xtr, start, col_sums;
  GramLassoProblem problem;
};

FullProblem Build(const core::LabeledData& data, double lambda, bool intercept) {
  const core::CscMatrix& x = data.x;
  const int64_t m = x.cols;
  FullProblem full;
  std::vector<double> r = data.y;
  double mean = 0;
  for (double v : r) mean += v;
  mean /= static_cast<double>(r.size());
  if (intercept) {
    for (double& v : r) v -= mean;
  }
  std::vector<std::vector<double>> dense(m, std::vector<double>(x.rows, 0.0));
  for (int64_t j = 0; j < m; ++j) {
    for (size_t k = 0; k < x.ColRows(j).size(); ++k) dense[j][x.ColRows(j)[k]] = x.ColValues(j)[k];
  }
  full.gram.assign(m * m, 0.0);
  full.xtr.assign(m, 0.0);
  full.col_sums.assign(m, 0.0);
  for (int64_t a = 0; a < m; ++a) {
    for (int64_t i = 0; i < x.rows; ++i) {
      full.xtr[a] += dense[a][i] * r[i];
      full.col_sums[a] += dense[a][i];
    }
    for (int64_t b = 0; b < m; ++b) {
      double dot = 0;
      for (int64_t i = 0; i < x.rows; ++i) dot += dense[a][i] * dense[b][i];
      full.gram[a * m + b] = dot;
    }
  }
  full.start.assign(m, 0.0);
  double rsq = 0;
  for (double v : r) rsq += v * v;
  GramLassoProblem& p = full.problem;
  p.size = m;
  p.gram = full.gram;
  p.xtr = full.xtr;
  p.start = full.start;
  p.residual_sq = rsq;
  p.lambda = lambda;
  p.intercept = intercept;
  p.col_sums = full.col_sums;
  p.rows = static_cast<double>(x.rows);
  p.residual_sum = 0;
  p.gap_target = 1e-12 * 0.5 * rsq;
  return full;
}

// Solved on all columns, the restricted problem is the Lasso itself: the same optimum as the
// reference solver, with and without an intercept, on correlated and on non-centred data.
TEST(SolveGramLasso, OnEveryColumnMatchesTheReferenceSolver) {
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
      FullProblem full = Build(data, lambda, intercept);
      const GramLassoSolution solution = SolveGramLasso(full.problem);
      absl::StatusOr<ReferenceSolution> reference =
          SolveLassoReference(data, {.lambda = lambda, .tolerance = 1e-13, .intercept = intercept});
      ASSERT_TRUE(reference.ok());
      ASSERT_TRUE(reference->converged);
      double l1 = 0;
      for (double v : solution.b) l1 += std::abs(v);
      EXPECT_NEAR(solution.primal, reference->objective, 1e-9 * reference->objective);
      EXPECT_NEAR(LassoObjective(solution.residual_sq, l1, lambda), reference->objective,
                  1e-9 * reference->objective);
      EXPECT_LE(solution.gap, full.problem.gap_target);
      EXPECT_GT(solution.sweeps, 0);
    }
  }
}

// On near-collinear dense columns the active-set sweeps crawl; Anderson extrapolation and the
// signed Newton step are tried and kept only when they lower F, and the solve still ends at the
// reference optimum in fewer sweeps than plain coordinate descent.
TEST(SolveGramLasso, AcceleratesOnIllConditionedColumnsAndStaysExact) {
  absl::StatusOr<LassoProblem> generated = GenerateLassoProblem(
      {.kind = DesignKind::kSpectra, .samples = 40, .features = 100, .seed = 3});
  ASSERT_TRUE(generated.ok());
  const core::LabeledData& data = generated->data;
  const double lambda = 0.01 * LambdaMax(data.x, data.y);
  FullProblem full = Build(data, lambda, false);
  full.problem.gap_target = 1e-9 * 0.5 * full.problem.residual_sq;
  const GramLassoSolution solution = SolveGramLasso(full.problem);
  EXPECT_GT(solution.extrapolations + solution.newton_steps, 0);
  std::printf("sweeps %lld, extrapolations %lld, newton steps %lld\n",
              static_cast<long long>(solution.sweeps),
              static_cast<long long>(solution.extrapolations),
              static_cast<long long>(solution.newton_steps));
  absl::StatusOr<ReferenceSolution> reference =
      SolveLassoReference(data, {.lambda = lambda, .tolerance = 1e-12, .max_sweeps = 2000000});
  ASSERT_TRUE(reference.ok());
  ASSERT_TRUE(reference->converged);
  EXPECT_NEAR(solution.primal, reference->objective, 1e-8 * reference->objective);
  EXPECT_LT(solution.sweeps, reference->sweeps);
}

// The work bound stops the solve early, but what it returns still lowers the objective.
TEST(SolveGramLasso, AWorkBoundStopsEarlyWithADescent) {
  absl::StatusOr<LassoProblem> generated = GenerateLassoProblem(
      {.kind = DesignKind::kSpectra, .samples = 30, .features = 80, .seed = 4});
  ASSERT_TRUE(generated.ok());
  FullProblem full =
      Build(generated->data, 0.01 * LambdaMax(generated->data.x, generated->data.y), false);
  full.problem.max_work = 80 * 80 * 3;
  const GramLassoSolution solution = SolveGramLasso(full.problem);
  EXPECT_LE(solution.sweeps, 8);  // about 3 sweeps of work, plus the checks
  EXPECT_GT(solution.gap, full.problem.gap_target);
  EXPECT_LT(solution.primal, 0.5 * full.problem.residual_sq);
}

}  // namespace
}  // namespace strads::lasso
