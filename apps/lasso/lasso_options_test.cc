// The Lasso job options beyond the plain solve: an unpenalised intercept, standardized columns
// and the warm-started lambda path, each run through the cluster-free in-process driver and
// checked against the reference solver or a solve done by hand.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
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
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

using apps::testing::InProcessOptions;
using apps::testing::InProcessResult;
using apps::testing::RunInProcess;

// The correlated problem of the other app tests (seed 3), with its labels shifted by `shift` and
// column j multiplied by 1 + (j % 5) * 3 (so that standardizing changes the solution).
core::LabeledData OptionsProblem(double shift, bool rescale_columns) {
  absl::StatusOr<LassoProblem> problem = GenerateLassoProblem(
      {.samples = 200, .features = 100, .density = 0.2, .correlation = 0.8, .seed = 3});
  EXPECT_TRUE(problem.ok()) << problem.status();
  core::LabeledData data = std::move(problem->data);
  for (double& v : data.y) v += shift;
  if (rescale_columns) {
    for (int64_t j = 0; j < data.x.cols; ++j) {
      for (int64_t k = data.x.col_ptr[j]; k < data.x.col_ptr[j + 1]; ++k) {
        data.x.values[k] *= 1.0 + static_cast<double>(j % 5) * 3.0;
      }
    }
  }
  return data;
}

std::string WriteData(const core::LabeledData& data, const std::string& name) {
  const std::string path = ::strads::TestTempDir() + "/" + name + ".libsvm";
  absl::Status status = core::WriteLibsvmFile(path, data);
  EXPECT_TRUE(status.ok()) << status;
  return path;
}

double LambdaMaxWithIntercept(const core::LabeledData& data) {
  double mean = 0;
  for (double v : data.y) mean += v;
  mean /= static_cast<double>(data.y.size());
  std::vector<double> centred = data.y;
  for (double& v : centred) v -= mean;
  return LambdaMax(data.x, centred);
}

core::JobSpec Spec(const std::string& path, double lambda,
                   std::map<std::string, std::string> extra = {}, double tolerance = 1e-12) {
  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = path;
  spec.workers = 2;
  spec.tolerance = tolerance;
  spec.params = {
      {"lambda", absl::StrFormat("%.17g", lambda)}, {"scheduler", "dynamic"}, {"batch", "8"}};
  for (auto& [name, value] : extra) spec.params[name] = value;
  return spec;
}

absl::StatusOr<InProcessResult> Solve(LassoSchedulerApp& app, const core::JobSpec& spec,
                                      InProcessOptions options = {}) {
  if (options.max_rounds == 0) options.max_rounds = 200000;
  return RunInProcess(app, NewLassoWorkerApp, spec, options);
}

// ---------------------------------------------------------------------------------------------
// Intercept

TEST(LassoIntercept, MatchesTheReferenceWithTwoWorkers) {
  const core::LabeledData data = OptionsProblem(/*shift=*/7.5, /*rescale_columns=*/false);
  const std::string path = WriteData(data, "intercept_shifted");
  const double lambda = 0.1 * LambdaMaxWithIntercept(data);
  absl::StatusOr<ReferenceSolution> reference =
      SolveLassoReference(data, {.lambda = lambda, .tolerance = 1e-13, .intercept = true});
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_TRUE(reference->converged);

  for (const char* scheduler : {"dynamic", "cyclic", "static"}) {
    LassoSchedulerApp app;
    core::JobSpec spec = Spec(path, lambda, {{"intercept", "true"}, {"scheduler", scheduler}});
    absl::StatusOr<InProcessResult> result = Solve(app, spec);
    ASSERT_TRUE(result.ok()) << scheduler << ": " << result.status();
    EXPECT_EQ(result->outcome, core::RoundOutcome::kConverged) << scheduler;
    EXPECT_LE(*result->Metric("relative_gap"), 1e-12) << scheduler;
    const double objective = *result->Metric("objective");
    EXPECT_NEAR(objective, reference->objective, 1e-8 * reference->objective) << scheduler;
    // The reported objective is the model's, recomputed from scratch.
    EXPECT_NEAR(ObjectiveFromData(data, app.coefficients(), app.intercept(), lambda), objective,
                1e-9 * objective)
        << scheduler;
    EXPECT_NEAR(app.intercept(), reference->intercept, 1e-5) << scheduler;
    EXPECT_EQ(result->Metric("intercept"), app.intercept()) << scheduler;
    for (size_t j = 0; j < reference->beta.size(); ++j) {
      EXPECT_NEAR(app.coefficients()[j], reference->beta[j], 1e-4) << scheduler << " j=" << j;
    }
  }
  // Without the intercept the same data gives another (worse) fit: the test above can tell.
  absl::StatusOr<ReferenceSolution> plain =
      SolveLassoReference(data, {.lambda = lambda, .tolerance = 1e-13});
  ASSERT_TRUE(plain.ok());
  EXPECT_GT(plain->objective, 1.5 * reference->objective);
}

