// The safety and accuracy of the Lasso schedules on designs that look like real data (non-centred,
// non-negative, one-hot, counts, binary, dense spectra with p > n, exact and near copies), where a
// pairwise-only dependency check diverges: the objective of the model after every round never
// rises, and the job ends at the reference solver's optimum.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "apps/lasso/generator.h"
#include "apps/lasso/lasso_app.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/lasso_protocol.h"
#include "apps/lasso/lasso_scheduler_app.h"
#include "apps/lasso/lasso_worker_app.h"
#include "apps/lasso/reference_solver.h"
#include "apps/testing/in_process_driver.h"
#include "core/labeled_data.h"
#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

using apps::testing::InProcessOptions;
using apps::testing::InProcessResult;
using apps::testing::RunInProcess;

struct RealLikeCase {
  DesignKind kind;
  int64_t samples;
  int64_t features;
  double density;
  uint64_t seed;
  double lambda_ratio;  // lambda / lambda_max
  bool intercept;
};

std::string CaseName(const RealLikeCase& c) {
  return absl::StrFormat("%s_n%d_p%d_seed%d_ratio%g%s", DesignKindName(c.kind), c.samples,
                         c.features, c.seed, c.lambda_ratio, c.intercept ? "_intercept" : "");
}

// Every kind at both lambdas of the issue (0.1 and 0.01 lambda_max), three seeds each, half
// of them with an intercept (scikit-learn's default).
std::vector<RealLikeCase> AllCases() {
  struct Shape {
    DesignKind kind;
    int64_t samples;
    int64_t features;
    double density;
  };
  const Shape shapes[] = {
      {DesignKind::kOneHot, 300, 60, 0},       {DesignKind::kCounts, 150, 400, 0.03},
      {DesignKind::kBinary, 200, 300, 0.05},   {DesignKind::kSpectra, 40, 150, 0},
      {DesignKind::kDuplicated, 150, 80, 0.3}, {DesignKind::kGroups, 120, 200, 0.2},
  };
  std::vector<RealLikeCase> cases;
  for (const Shape& shape : shapes) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      for (double ratio : {0.1, 0.01}) {
        cases.push_back(
            {shape.kind, shape.samples, shape.features, shape.density, seed, ratio, seed % 2 == 0});
      }
    }
  }
  return cases;
}

struct WrittenCase {
  LassoProblem problem;
  std::string path;
};

WrittenCase Write(const RealLikeCase& c) {
  LassoProblemOptions options;
  options.kind = c.kind;
  options.samples = c.samples;
  options.features = c.features;
  options.density = c.density > 0 ? c.density : 0.1;
  options.correlation = 0.9;  // groups only
  options.seed = c.seed;
  WrittenCase written;
  absl::StatusOr<LassoProblem> problem = GenerateLassoProblem(options);
  EXPECT_TRUE(problem.ok()) << problem.status();
  written.problem = *std::move(problem);
  written.path = ::strads::TestTempDir() + "/" + CaseName(c) + ".libsvm";
  EXPECT_TRUE(core::WriteLibsvmFile(written.path, written.problem.data).ok());
  return written;
}

struct RunTrace {
  absl::Status status;
  InProcessResult result;
  double lambda = 0;
  // The largest rise of the true objective from one round to the next, relative to the objective.
  double worst_rise = 0;
  int64_t worst_rise_round = -1;
};

