#include "apps/lasso/lasso_app.h"

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
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/lasso_protocol.h"
#include "apps/lasso/lasso_scheduler_app.h"
#include "apps/lasso/lasso_worker_app.h"
#include "apps/lasso/reference_solver.h"
#include "apps/testing/in_process_driver.h"
#include "core/dependency_filter.h"
#include "core/labeled_data.h"
#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

using apps::testing::InProcessOptions;
using apps::testing::InProcessResult;
using apps::testing::RunInProcess;

struct WrittenProblem {
  LassoProblem problem;
  std::string path;
  double lambda = 0;
};

WrittenProblem WriteProblem(const LassoProblemOptions& options, const std::string& name) {
  WrittenProblem written;
  absl::StatusOr<LassoProblem> problem = GenerateLassoProblem(options);
  EXPECT_TRUE(problem.ok()) << problem.status();
  written.problem = *std::move(problem);
  written.path = ::strads::TestTempDir() + "/" + name + ".libsvm";
  absl::Status status = core::WriteLibsvmFile(written.path, written.problem.data);
  EXPECT_TRUE(status.ok()) << status;
  written.lambda = 0.1 * LambdaMax(written.problem.data.x, written.problem.data.y);
  return written;
}

// The correlated problem of the brief: 10 groups of 10 columns with in-group correlation 0.8.
const WrittenProblem& SmallCorrelatedProblem() {
  static const WrittenProblem* problem = new WrittenProblem(
      WriteProblem({.samples = 200, .features = 100, .density = 0.2, .correlation = 0.8, .seed = 3},
                   "small_correlated"));
  return *problem;
}

core::JobSpec SpecFor(const WrittenProblem& written, const std::string& scheduler, int batch,
                      double tolerance) {
  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = written.path;
  spec.workers = 2;
  spec.tolerance = tolerance;
  spec.params = {{"lambda", absl::StrFormat("%.17g", written.lambda)},
                 {"scheduler", scheduler},
                 {"batch", std::to_string(batch)}};
  return spec;
}

absl::StatusOr<InProcessResult> Solve(LassoSchedulerApp& app, const core::JobSpec& spec,
                                      InProcessOptions options = {}) {
  if (options.max_rounds == 0) options.max_rounds = 200000;
  return RunInProcess(app, NewLassoWorkerApp, spec, options);
}

TEST(LassoSchedulerApp, PrepareReportsTheReadersMessage) {
  LassoSchedulerApp app;
  core::JobSpec spec;
  spec.data_path = ::strads::TestTempDir() + "/does_not_exist.libsvm";
  absl::Status missing = app.Prepare(spec, 2);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("does_not_exist.libsvm"), std::string::npos) << missing;

  spec.data_path = ::strads::TestTempDir() + "/bad_index.libsvm";
  std::ofstream(spec.data_path) << "1 1:0.5\n2 0:1.0\n";
  absl::Status bad = app.Prepare(spec, 2);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("line 2"), std::string::npos) << bad;
  EXPECT_NE(bad.message().find("bad_index.libsvm"), std::string::npos) << bad;
}

TEST(LassoSchedulerApp, PrepareRefusesBadParameters) {
  LassoSchedulerApp app;
  core::JobSpec spec = SpecFor(SmallCorrelatedProblem(), "dynamic", 8, 0);
  spec.params["lambda"] = "-1";
  absl::Status status = app.Prepare(spec, 2);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("lambda"), std::string::npos) << status;
}

TEST(LassoSchedulerApp, PrepareRefusesValuesWhoseSquaresOverflow) {
  LassoSchedulerApp app;
  core::JobSpec spec;
  spec.data_path = ::strads::TestTempDir() + "/huge_value.libsvm";
  std::ofstream(spec.data_path) << "1 1:1e200\n2 2:1\n";
  absl::Status status = app.Prepare(spec, 2);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("feature 1 has values too large"), std::string::npos) << status;
  spec.params["standardize"] = "true";  // scaling must not hide it by zeroing the column
  status = app.Prepare(spec, 2);
  EXPECT_NE(status.message().find("feature 1 has values too large"), std::string::npos) << status;
  spec.params.erase("standardize");
  spec.data_path = ::strads::TestTempDir() + "/huge_label.libsvm";
  std::ofstream(spec.data_path) << "1e200 1:1\n2 2:1\n";
  status = app.Prepare(spec, 2);
  EXPECT_NE(status.message().find("labels are too large"), std::string::npos) << status;
}