TEST(LassoIntercept, AShiftOfTheLabelsOnlyMovesTheIntercept) {
  const double shift = 40.0;
  const core::LabeledData base = OptionsProblem(0, false);
  const core::LabeledData shifted = OptionsProblem(shift, false);
  const double lambda = 0.1 * LambdaMaxWithIntercept(base);
  EXPECT_NEAR(LambdaMaxWithIntercept(shifted), LambdaMaxWithIntercept(base),
              1e-9 * LambdaMaxWithIntercept(base));

  LassoSchedulerApp base_app;
  absl::StatusOr<InProcessResult> base_result =
      Solve(base_app, Spec(WriteData(base, "intercept_base"), lambda, {{"intercept", "1"}}));
  ASSERT_TRUE(base_result.ok()) << base_result.status();
  LassoSchedulerApp shifted_app;
  absl::StatusOr<InProcessResult> shifted_result = Solve(
      shifted_app, Spec(WriteData(shifted, "intercept_plus_40"), lambda, {{"intercept", "yes"}}));
  ASSERT_TRUE(shifted_result.ok()) << shifted_result.status();

  ASSERT_EQ(base_result->Metric("converged"), 1.0);
  ASSERT_EQ(shifted_result->Metric("converged"), 1.0);
  EXPECT_NEAR(shifted_app.intercept() - base_app.intercept(), shift, 1e-6);
  EXPECT_NEAR(*shifted_result->Metric("objective"), *base_result->Metric("objective"),
              1e-8 * *base_result->Metric("objective"));
  int nnz = 0;
  for (size_t j = 0; j < base_app.coefficients().size(); ++j) {
    EXPECT_NEAR(shifted_app.coefficients()[j], base_app.coefficients()[j], 1e-5) << "j=" << j;
    nnz += base_app.coefficients()[j] != 0;
  }
  EXPECT_GT(nnz, 0);
}

// A replacement worker rebuilds its residual from ShardInit, which must carry b0; and a resumed
// job must carry b0 and the path's progress in its checkpoint.
TEST(LassoIntercept, SurvivesAReplacedWorkerAndAResume) {
  const core::LabeledData data = OptionsProblem(3.0, true);
  const std::string path = WriteData(data, "intercept_faults");
  const double lambda = 0.05 * LambdaMaxWithIntercept(data);
  const std::map<std::string, std::string> options = {
      {"intercept", "true"}, {"standardize", "true"}, {"path", "4"}};
  LassoSchedulerApp straight;
  absl::StatusOr<InProcessResult> baseline = Solve(straight, Spec(path, lambda, options));
  ASSERT_TRUE(baseline.ok()) << baseline.status();
  ASSERT_EQ(baseline->Metric("converged"), 1.0);
  const double expected = *baseline->Metric("objective");

  LassoSchedulerApp replaced;
  InProcessOptions replace;
  replace.replace_worker_at_round = 30;
  replace.num_workers = 3;
  replace.shards_per_worker = 2;
  absl::StatusOr<InProcessResult> result = Solve(replaced, Spec(path, lambda, options), replace);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->Metric("converged"), 1.0);
  EXPECT_NEAR(*result->Metric("objective"), expected, 1e-9 * expected);

  core::JobSpec partial = Spec(path, lambda, options);
  partial.max_rounds = 45;
  LassoSchedulerApp first;
  ASSERT_TRUE(Solve(first, partial).ok());
  ASSERT_NE(first.intercept(), 0.0);
  std::ostringstream checkpoint;
  ASSERT_TRUE(first.SaveCheckpoint(checkpoint).ok());
  LassoSchedulerApp resumed;
  InProcessOptions resume;
  resume.checkpoint = checkpoint.str();
  resume.first_round = 45;
  absl::StatusOr<InProcessResult> resumed_result =
      Solve(resumed, Spec(path, lambda, options), resume);
  ASSERT_TRUE(resumed_result.ok()) << resumed_result.status();
  EXPECT_EQ(resumed_result->Metric("converged"), 1.0);
  EXPECT_NEAR(*resumed_result->Metric("objective"), expected, 1e-9 * expected);
  EXPECT_EQ(resumed.path_points().size(), 4u);
}