RunTrace RunCase(const RealLikeCase& c, const WrittenCase& written, const std::string& scheduler,
                 const std::string& dependency_check, int64_t max_rounds = 20000,
                 const std::string& working_set_max = "") {
  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = written.path;
  spec.workers = 2;
  spec.tolerance = 1e-10;
  spec.params = {{"path_ratio", absl::StrFormat("%.17g", c.lambda_ratio)},
                 {"scheduler", scheduler},
                 {"dependency_check", dependency_check},
                 {"intercept", c.intercept ? "true" : "false"}};
  if (!working_set_max.empty()) spec.params["working_set_max"] = working_set_max;
  LassoSchedulerApp app;
  RunTrace trace;
  double previous = -1;
  int64_t round = 0;
  InProcessOptions options;
  options.max_rounds = max_rounds;
  options.on_round = [&](const core::RoundPlan&, std::span<const core::Partial>) {
    ++round;
    std::vector<core::Metric> metrics;
    app.Metrics(&metrics);
    double lambda = 0;
    for (const core::Metric& metric : metrics) {
      if (metric.name == "lambda") lambda = metric.value;
    }
    const double f =
        ObjectiveFromData(written.problem.data, app.coefficients(), app.intercept(), lambda);
    if (previous >= 0 && f > previous) {
      const double rise = (f - previous) / previous;
      if (rise > trace.worst_rise) {
        trace.worst_rise = rise;
        trace.worst_rise_round = round;
      }
    }
    previous = f;
  };
  absl::StatusOr<InProcessResult> result = RunInProcess(app, NewLassoWorkerApp, spec, options);
  trace.status = result.status();
  if (result.ok()) {
    trace.result = *std::move(result);
    trace.lambda = *trace.result.Metric("lambda");
  }
  return trace;
}

class LassoOnRealLikeData : public ::testing::TestWithParam<RealLikeCase> {};