// A stray large index adds a million all-zero columns. They can never move, so they must not
// space out the duality-gap checks (which decide when the job stops): the job takes the rounds it
// takes without them, and reaches the same objective.
TEST(LassoSchedulerApp, AllZeroColumnsDoNotDelayConvergence) {
  const WrittenProblem& problem = SmallCorrelatedProblem();
  const std::string wide_path = ::strads::TestTempDir() + "/stray_index.libsvm";
  {
    std::ifstream in(problem.path);
    std::ofstream out(wide_path);
    out << in.rdbuf() << "0 1000000:0\n";
  }
  core::JobSpec narrow = SpecFor(problem, "dynamic", 8, 1e-6);
  core::JobSpec wide = narrow;
  wide.data_path = wide_path;
  LassoSchedulerApp narrow_app;
  LassoSchedulerApp wide_app;
  absl::StatusOr<InProcessResult> narrow_result = Solve(narrow_app, narrow);
  absl::StatusOr<InProcessResult> wide_result = Solve(wide_app, wide);
  ASSERT_TRUE(narrow_result.ok()) << narrow_result.status();
  ASSERT_TRUE(wide_result.ok()) << wide_result.status();
  ASSERT_EQ(wide_result->outcome, core::RoundOutcome::kConverged);
  EXPECT_LE(wide_result->rounds, 2 * narrow_result->rounds);
  EXPECT_NEAR(*wide_result->Metric("objective"), *narrow_result->Metric("objective"),
              1e-5 * *narrow_result->Metric("objective"));
}

TEST(LassoSchedulerApp, DefaultsLambdaToATenthOfLambdaMax) {
  LassoSchedulerApp app;
  core::JobSpec spec = SpecFor(SmallCorrelatedProblem(), "dynamic", 8, 0);
  spec.params.erase("lambda");
  ASSERT_TRUE(app.Prepare(spec, 2).ok());
  EXPECT_DOUBLE_EQ(app.lambda(), SmallCorrelatedProblem().lambda);
  EXPECT_DOUBLE_EQ(app.lambda_max(), 10 * SmallCorrelatedProblem().lambda);
}

struct ScheduleCase {
  const char* scheduler;
  int batch;
};

class LassoSolvesLikeTheReference : public ::testing::TestWithParam<ScheduleCase> {};

TEST_P(LassoSolvesLikeTheReference, OnASmallCorrelatedProblem) {
  const WrittenProblem& written = SmallCorrelatedProblem();
  absl::StatusOr<ReferenceSolution> reference =
      SolveLassoReference(written.problem.data, {.lambda = written.lambda, .tolerance = 1e-12});
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_TRUE(reference->converged);

  LassoSchedulerApp app;
  absl::StatusOr<InProcessResult> result =
      Solve(app, SpecFor(written, GetParam().scheduler, GetParam().batch, 1e-12));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, core::RoundOutcome::kConverged);
  EXPECT_EQ(result->Metric("converged"), 1.0);
  EXPECT_LE(*result->Metric("relative_gap"), 1e-12);
  const double objective = *result->Metric("objective");
  EXPECT_NEAR(objective, reference->objective, 1e-8 * reference->objective);
  for (size_t j = 0; j < reference->beta.size(); ++j) {
    EXPECT_NEAR(app.coefficients()[j], reference->beta[j], 1e-4) << "j=" << j;
  }
  std::printf(
      "scheduler=%s batch=%d rounds=%lld updates=%.0f gap_rounds=%.0f "
      "(reference: %lld sweeps)\n",
      GetParam().scheduler, GetParam().batch, static_cast<long long>(result->rounds),
      *result->Metric("updates"), *result->Metric("gap_rounds"),
      static_cast<long long>(reference->sweeps));
}