// The worker defers intercept deltas (an offset folded in on gap rounds), yet pushes exactly
// what a worker whose residual absorbed them at once would.
TEST(LassoWorkerApp, PushesWithInterceptDeltasAsIfApplied) {
  const core::LabeledData data = OptionsProblem(2.0, false);
  const std::string path = WriteData(data, "worker_intercept");
  core::JobSpec spec = Spec(path, 1.0, {{"intercept", "true"}});
  LassoSchedulerApp scheduler;
  ASSERT_TRUE(scheduler.Prepare(spec, 2).ok());
  const int64_t m = data.x.cols;
  const double b0 = scheduler.intercept();

  auto make_worker = [&](LassoWorkerApp* worker, const std::vector<int64_t>& keys,
                         const std::vector<double>& values, int64_t version) {
    ASSERT_TRUE(worker->Configure(spec).ok());
    core::Payload init;
    init.op = kInitCoefficients;
    init.keys = keys;
    init.values = values;
    init.values.push_back(static_cast<double>(version));
    for (int shard = 0; shard < 2; ++shard) {
      ASSERT_TRUE(worker->AddShard(shard, *scheduler.ShardBytes(shard), init).ok());
    }
  };
  LassoWorkerApp lazy;
  make_worker(&lazy, {3, m}, {0.5, b0}, 0);
  core::Payload update;
  update.op = kApplyDeltas;
  update.keys = {3, m, 42};
  update.values = {0.25, -1.5, 0.125, 1.0};
  ASSERT_TRUE(lazy.Apply(update).ok());
  update.keys = {m};
  update.values = {0.75, 2.0};
  ASSERT_TRUE(lazy.Apply(update).ok());
  LassoWorkerApp eager;
  make_worker(&eager, {3, 42, m}, {0.75, 0.125, b0 - 0.75}, 2);

  core::Payload task;
  task.op = kPushCoordinates;
  task.keys = {0, 3, 42, 99};
  core::Partial a;
  core::Partial b;
  ASSERT_TRUE(lazy.Push(task, &a).ok());
  ASSERT_TRUE(eager.Push(task, &b).ok());
  ASSERT_EQ(a.values.size(), 5u);
  for (size_t i = 0; i < a.values.size(); ++i) {
    EXPECT_NEAR(a.values[i], b.values[i], 1e-9 * (1 + std::abs(b.values[i]))) << "i=" << i;
  }
  task.op = kComputeGap;
  task.keys.clear();
  ASSERT_TRUE(lazy.Push(task, &a).ok());
  ASSERT_TRUE(eager.Push(task, &b).ok());
  ASSERT_EQ(a.values.size(), static_cast<size_t>(m + 2));  // X'r, ||r||^2, sum(r)
  for (size_t i = 0; i < a.values.size(); ++i) {
    EXPECT_NEAR(a.values[i], b.values[i], 1e-9 * (1 + std::abs(b.values[i]))) << "i=" << i;
  }
  // The offset was folded in: pushes after the gap round still agree.
  task.op = kPushCoordinates;
  task.keys = {3, 7};
  ASSERT_TRUE(lazy.Push(task, &a).ok());
  ASSERT_TRUE(eager.Push(task, &b).ok());
  for (size_t i = 0; i < a.values.size(); ++i) {
    EXPECT_NEAR(a.values[i], b.values[i], 1e-9 * (1 + std::abs(b.values[i]))) << "i=" << i;
  }
}

// ---------------------------------------------------------------------------------------------
// Standardize

// s_j computed densely, independently of the app: the population standard deviation with an
// intercept, the root mean square without; 1 for a column where that is 0.
std::vector<double> HandScales(const core::LabeledData& data, bool intercept) {
  const int64_t n = data.x.rows;
  std::vector<double> scales(data.x.cols, 1.0);
  for (int64_t j = 0; j < data.x.cols; ++j) {
    std::vector<double> column(n, 0.0);
    for (int64_t k = data.x.col_ptr[j]; k < data.x.col_ptr[j + 1]; ++k) {
      column[data.x.row_idx[k]] = data.x.values[k];
    }
    double mean = 0;
    if (intercept) {
      for (double v : column) mean += v;
      mean /= static_cast<double>(n);
    }
    double sq = 0;
    for (double v : column) sq += (v - mean) * (v - mean);
    if (sq > 0) scales[j] = std::sqrt(sq / static_cast<double>(n));
  }
  return scales;
}