TEST_P(LassoOnRealLikeData, NeverRaisesTheObjectiveAndReachesTheReferenceOptimum) {
  const RealLikeCase& c = GetParam();
  const WrittenCase written = Write(c);
  for (const std::string scheduler : {"dynamic", "working-set"}) {
    SCOPED_TRACE(scheduler);
    // Dense spectra are the limit of any coordinate-descent route: every column correlates with
    // its neighbours above 0.9, so a safe batch holds one or two columns, and CD itself needs
    // thousands of sweeps there. Dynamic is held to safety and progress on them; the working-set
    // schedule, which is the default, to the optimum like everywhere else.
    const bool cd_crawls = c.kind == DesignKind::kSpectra && scheduler == "dynamic";
    const RunTrace trace = RunCase(c, written, scheduler, "gershgorin", cd_crawls ? 4000 : 20000);
    ASSERT_TRUE(trace.status.ok()) << trace.status;
    // Rounding only: an accumulated ||r||^2 of a few hundred terms is good to about 1e-13.
    EXPECT_LE(trace.worst_rise, 1e-11) << "at round " << trace.worst_rise_round;
    if (!cd_crawls) {
      EXPECT_EQ(trace.result.Metric("converged"), 1.0) << trace.result.rounds << " rounds";
    }
    if (scheduler == "dynamic") {
      EXPECT_EQ(trace.result.Metric("undone_rounds"), 0.0);  // the check alone kept it safe
    }
    absl::StatusOr<ReferenceSolution> reference =
        SolveLassoReference(written.problem.data, {.lambda = trace.lambda,
                                                   .tolerance = 1e-12,
                                                   .max_sweeps = 1000000,
                                                   .intercept = c.intercept});
    ASSERT_TRUE(reference.ok()) << reference.status();
    ASSERT_TRUE(reference->converged);
    const double objective = *trace.result.Metric("objective");
    if (cd_crawls) {
      EXPECT_LT(objective, 1.1 * reference->objective);
    } else {
      EXPECT_NEAR(objective, reference->objective, 1e-8 * reference->objective);
    }
    std::printf("%s %s: rounds=%lld updates=%.0f objective=%.12g reference=%.12g (%lld sweeps)\n",
                CaseName(c).c_str(), scheduler.c_str(), static_cast<long long>(trace.result.rounds),
                *trace.result.Metric("updates"), objective, reference->objective,
                static_cast<long long>(reference->sweeps));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, LassoOnRealLikeData, ::testing::ValuesIn(AllCases()), [](const auto& info) {
      std::string name = CaseName(info.param);
      std::replace_if(
          name.begin(), name.end(),
          [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
      return name;
    });

// The working-set schedule solves W from its Gram when W is small against the rows (one-hot, tall)
// and from its columns when the Gram would cost more (sparse p >> n): the test above reaches the
// optimum through both, which this one makes sure of.
TEST(LassoOnRealLikeData, TheWorkingSetSolvesOnTheGramOrOnTheColumnsByCost) {
  const RealLikeCase tall{DesignKind::kOneHot, 300, 60, 0, 1, 0.01, true};
  const RealLikeCase wide{DesignKind::kBinary, 200, 300, 0.05, 1, 0.01, true};
  const RunTrace on_gram = RunCase(tall, Write(tall), "working-set", "gershgorin");
  const RunTrace on_columns = RunCase(wide, Write(wide), "working-set", "gershgorin");
  ASSERT_TRUE(on_gram.status.ok()) << on_gram.status;
  ASSERT_TRUE(on_columns.status.ok()) << on_columns.status;
  EXPECT_EQ(on_gram.result.Metric("column_solves"), 0.0);
  EXPECT_GT(*on_columns.result.Metric("column_solves"), 0.0);
  EXPECT_EQ(on_columns.result.Metric("converged"), 1.0);
}

// working_set_max bounds the Gram only: a W solved on its columns (sparse p >> n) takes as many
// coordinates as the support asks for, so a saturated support far above the bound is still
// found in a few rounds, at the reference optimum, without raising the objective.
TEST(LassoOnRealLikeData, AColumnSolvedWorkingSetIsNotBoundByWorkingSetMax) {
  const RealLikeCase wide{DesignKind::kBinary, 200, 600, 0.05, 2, 0.01, true};
  const WrittenCase written = Write(wide);
  const RunTrace trace = RunCase(wide, written, "working-set", "gershgorin", 200, "16");
  ASSERT_TRUE(trace.status.ok()) << trace.status;
  EXPECT_EQ(trace.result.Metric("converged"), 1.0);
  EXPECT_GT(*trace.result.Metric("column_solves"), 0.0);
  EXPECT_GT(*trace.result.Metric("nnz"), 32.0);
  EXPECT_GT(*trace.result.Metric("working_set"), *trace.result.Metric("nnz"));
  EXPECT_LT(trace.result.rounds, 40);
  EXPECT_LE(trace.worst_rise, 1e-11) << "at round " << trace.worst_rise_round;
  absl::StatusOr<ReferenceSolution> reference = SolveLassoReference(
      written.problem.data,
      {.lambda = trace.lambda, .tolerance = 1e-12, .max_sweeps = 1000000, .intercept = true});
  ASSERT_TRUE(reference.ok()) << reference.status();
  EXPECT_NEAR(*trace.result.Metric("objective"), reference->objective, 1e-8 * reference->objective);
}

// The test above can fail: with the paper's pairwise check alone (|corr| < rho for every pair),
// batches of mildly correlated real-like columns raise the objective on most of these designs.
TEST(LassoOnRealLikeData, ThePairwiseCheckAloneRaisesTheObjective) {
  int raised = 0;
  int runs = 0;
  for (const RealLikeCase& c : AllCases()) {
    if (c.seed != 1 || c.lambda_ratio != 0.01) continue;
    const WrittenCase written = Write(c);
    const RunTrace trace = RunCase(c, written, "dynamic", "pairwise");
    ++runs;
    const bool diverged = !trace.status.ok();
    raised += diverged || trace.worst_rise > 1e-6;
    std::printf("%s pairwise: %s worst rise %.3g\n", CaseName(c).c_str(),
                diverged ? std::string(trace.status.message()).c_str() : "converged",
                trace.worst_rise);
  }
  EXPECT_GE(raised, runs / 2);
}

}  // namespace
}  // namespace strads::lasso