INSTANTIATE_TEST_SUITE_P(Schedules, LassoSolvesLikeTheReference,
                         ::testing::Values(ScheduleCase{"working-set", 64},
                                           ScheduleCase{"dynamic", 8}, ScheduleCase{"static", 4},
                                           ScheduleCase{"cyclic", 1}, ScheduleCase{"random", 4}),
                         [](const auto& info) {
                           std::string name = info.param.scheduler;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(LassoDynamicSchedule, NeverPushesACorrelatedPairInOneBatch) {
  const WrittenProblem& written = SmallCorrelatedProblem();
  LassoSchedulerApp app;
  core::JobSpec spec = SpecFor(written, "dynamic", 16, 1e-10);
  spec.params["rho"] = "0.3";
  std::vector<std::vector<int64_t>> batches;
  InProcessOptions options;
  options.on_round = [&](const core::RoundPlan& plan, std::span<const core::Partial>) {
    ASSERT_FALSE(plan.tasks.empty());
    for (const core::Payload& task : plan.tasks) ASSERT_EQ(task.keys, plan.tasks[0].keys);
    if (plan.tasks[0].op == kPushCoordinates) batches.push_back(plan.tasks[0].keys);
  };
  absl::StatusOr<InProcessResult> result = Solve(app, spec, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_GT(batches.size(), 10u);
  core::ColumnCorrelation correlation(&written.problem.data.x);
  size_t largest = 0;
  for (const std::vector<int64_t>& batch : batches) {
    largest = std::max(largest, batch.size());
    for (size_t a = 0; a < batch.size(); ++a) {
      for (size_t b = a + 1; b < batch.size(); ++b) {
        ASSERT_LT(correlation.Get(batch[a], batch[b]), 0.3) << batch[a] << ", " << batch[b];
      }
    }
  }
  EXPECT_GT(largest, 1u);  // the check must not degrade to sequential updates
}

// Shotgun with every coordinate in one round on strongly correlated columns is a Jacobi step
// that overshoots along each group's common direction by about the group size: it diverges.
TEST(LassoRandomSchedule, DivergesWithAHugeBatchOnCorrelatedData) {
  const WrittenProblem written = WriteProblem(
      {.samples = 200, .features = 100, .density = 0.3, .correlation = 0.95, .seed = 4},
      "very_correlated");
  LassoSchedulerApp app;
  absl::StatusOr<InProcessResult> result = Solve(app, SpecFor(written, "random", 100, 1e-8));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status().message().find("diverged at round"), std::string::npos)
      << result.status();
  EXPECT_NE(result.status().message().find("--batch"), std::string::npos) << result.status();
  EXPECT_EQ(result.status().message().find("--pipeline"), std::string::npos) << result.status();
  // A pipelined job is also told that running one round at a time removes the staleness.
  core::JobSpec pipelined = SpecFor(written, "random", 100, 1e-8);
  pipelined.pipeline = 4;
  LassoSchedulerApp pipelined_app;
  result = Solve(pipelined_app, pipelined);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("(--pipeline 1)"), std::string::npos) << result.status();

  // The dependency check keeps the same batch size safe.
  LassoSchedulerApp dynamic;
  absl::StatusOr<InProcessResult> safe = Solve(dynamic, SpecFor(written, "dynamic", 100, 1e-8));
  ASSERT_TRUE(safe.ok()) << safe.status();
  EXPECT_EQ(safe->Metric("converged"), 1.0);
}

TEST(LassoApp, SurvivesAWorkerReplacedMidJob) {
  const WrittenProblem& written = SmallCorrelatedProblem();
  LassoSchedulerApp straight;
  absl::StatusOr<InProcessResult> baseline = Solve(straight, SpecFor(written, "dynamic", 8, 1e-12));
  ASSERT_TRUE(baseline.ok()) << baseline.status();

  LassoSchedulerApp app;
  InProcessOptions options;
  options.replace_worker_at_round = 9;
  options.num_workers = 3;
  options.shards_per_worker = 2;
  absl::StatusOr<InProcessResult> result =
      Solve(app, SpecFor(written, "dynamic", 8, 1e-12), options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->Metric("converged"), 1.0);
  EXPECT_NEAR(*result->Metric("objective"), *baseline->Metric("objective"),
              1e-9 * *baseline->Metric("objective"));
}

TEST(LassoApp, StopsAtMaxRoundsWithAFreshGapAndNotConverged) {
  LassoSchedulerApp app;
  core::JobSpec spec = SpecFor(SmallCorrelatedProblem(), "cyclic", 1, 1e-12);
  spec.max_rounds = 25;
  absl::StatusOr<InProcessResult> result = Solve(app, spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->rounds, 25);
  EXPECT_EQ(result->outcome, core::RoundOutcome::kContinue);
  EXPECT_EQ(result->Metric("converged"), 0.0);
  ASSERT_TRUE(result->Metric("relative_gap").has_value());  // round 24 was a gap round
  EXPECT_GT(*result->Metric("relative_gap"), 1e-12);
  EXPECT_EQ(result->Metric("rounds"), 25.0);
}

TEST(LassoApp, StopsOnceTheTargetObjectiveIsReached) {
  const WrittenProblem& written = SmallCorrelatedProblem();
  absl::StatusOr<ReferenceSolution> reference =
      SolveLassoReference(written.problem.data, {.lambda = written.lambda, .tolerance = 1e-12});
  ASSERT_TRUE(reference.ok()) << reference.status();
  LassoSchedulerApp full_app;
  absl::StatusOr<InProcessResult> full = Solve(full_app, SpecFor(written, "dynamic", 8, 1e-12));
  ASSERT_TRUE(full.ok()) << full.status();

  const double target = reference->objective * (1 + 1e-3);
  core::JobSpec spec = SpecFor(written, "dynamic", 8, 1e-12);
  spec.params["target_objective"] = absl::StrFormat("%.17g", target);
  LassoSchedulerApp app;
  absl::StatusOr<InProcessResult> result = Solve(app, spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, core::RoundOutcome::kConverged);
  EXPECT_LE(*result->Metric("objective"), target);
  EXPECT_LT(result->rounds, full->rounds);
}

TEST(LassoApp, AResumedJobContinuesFromItsCheckpoint) {
  const WrittenProblem& written = SmallCorrelatedProblem();
  absl::StatusOr<ReferenceSolution> reference =
      SolveLassoReference(written.problem.data, {.lambda = written.lambda, .tolerance = 1e-12});
  ASSERT_TRUE(reference.ok()) << reference.status();

  core::JobSpec partial_spec = SpecFor(written, "dynamic", 8, 1e-12);
  partial_spec.max_rounds = 40;
  LassoSchedulerApp first;
  ASSERT_TRUE(Solve(first, partial_spec).ok());
  std::ostringstream checkpoint;
  ASSERT_TRUE(first.SaveCheckpoint(checkpoint).ok());

  LassoSchedulerApp resumed;
  InProcessOptions options;
  options.checkpoint = checkpoint.str();
  options.first_round = 40;
  options.max_rounds = 0;
  absl::StatusOr<InProcessResult> result =
      Solve(resumed, SpecFor(written, "dynamic", 8, 1e-12), options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, core::RoundOutcome::kConverged);
  EXPECT_NEAR(*result->Metric("objective"), reference->objective, 1e-8 * reference->objective);
  // The round count (the model version workers check updates against) carried over.
  EXPECT_GT(result->rounds, 40);
  EXPECT_EQ(*result->Metric("rounds"), static_cast<double>(result->rounds));
}

// Everything a checkpoint holds is restored: saving again right after a restore gives the same
// bytes, for the schedules that keep state.
TEST(LassoApp, ACheckpointRestoresExactly) {
  for (const char* scheduler : {"dynamic", "static", "random"}) {
    core::JobSpec spec = SpecFor(SmallCorrelatedProblem(), scheduler, 8, 1e-12);
    spec.max_rounds = 25;
    LassoSchedulerApp first;
    ASSERT_TRUE(Solve(first, spec).ok()) << scheduler;
    std::ostringstream saved;
    ASSERT_TRUE(first.SaveCheckpoint(saved).ok());

    LassoSchedulerApp restored;
    ASSERT_TRUE(restored.Prepare(spec, 2).ok());
    std::istringstream in(saved.str());
    ASSERT_TRUE(restored.RestoreCheckpoint(in).ok()) << scheduler;
    std::ostringstream again;
    ASSERT_TRUE(restored.SaveCheckpoint(again).ok());
    EXPECT_EQ(again.str(), saved.str()) << scheduler;
  }
}

TEST(LassoApp, ACheckpointOfOtherDataIsRefused) {
  LassoSchedulerApp first;
  ASSERT_TRUE(Solve(first, SpecFor(SmallCorrelatedProblem(), "dynamic", 8, 1e-6)).ok());
  std::ostringstream checkpoint;
  ASSERT_TRUE(first.SaveCheckpoint(checkpoint).ok());

  LassoProblemOptions other;
  other.samples = 50;
  other.features = 30;
  other.density = 0.3;
  other.seed = 11;
  const WrittenProblem written = WriteProblem(other, "other_checkpoint_data");
  LassoSchedulerApp app;
  ASSERT_TRUE(app.Prepare(SpecFor(written, "dynamic", 8, 1e-6), 2).ok());
  std::istringstream in(checkpoint.str());
  EXPECT_EQ(app.RestoreCheckpoint(in).code(), absl::StatusCode::kDataLoss);
}

TEST(LassoApp, ReportsTheDocumentedMetrics) {
  LassoSchedulerApp app;
  absl::StatusOr<InProcessResult> result =
      Solve(app, SpecFor(SmallCorrelatedProblem(), "dynamic", 8, 1e-6));
  ASSERT_TRUE(result.ok()) << result.status();
  for (const char* name : {"objective", "duality_gap", "relative_gap", "nnz", "updates", "rounds",
                           "lambda", "lambda_max", "converged", "kept_per_round"}) {
    EXPECT_TRUE(result->Metric(name).has_value()) << name;
  }
  EXPECT_EQ(result->Metric("rounds"), static_cast<double>(result->rounds));
  int nnz = 0;
  for (double v : app.coefficients()) nnz += v != 0;
  EXPECT_EQ(result->Metric("nnz"), nnz);
}

TEST(LassoApp, WritesAModelThatReadsBackExactly) {
  LassoSchedulerApp app;
  absl::StatusOr<InProcessResult> result =
      Solve(app, SpecFor(SmallCorrelatedProblem(), "dynamic", 8, 1e-8));
  ASSERT_TRUE(result.ok()) << result.status();
  std::ostringstream out;
  ASSERT_TRUE(app.WriteModel(out).ok());
  std::istringstream in(out.str());
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "# strads lasso model");
  std::vector<double> read(app.coefficients().size(), 0.0);
  int lines = 0;
  bool saw_lambda = false;
  while (std::getline(in, line)) {
    if (line.starts_with("# lambda ")) {
      saw_lambda = true;
      EXPECT_EQ(std::stod(line.substr(9)), app.lambda());
    }
    if (line.starts_with("#")) continue;
    std::istringstream fields(line);
    int64_t index = 0;
    double value = 0;
    ASSERT_TRUE(fields >> index >> value) << line;
    ASSERT_GE(index, 1);
    ASSERT_LE(index, static_cast<int64_t>(read.size()));
    read[index - 1] = value;
    ++lines;
  }
  EXPECT_TRUE(saw_lambda);
  EXPECT_GT(lines, 0);
  EXPECT_EQ(read, app.coefficients());
}