TEST(LassoStandardize, EqualsSolvingPreScaledDataByHandAndUnscaling) {
  const core::LabeledData data = OptionsProblem(2.0, /*rescale_columns=*/true);
  const std::string path = WriteData(data, "standardize_original");
  for (bool intercept : {false, true}) {
    SCOPED_TRACE(intercept ? "with intercept" : "without intercept");
    const std::vector<double> scales = HandScales(data, intercept);
    core::LabeledData scaled = data;
    for (int64_t j = 0; j < scaled.x.cols; ++j) {
      for (int64_t k = scaled.x.col_ptr[j]; k < scaled.x.col_ptr[j + 1]; ++k) {
        scaled.x.values[k] /= scales[j];
      }
    }
    const double lambda =
        0.1 * (intercept ? LambdaMaxWithIntercept(scaled) : LambdaMax(scaled.x, scaled.y));
    absl::StatusOr<ReferenceSolution> by_hand =
        SolveLassoReference(scaled, {.lambda = lambda, .tolerance = 1e-13, .intercept = intercept});
    ASSERT_TRUE(by_hand.ok()) << by_hand.status();

    LassoSchedulerApp app;
    core::JobSpec spec =
        Spec(path, lambda, {{"standardize", "true"}, {"intercept", intercept ? "true" : "false"}});
    absl::StatusOr<InProcessResult> result = Solve(app, spec);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->Metric("converged"), 1.0);
    for (size_t j = 0; j < scales.size(); ++j) {
      EXPECT_NEAR(app.scales()[j], scales[j], 1e-12 * scales[j]) << "j=" << j;
    }
    EXPECT_NEAR(*result->Metric("objective"), by_hand->objective, 1e-8 * by_hand->objective);
    const std::vector<double> original = app.OriginalCoefficients();
    for (size_t j = 0; j < scales.size(); ++j) {
      EXPECT_NEAR(original[j], by_hand->beta[j] / scales[j], 1e-5 / scales[j]) << "j=" << j;
    }
    EXPECT_NEAR(app.intercept(), by_hand->intercept, 1e-5);

    // The unscaled model predicts on the original data what the scaled one does on scaled data.
    EXPECT_NEAR(ObjectiveFromData(data, original, app.intercept(), 0),
                ObjectiveFromData(scaled, by_hand->beta, by_hand->intercept, 0),
                1e-7 * by_hand->objective);

    // The model file holds the original-scale coefficients.
    std::ostringstream out;
    ASSERT_TRUE(app.WriteModel(out).ok());
    std::istringstream in(out.str());
    std::string line;
    std::vector<double> read(original.size(), 0.0);
    bool saw_standardize = false;
    while (std::getline(in, line)) {
      if (line.starts_with("# standardize")) saw_standardize = true;
      if (line.starts_with("#")) continue;
      std::istringstream fields(line);
      int64_t index = 0;
      double value = 0;
      ASSERT_TRUE(fields >> index >> value) << line;
      read[index - 1] = value;
    }
    EXPECT_TRUE(saw_standardize);
    EXPECT_EQ(read, original);
  }
}

// ---------------------------------------------------------------------------------------------
// Path

TEST(LassoPath, EndsAtTheDirectSolutionThroughDecreasingLambdas) {
  const core::LabeledData data = OptionsProblem(0, false);
  const std::string path = WriteData(data, "path_plain");
  const double lambda_max = LambdaMax(data.x, data.y);
  const double lambda = 0.02 * lambda_max;
  absl::StatusOr<ReferenceSolution> direct =
      SolveLassoReference(data, {.lambda = lambda, .tolerance = 1e-13});
  ASSERT_TRUE(direct.ok()) << direct.status();

  LassoSchedulerApp app;
  absl::StatusOr<InProcessResult> result = Solve(app, Spec(path, lambda, {{"path", "8"}}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, core::RoundOutcome::kConverged);
  EXPECT_NEAR(*result->Metric("objective"), direct->objective, 1e-8 * direct->objective);
  EXPECT_EQ(result->Metric("path_point"), 7.0);
  EXPECT_EQ(result->Metric("lambda"), lambda);

  const std::vector<LassoSchedulerApp::PathPoint>& points = app.path_points();
  ASSERT_EQ(points.size(), 8u);
  EXPECT_NEAR(points.front().lambda, lambda_max, 1e-12 * lambda_max);
  EXPECT_EQ(points.front().nnz, 0);
  EXPECT_EQ(points.front().rounds, 0);  // b = 0 solves lambda_max
  EXPECT_EQ(points.back().lambda, lambda);
  int64_t rounds = 0;
  for (size_t k = 0; k < points.size(); ++k) {
    rounds += points[k].rounds;
    if (k > 0) {
      EXPECT_LT(points[k].lambda, points[k - 1].lambda) << "k=" << k;
      // Log-spaced: a constant ratio.
      EXPECT_NEAR(points[k].lambda / points[k - 1].lambda, std::pow(0.02, 1.0 / 7), 1e-12);
      EXPECT_GT(points[k].rounds, 0) << "k=" << k;
      // Each recorded objective is the solution's at its lambda: no better than optimal.
      absl::StatusOr<ReferenceSolution> at_k =
          SolveLassoReference(data, {.lambda = points[k].lambda, .tolerance = 1e-13});
      ASSERT_TRUE(at_k.ok());
      EXPECT_NEAR(points[k].objective, at_k->objective, 1e-9 * at_k->objective) << "k=" << k;
    }
  }
  EXPECT_GT(points.back().nnz, 0);
  EXPECT_EQ(rounds, result->rounds);  // every round belongs to one point

  // The model file: one "# path" line per point, and the final lambda's solution.
  std::ostringstream out;
  ASSERT_TRUE(app.WriteModel(out).ok());
  std::istringstream in(out.str());
  std::string line;
  int path_lines = 0;
  std::vector<double> read(app.coefficients().size(), 0.0);
  while (std::getline(in, line)) {
    if (line.starts_with("# path ")) {
      const LassoSchedulerApp::PathPoint& point = points[path_lines];
      EXPECT_EQ(line, absl::StrFormat("# path %d lambda=%.17g nnz=%d objective=%.17g rounds=%d",
                                      path_lines, point.lambda, point.nnz, point.objective,
                                      point.rounds));
      ++path_lines;
    }
    if (line.starts_with("# lambda ")) EXPECT_EQ(std::stod(line.substr(9)), lambda);
    if (line.starts_with("#")) continue;
    std::istringstream fields(line);
    int64_t index = 0;
    double value = 0;
    ASSERT_TRUE(fields >> index >> value) << line;
    read[index - 1] = value;
  }
  EXPECT_EQ(path_lines, 8);
  EXPECT_EQ(read, app.coefficients());
}

TEST(LassoPath, WithInterceptMatchesTheReferenceAtTheFinalLambda) {
  const core::LabeledData data = OptionsProblem(-4.0, false);
  const double ratio = 0.03;
  const double lambda = ratio * LambdaMaxWithIntercept(data);
  absl::StatusOr<ReferenceSolution> direct =
      SolveLassoReference(data, {.lambda = lambda, .tolerance = 1e-13, .intercept = true});
  ASSERT_TRUE(direct.ok()) << direct.status();

  // The final lambda given as a fraction of lambda_max.
  core::JobSpec spec = Spec(WriteData(data, "path_intercept"), 0,
                            {{"path", "5"}, {"intercept", "true"}, {"path_ratio", "0.03"}});
  spec.params.erase("lambda");
  LassoSchedulerApp app;
  absl::StatusOr<InProcessResult> result = Solve(app, spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, core::RoundOutcome::kConverged);
  EXPECT_NEAR(app.lambda(), lambda, 1e-12 * lambda);
  EXPECT_NEAR(*result->Metric("objective"), direct->objective, 1e-8 * direct->objective);
  EXPECT_NEAR(app.intercept(), direct->intercept, 1e-5);
  ASSERT_EQ(app.path_points().size(), 5u);
}

// Warm starts: each point starts next to its solution, so the path costs fewer rounds than
// solving its lambdas one by one from zero (the points at lambda_max need no rounds either way).
TEST(LassoPath, TakesFewerRoundsThanSolvingEachLambdaCold) {
  const core::LabeledData data = OptionsProblem(0, false);
  const std::string path = WriteData(data, "path_cold");
  const double lambda = 0.01 * LambdaMax(data.x, data.y);
  LassoSchedulerApp app;
  absl::StatusOr<InProcessResult> warm =
      Solve(app, Spec(path, lambda, {{"path", "6"}, {"gap_every", "4"}}, 1e-8));
  ASSERT_TRUE(warm.ok()) << warm.status();
  ASSERT_EQ(warm->Metric("converged"), 1.0);
  int64_t cold_total = 0;
  int64_t cold_final = 0;
  for (size_t k = 1; k < app.path_lambdas().size(); ++k) {
    LassoSchedulerApp cold;
    absl::StatusOr<InProcessResult> result =
        Solve(cold, Spec(path, app.path_lambdas()[k], {{"gap_every", "4"}}, 1e-8));
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->Metric("converged"), 1.0);
    cold_total += result->rounds;
    cold_final = result->rounds;
    std::printf("point %zu lambda=%g warm=%lld cold=%lld\n", k, app.path_lambdas()[k],
                static_cast<long long>(app.path_points()[k].rounds),
                static_cast<long long>(result->rounds));
  }
  std::printf("path of 6: %lld rounds; cold solves: %lld in all, %lld for the final lambda\n",
              static_cast<long long>(warm->rounds), static_cast<long long>(cold_total),
              static_cast<long long>(cold_final));
  EXPECT_LT(warm->rounds, cold_total);
  EXPECT_LT(warm->rounds, 3 * cold_final);
}