TEST(LassoWorkerApp, RefusesAnUpdateThatSkipsAModelVersion) {
  const WrittenProblem& written = SmallCorrelatedProblem();
  LassoSchedulerApp scheduler;
  core::JobSpec spec = SpecFor(written, "cyclic", 1, 1e-6);
  ASSERT_TRUE(scheduler.Prepare(spec, 1).ok());
  LassoWorkerApp worker;
  ASSERT_TRUE(worker.Configure(spec).ok());
  core::Payload init;
  scheduler.ShardInit(0, &init);
  ASSERT_TRUE(worker.AddShard(0, *scheduler.ShardBytes(0), init).ok());

  core::Payload update;
  update.op = kApplyDeltas;
  update.keys = {3};
  update.values = {0.5, 2.0};  // version 2, but the shard is at version 0
  absl::Status status = worker.Apply(update);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("re-sent"), std::string::npos) << status;

  update.values = {0.5, 1.0};
  EXPECT_TRUE(worker.Apply(update).ok());
  EXPECT_TRUE(worker.Apply(update).ok());  // already reflected: skipped, not applied twice

  // The residual moved by exactly one application: compare with a fresh shard initialised at
  // b_3 = 0.5.
  LassoWorkerApp fresh;
  core::Payload init_b;
  init_b.op = kInitCoefficients;
  init_b.keys = {3};
  init_b.values = {0.5, 1.0};
  ASSERT_TRUE(fresh.AddShard(0, *scheduler.ShardBytes(0), init_b).ok());
  core::Payload gap_task;
  gap_task.op = kComputeGap;
  core::Partial a;
  core::Partial b;
  ASSERT_TRUE(worker.Push(gap_task, &a).ok());
  ASSERT_TRUE(fresh.Push(gap_task, &b).ok());
  ASSERT_EQ(a.values.size(), 101u);
  for (size_t i = 0; i < a.values.size(); ++i) EXPECT_NEAR(a.values[i], b.values[i], 1e-12);
}