// The working-set schedule walks the path too: each point's gap round hands over to the next
// lambda, and the working set of the last point is its starting one.
TEST(LassoPath, TheWorkingSetScheduleEndsAtTheDirectSolution) {
  const core::LabeledData data = OptionsProblem(3.0, false);
  const std::string path = WriteData(data, "path_working_set");
  const double lambda = 0.01 * LambdaMaxWithIntercept(data);
  absl::StatusOr<ReferenceSolution> direct =
      SolveLassoReference(data, {.lambda = lambda, .tolerance = 1e-12, .intercept = true});
  ASSERT_TRUE(direct.ok());
  LassoSchedulerApp app;
  absl::StatusOr<InProcessResult> result =
      Solve(app, Spec(path, lambda,
                      {{"scheduler", "working-set"}, {"path", "6"}, {"intercept", "true"}}, 1e-10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, core::RoundOutcome::kConverged);
  EXPECT_LT(result->rounds, 60);
  EXPECT_NEAR(*result->Metric("objective"), direct->objective, 1e-8 * direct->objective);
  ASSERT_EQ(app.path_points().size(), 6u);
}

TEST(LassoOptions, APlainJobsModelFileHasNoOptionLines) {
  const core::LabeledData data = OptionsProblem(0, false);
  LassoSchedulerApp app;
  ASSERT_TRUE(
      Solve(app, Spec(WriteData(data, "plain_model"), 0.1 * LambdaMax(data.x, data.y))).ok());
  std::ostringstream out;
  ASSERT_TRUE(app.WriteModel(out).ok());
  const std::string text = out.str();
  for (const char* absent : {"# intercept", "# path", "# standardize", "# predict"}) {
    EXPECT_EQ(text.find(absent), std::string::npos) << absent;
  }
  std::vector<core::Metric> metrics;
  app.Metrics(&metrics);
  for (const core::Metric& metric : metrics) {
    EXPECT_NE(metric.name, "path_point");
    EXPECT_NE(metric.name, "intercept");
  }
}

TEST(LassoOptions, TheModelFileGivesTheIntercept) {
  const core::LabeledData data = OptionsProblem(5.0, false);
  LassoSchedulerApp app;
  ASSERT_TRUE(Solve(app, Spec(WriteData(data, "intercept_model"),
                              0.1 * LambdaMaxWithIntercept(data), {{"intercept", "true"}}))
                  .ok());
  std::ostringstream out;
  ASSERT_TRUE(app.WriteModel(out).ok());
  std::istringstream in(out.str());
  std::string line;
  bool saw = false;
  while (std::getline(in, line)) {
    if (line.starts_with("# intercept ")) {
      saw = true;
      EXPECT_EQ(std::stod(line.substr(12)), app.intercept());
    }
  }
  EXPECT_TRUE(saw);
  EXPECT_GT(app.intercept(), 4.0);
}

// alpha is the scikit-learn / glmnet scale of the same penalty: lambda = N * alpha.
TEST(LassoAlpha, GivesTheSolutionOfTheMatchingLambda) {
  const core::LabeledData data = OptionsProblem(2.0, false);
  const std::string path = WriteData(data, "alpha");
  const double alpha = 0.05 * LambdaMaxWithIntercept(data) / static_cast<double>(data.y.size());
  for (const char* scheduler : {"working-set", "dynamic"}) {
    SCOPED_TRACE(scheduler);
    core::JobSpec by_alpha = Spec(path, 1, {{"scheduler", scheduler}, {"intercept", "true"}});
    by_alpha.params.erase("lambda");
    by_alpha.params["alpha"] = absl::StrFormat("%.17g", alpha);
    const core::JobSpec by_lambda = Spec(path, alpha * static_cast<double>(data.y.size()),
                                         {{"scheduler", scheduler}, {"intercept", "true"}});
    LassoSchedulerApp a;
    LassoSchedulerApp b;
    absl::StatusOr<InProcessResult> ra = Solve(a, by_alpha);
    absl::StatusOr<InProcessResult> rb = Solve(b, by_lambda);
    ASSERT_TRUE(ra.ok()) << ra.status();
    ASSERT_TRUE(rb.ok()) << rb.status();
    EXPECT_DOUBLE_EQ(*ra->Metric("alpha"), alpha);
    EXPECT_DOUBLE_EQ(*ra->Metric("lambda"), *rb->Metric("lambda"));
    EXPECT_EQ(a.coefficients(), b.coefficients());
    EXPECT_EQ(a.intercept(), b.intercept());
    std::ostringstream model;
    ASSERT_TRUE(a.WriteModel(model).ok());
    EXPECT_NE(model.str().find(absl::StrFormat("# alpha %.17g\n", alpha)), std::string::npos)
        << model.str();
  }
  core::JobSpec both = Spec(path, 1.0);
  both.params["alpha"] = "0.1";
  LassoSchedulerApp refused;
  absl::StatusOr<InProcessResult> result = Solve(refused, both);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("alpha"), std::string::npos) << result.status();
}

// The safeguard: a round whose deltas are pushed 5 times too far raises F; the objective monitor
// sees it in the next round's partials, the workers apply the opposite deltas, the batch limit
// halves, and the job still ends at the optimum of an undisturbed run.
TEST(LassoObjectiveMonitor, UndoesABadBatchAndEndsAtTheSameOptimum) {
  const core::LabeledData data = OptionsProblem(0.0, false);
  const std::string path = WriteData(data, "overshoot");
  const double lambda = 0.1 * LambdaMax(data.x, data.y);
  LassoSchedulerApp undisturbed;
  absl::StatusOr<InProcessResult> clean = Solve(undisturbed, Spec(path, lambda));
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_EQ(clean->Metric("undone_rounds"), 0.0);

  LassoSchedulerApp app;
  const int64_t bad_round = 5;
  std::vector<double> objective_before_bad;
  std::vector<double> model_after_undo;
  std::vector<double> model_before_bad;
  int64_t round = 0;
  InProcessOptions options;
  options.on_round = [&](const core::RoundPlan&, std::span<const core::Partial>) {
    if (round == bad_round - 1) model_before_bad = app.coefficients();
    if (round == bad_round + 1) model_after_undo = app.coefficients();
    ++round;
  };
  absl::StatusOr<InProcessResult> result =
      Solve(app, Spec(path, lambda, {{"overshoot_round", std::to_string(bad_round)}}), options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->Metric("undone_rounds"), 1.0);
  EXPECT_EQ(model_after_undo, model_before_bad);  // exactly the model before the bad round
  EXPECT_EQ(result->Metric("converged"), 1.0);
  EXPECT_NEAR(*result->Metric("objective"), *clean->Metric("objective"),
              1e-10 * *clean->Metric("objective"));

  // Without the monitor (the pairwise check alone) the same bad round is kept.
  LassoSchedulerApp unguarded;
  absl::StatusOr<InProcessResult> kept = Solve(
      unguarded,
      Spec(path, lambda,
           {{"overshoot_round", std::to_string(bad_round)}, {"dependency_check", "pairwise"}}));
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_FALSE(kept->Metric("undone_rounds").has_value() && *kept->Metric("undone_rounds") > 0);
}