TEST(LassoWorkerApp, PushesPartialDotProductsThatSumOverShards) {
  const WrittenProblem& written = SmallCorrelatedProblem();
  LassoSchedulerApp scheduler;
  core::JobSpec spec = SpecFor(written, "dynamic", 8, 1e-6);
  ASSERT_TRUE(scheduler.Prepare(spec, 3).ok());
  LassoWorkerApp one;
  LassoWorkerApp all;
  core::Payload init;
  for (int shard = 0; shard < 3; ++shard) {
    scheduler.ShardInit(shard, &init);
    ASSERT_TRUE(all.AddShard(shard, *scheduler.ShardBytes(shard), init).ok());
  }
  core::Payload task;
  task.op = kPushCoordinates;
  task.keys = {0, 42, 99};
  core::Partial partial;
  ASSERT_TRUE(all.Push(task, &partial).ok());
  ASSERT_EQ(partial.values.size(), 4u);
  // b = 0, so the residual is y: values are x_j'y and ||y||^2.
  const core::LabeledData& data = written.problem.data;
  std::vector<double> xty(data.x.cols);
  TransposeTimes(data.x, data.y, xty);
  double y_sq = 0;
  for (double v : data.y) y_sq += v * v;
  EXPECT_NEAR(partial.values[0], xty[0], 1e-10);
  EXPECT_NEAR(partial.values[1], xty[42], 1e-10);
  EXPECT_NEAR(partial.values[2], xty[99], 1e-10);
  EXPECT_NEAR(partial.values[3], y_sq, 1e-9 * y_sq);
  EXPECT_EQ(partial.work_units, data.x.col_ptr[1] - data.x.col_ptr[0] + data.x.col_ptr[43] -
                                    data.x.col_ptr[42] + data.x.col_ptr[100] - data.x.col_ptr[99]);
}

}  // namespace
}  // namespace strads::lasso