// ---------------------------------------------------------------------------------------------
// Degenerate data

// When no feature correlates with the (centred) labels, lambda_max is 0 and b = 0 (b0 = mean(y))
// solves every lambda: the default lambda (a fraction of lambda_max) would be 0. The job ends at
// its first model round with that model and says why, served or shared, default or explicit
// lambda, whatever the schedule (on main, constant columns with the intercept ran unregularised
// on rounding: cyclic to its round limit, working-set never ended its round).
TEST(LassoDegenerateData, EndsAtOnceWithTheZeroModelAndSaysWhy) {
  struct Case {
    const char* name;
    bool intercept;
    double y_mean;  // the intercept expected
  };
  const Case cases[] = {{"y_zero", false, 0},
                        {"x_zero", false, 0},
                        {"x_constant", true, 0.05},
                        {"y_constant", true, 0.1}};
  for (const Case& c : cases) {
    const std::string path = ::strads::TestTempDir() + "/degenerate_" + c.name + ".libsvm";
    {
      std::ofstream out(path);
      for (int i = 0; i < 40; ++i) {
        const double varying = ((i * 7) % 11 - 5) * 0.1;
        const std::string name = c.name;
        if (name == "y_zero") {
          out << "0 1:" << varying << " 2:" << (i % 3) << " 3:" << 0.5 * i << "\n";
        } else if (name == "x_zero") {
          out << varying << " 1:0 2:0\n";
        } else if (name == "x_constant") {
          out << (i % 2 == 0 ? 0.25 : -0.15) << " 1:3.7 2:0.1 3:-2.2\n";
        } else {
          out << "0.1 1:" << varying << " 2:" << (i % 3) << " 3:" << 0.5 * i << "\n";
        }
      }
    }
    for (const char* access : {"served", "shared"}) {
      for (const char* scheduler : {"working-set", "dynamic", "cyclic"}) {
        for (const bool explicit_lambda : {false, true}) {
          SCOPED_TRACE(absl::StrFormat("%s %s %s lambda %s", c.name, access, scheduler,
                                       explicit_lambda ? "1" : "default"));
          core::JobSpec spec = Spec(path, 1.0,
                                    {{"scheduler", scheduler},
                                     {"data_access", access},
                                     {"intercept", c.intercept ? "true" : "false"}});
          if (!explicit_lambda) spec.params.erase("lambda");
          LassoSchedulerApp app;
          absl::StatusOr<InProcessResult> result = Solve(app, spec, {.max_rounds = 100});
          ASSERT_TRUE(result.ok()) << result.status();
          EXPECT_EQ(result->outcome, core::RoundOutcome::kConverged);
          EXPECT_EQ(result->rounds, 1 + app.extra_rounds());
          EXPECT_EQ(*result->Metric("lambda_max"), 0.0);
          EXPECT_EQ(*result->Metric("lambda"), explicit_lambda ? 1.0 : 0.0);
          EXPECT_EQ(*result->Metric("nnz"), 0.0);
          for (double b : app.coefficients()) EXPECT_EQ(b, 0.0);
          if (c.intercept) EXPECT_NEAR(app.intercept(), c.y_mean, 1e-12);
          EXPECT_THAT(app.EndNote(), ::testing::HasSubstr("lambda_max is 0"));
          EXPECT_THAT(app.EndNote(),
                      ::testing::HasSubstr(c.intercept ? "b = 0 with intercept mean(y)" : "b = 0"));
        }
      }
    }
  }
}

// Data whose correlations are far from rounding keep their lambda_max and no note.
TEST(LassoDegenerateData, OrdinaryDataHasNoNote) {
  const core::LabeledData data = OptionsProblem(/*shift=*/7.5, /*rescale_columns=*/false);
  core::JobSpec spec = Spec(WriteData(data, "not_degenerate"), 1.0, {{"intercept", "true"}});
  spec.params.erase("lambda");
  LassoSchedulerApp app;
  absl::StatusOr<InProcessResult> result = Solve(app, spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NEAR(*result->Metric("lambda_max"), LambdaMaxWithIntercept(data),
              1e-12 * LambdaMaxWithIntercept(data));
  EXPECT_EQ(app.EndNote(), "");
  EXPECT_FALSE(result->Metric("solved_at_start").has_value());
}

}  // namespace
}  // namespace strads::lasso