namespace strads::lasso {
namespace {

// The paper's claim at equal batch size: priorities focus the updates on the coordinates that
// still move (the solution is sparse), so the dynamic schedule converges in fewer rounds.
TEST(LassoDynamicSchedule, NeedsFewerRoundsThanStaticAndRandom) {
  const WrittenProblem written =
      WriteProblem({.samples = 500, .features = 500, .density = 0.1, .correlation = 0.8, .seed = 4},
                   "compare_schedules");
  std::map<std::string, int64_t> rounds;
  for (const char* scheduler : {"dynamic", "static", "random"}) {
    LassoSchedulerApp app;
    absl::StatusOr<InProcessResult> result = Solve(app, SpecFor(written, scheduler, 16, 1e-6));
    ASSERT_TRUE(result.ok()) << scheduler << ": " << result.status();
    ASSERT_EQ(result->Metric("converged"), 1.0) << scheduler;
    rounds[scheduler] = result->rounds;
  }
  std::printf("rounds to 1e-6 relative gap, batch 16: dynamic=%lld static=%lld random=%lld\n",
              static_cast<long long>(rounds["dynamic"]), static_cast<long long>(rounds["static"]),
              static_cast<long long>(rounds["random"]));
  EXPECT_LT(2 * rounds["dynamic"], rounds["static"]);
  EXPECT_LT(2 * rounds["dynamic"], rounds["random"]);
}

}  // namespace
}  // namespace strads::lasso
