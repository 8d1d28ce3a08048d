#include "scheduler_service/round_engine.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "apps/lasso/generator.h"
#include "apps/lasso/lasso_app.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/lasso_scheduler_app.h"
#include "core/labeled_data.h"
#include "core/test_temp_dir.h"
#include "gtest/gtest.h"
#include "scheduler_service/testing/scripted_workers.h"

namespace strads::scheduler {
namespace {

using testing::ScriptedWorkers;
using testing::WorkerRecord;
using testing::WorkerScript;

class RecordingSink final : public ProgressSink {
 public:
  void OnState(JobState state, const std::string& message) override {
    states.push_back(state);
    messages.push_back(message);
  }
  void OnProgress(int64_t round, double, const std::vector<core::Metric>&,
                  int live_workers) override {
    last_live_workers = live_workers;
  }
  std::vector<JobState> states;
  std::vector<std::string> messages;
  int last_live_workers = 0;
};

// A small correlated Lasso problem, written once per test process.
const std::string& ProblemPath(double* lambda) {
  static double problem_lambda = 0;
  static const std::string* path = [] {
    absl::StatusOr<lasso::LassoProblem> problem = lasso::GenerateLassoProblem(
        {.samples = 120, .features = 60, .density = 0.3, .correlation = 0.5, .seed = 7});
    if (!problem.ok()) std::abort();
    auto* written = new std::string(::strads::TestTempDir() + "/engine_lasso.libsvm");
    if (!core::WriteLibsvmFile(*written, problem->data).ok()) std::abort();
    problem_lambda = 0.1 * lasso::LambdaMax(problem->data.x, problem->data.y);
    return written;
  }();
  *lambda = problem_lambda;
  return *path;
}

core::JobSpec LassoSpec(const std::string& scheduler, int workers, int pipeline = 0) {
  double lambda = 0;
  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = ProblemPath(&lambda);
  spec.workers = workers;
  spec.tolerance = 1e-10;
  spec.max_rounds = 20000;
  spec.pipeline = pipeline;
  spec.params = {
      {"lambda", absl::StrFormat("%.17g", lambda)}, {"scheduler", scheduler}, {"batch", "8"}};
  return spec;
}

// One job, its pool, its scripted workers and its engine's outcome.
struct EngineRun {
  explicit EngineRun(const core::JobSpec& job_spec, int num_shards = 4) : spec(job_spec) {
    const absl::Status status = app.Prepare(spec, num_shards);
    EXPECT_TRUE(status.ok()) << status;
  }
  absl::StatusOr<EngineResult> Go(EngineOptions options = {}) {
    RoundEngine engine("job-1", spec, &app, &pool, &cancel, &sink, options);
    return engine.Run();
  }

  core::JobSpec spec;
  lasso::LassoSchedulerApp app;
  WorkerPool pool;
  ScriptedWorkers workers{&pool, &app, lasso::NewLassoWorkerApp};
  std::atomic<bool> cancel{false};
  RecordingSink sink;
};

// The reference: two well-behaved workers.
struct Undisturbed {
  double objective = 0;
  std::vector<double> b;
  int64_t rounds = 0;
};
const Undisturbed& UndisturbedRun(const std::string& scheduler) {
  static std::map<std::string, Undisturbed>* runs = new std::map<std::string, Undisturbed>;
  auto it = runs->find(scheduler);
  if (it != runs->end()) return it->second;
  EngineRun run(LassoSpec(scheduler, 2));
  run.workers.Connect("a");
  run.workers.Connect("b");
  absl::StatusOr<EngineResult> result = run.Go();
  EXPECT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->converged) << result->stop_reason;
  Undisturbed& out = (*runs)[scheduler];
  out.objective = run.app.objective();
  out.b = run.app.coefficients();
  out.rounds = result->rounds;
  return out;
}

// The same optimum as the undisturbed run: the objective to 1e-9 relative, every coefficient
// close (a moved shard only changes the order partial sums are added in).
void ExpectSameSolution(const EngineRun& run, const std::string& scheduler) {
  const Undisturbed& reference = UndisturbedRun(scheduler);
  EXPECT_NEAR(run.app.objective(), reference.objective, 1e-9 * reference.objective);
  ASSERT_EQ(run.app.coefficients().size(), reference.b.size());
  for (size_t j = 0; j < reference.b.size(); ++j) {
    EXPECT_NEAR(run.app.coefficients()[j], reference.b[j], 1e-5) << "coefficient " << j;
  }
}

TEST(RoundEngine, UndisturbedRunConvergesWithEveryWorkerAnswering) {
  EngineRun run(LassoSpec("dynamic", 2));
  const std::string a = run.workers.Connect("a");
  const std::string b = run.workers.Connect("b");
  absl::StatusOr<EngineResult> result = run.Go();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->converged);
  EXPECT_GT(result->rounds, 10);
  EXPECT_EQ(run.workers.record(a).replies, result->rounds);
  EXPECT_EQ(run.workers.record(b).replies, result->rounds);
  EXPECT_EQ(run.workers.record(a).releases, 1);
  ExpectSameSolution(run, "dynamic");
}

TEST(RoundEngine, WorkerLostMidRoundIsReplacedByAnIdleOneAndTheRoundRepeated) {
  for (const std::string scheduler : {"dynamic", "static", "working-set"}) {
    SCOPED_TRACE(scheduler);
    EngineRun run(LassoSpec(scheduler, 2));
    const std::string a = run.workers.Connect("a");
    const std::string b = run.workers.Connect("b", {.detach_at_task = 2});
    const std::string spare = run.workers.Connect("spare");
    absl::StatusOr<EngineResult> result = run.Go();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->converged);
    EXPECT_TRUE(run.workers.record(b).detached);
    EXPECT_EQ(run.workers.record(spare).shards_added, 2) << "the spare took the lost shards";
    EXPECT_EQ(run.workers.record(spare).replies, result->rounds - 1);
    // Worker a answered the attempt that was abandoned as well as its repeat.
    EXPECT_EQ(run.workers.record(a).replies, result->rounds + 1);
    EXPECT_EQ(result->rounds, UndisturbedRun(scheduler).rounds);
    ExpectSameSolution(run, scheduler);
  }
}

TEST(RoundEngine, LateReplyToAnAbandonedAttemptIsIgnored) {
  // a holds its reply to round 5's first attempt and delivers it (as NaNs) around its reply to
  // the repeat; taking it for the repeat's, or letting it overwrite it, would poison the model.
  EngineRun run(LassoSpec("dynamic", 2));
  const std::string a = run.workers.Connect("a", {.hold_reply_of_task = 5});
  run.workers.Connect("b", {.detach_at_task = 5});
  run.workers.Connect("spare");
  // Replies are synchronous here, so only a pool that mixed up the attempts ever waits.
  EngineOptions options;
  options.round_timeout = absl::Seconds(5);
  absl::StatusOr<EngineResult> result = run.Go(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->converged);
  EXPECT_EQ(run.workers.record(a).replies, result->rounds)
      << "a was dropped: its reply to the repeat was lost";
  EXPECT_EQ(result->rounds, UndisturbedRun("dynamic").rounds);
  EXPECT_TRUE(std::isfinite(run.app.objective()));
  ExpectSameSolution(run, "dynamic");
}

TEST(RoundEngine, LateWorkerIsDroppedAtTheRoundTimeoutAndNotClaimedAgain) {
  EngineRun run(LassoSpec("dynamic", 2));
  const std::string a = run.workers.Connect("a");
  const std::string slow = run.workers.Connect("slow", {.silent_from_task = 4});
  const std::string spare = run.workers.Connect("spare");
  EngineOptions options;
  options.round_timeout = absl::Milliseconds(30);  // only the silent worker ever reaches it
  absl::StatusOr<EngineResult> result = run.Go(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->converged);
  EXPECT_EQ(run.workers.record(slow).releases, 1) << "the late worker was let go";
  EXPECT_EQ(run.workers.record(slow).tasks, 4) << "and never given work again";
  EXPECT_EQ(run.workers.record(spare).shards_added, 2);
  ExpectSameSolution(run, "dynamic");
}

TEST(RoundEngine, EveryWorkerLateWithNoneIdleFailsTheJobNamingTheTimeout) {
  EngineRun run(LassoSpec("dynamic", 1));
  run.workers.Connect("slow", {.silent_from_task = 2});
  EngineOptions options;
  options.round_timeout = absl::Milliseconds(20);
  absl::StatusOr<EngineResult> result = run.Go(options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(result.status().message().find("round timeout"), std::string::npos) << result.status();
}

TEST(RoundEngine, JobGoesOnShortOfAWorkerAndTakesBackOneThatRejoins) {
  for (const std::string scheduler : {"dynamic", "static"}) {
    SCOPED_TRACE(scheduler);
    EngineRun run(LassoSpec(scheduler, 2));
    const std::string a = run.workers.Connect("a");
    const std::string b = run.workers.Connect("b", {.detach_at_task = 4});
    std::string rejoined;
    // While a works alone, b's machine comes back as a new session.
    run.workers.before_task = [&](const std::string& id, int64_t task) {
      if (id == a && task == 10 && rejoined.empty()) rejoined = run.workers.Connect("b-again");
    };
    absl::StatusOr<EngineResult> result = run.Go();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->converged);
    ASSERT_FALSE(rejoined.empty());
    EXPECT_GT(run.workers.record(rejoined).shards_added, 0) << "capacity was restored";
    EXPECT_GT(run.workers.record(rejoined).replies, 0);
    EXPECT_EQ(run.sink.last_live_workers, 2);
    EXPECT_EQ(result->rounds, UndisturbedRun(scheduler).rounds);
    ExpectSameSolution(run, scheduler);
  }
}

// Pipelined, with the updates held back between refills queued for the next message: a worker
// lost mid-batch and one that rejoins (its capacity restored between rounds) still end at the
// optimum of one round at a time, the rejoined worker getting none of the updates its shards
// already reflect.
TEST(RoundEngine, PipelinedJobLosesAWorkerMidBatchAndTakesBackOneThatRejoins) {
  for (int depth : {4, 8}) {
    SCOPED_TRACE(depth);
    EngineRun run(LassoSpec("dynamic", 2, depth));
    const std::string a = run.workers.Connect("a");
    const std::string b = run.workers.Connect("b", {.detach_at_task = 7});
    std::string rejoined;
    run.workers.before_task = [&](const std::string& id, int64_t task) {
      if (id == a && task == 20 && rejoined.empty()) rejoined = run.workers.Connect("b-again");
    };
    absl::StatusOr<EngineResult> result = run.Go();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->converged);
    EXPECT_TRUE(run.workers.record(b).detached);
    ASSERT_FALSE(rejoined.empty());
    EXPECT_GT(run.workers.record(rejoined).shards_added, 0) << "capacity was restored";
    EXPECT_GT(run.workers.record(rejoined).replies, 0);
    EXPECT_LT(run.workers.record(a).messages, run.workers.record(a).tasks) << "batches were sent";
    const Undisturbed& reference = UndisturbedRun("dynamic");
    EXPECT_NEAR(run.app.objective(), reference.objective, 1e-8 * reference.objective);
  }
}

// Pipelined rounds (depth 4): the same optimum as one round at a time, on the coordinate
// schedule that checks dependencies, also with a worker lost while rounds are in flight.
TEST(RoundEngine, PipelinedRoundsReachTheSameOptimum) {
  // (static and random check no dependencies: pipelined they may diverge, like any big batch.)
  for (const std::string scheduler : {"dynamic"}) {
    SCOPED_TRACE(scheduler);
    EngineRun run(LassoSpec(scheduler, 2, /*pipeline=*/4));
    run.workers.Connect("a");
    run.workers.Connect("b", {.detach_at_task = 9});
    run.workers.Connect("spare");
    absl::StatusOr<EngineResult> result = run.Go();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->converged);
    const Undisturbed& reference = UndisturbedRun("dynamic");
    EXPECT_NEAR(run.app.objective(), reference.objective, 1e-8 * reference.objective);
  }
}

// At depth D the engine refills the pipeline D/2 rounds at a time and sends their tasks (with the
// updates held back meanwhile) in one message per worker: a round costs about 2/D of a message,
// where one round at a time costs one. The optimum is the one of one round at a time.
TEST(RoundEngine, PipelinedRoundsShareTheirMessages) {
  std::map<int, double> messages_per_round;
  for (int depth : {1, 4, 8}) {
    SCOPED_TRACE(depth);
    core::JobSpec spec = LassoSpec("dynamic", 2, depth);
    // Gap rounds run alone and drain the pipeline; here (60 columns) they would come every 9th
    // round, where a real problem's come every few hundred.
    spec.params["gap_every"] = "200";
    EngineRun run(spec);
    const std::string a = run.workers.Connect("a");
    run.workers.Connect("b");
    absl::StatusOr<EngineResult> result = run.Go();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->converged);
    const Undisturbed& reference = UndisturbedRun("dynamic");
    EXPECT_NEAR(run.app.objective(), reference.objective, 1e-8 * reference.objective);
    const WorkerRecord& record = run.workers.record(a);
    EXPECT_EQ(record.replies, result->rounds);
    // The depth the job reached, as its summary reports it: about 3D/4 (refills of D/2).
    std::vector<core::Metric> metrics;
    run.app.Metrics(&metrics);
    const auto in_flight = std::find_if(metrics.begin(), metrics.end(), [](const core::Metric& m) {
      return m.name == "mean_rounds_in_flight";
    });
    if (depth == 1) {
      EXPECT_EQ(in_flight, metrics.end());
    } else {
      ASSERT_NE(in_flight, metrics.end());
      EXPECT_GT(in_flight->value, 0.6 * depth);
      EXPECT_LE(in_flight->value, depth);
    }
    messages_per_round[depth] =
        static_cast<double>(record.messages) / static_cast<double>(result->rounds);
  }
  EXPECT_EQ(messages_per_round[1], 1.0);
  // 1/2 and 1/4, plus the gap rounds (each alone) and the refills after them.
  EXPECT_LT(messages_per_round[4], 0.6);
  EXPECT_LT(messages_per_round[8], 0.35);
}

// Rounds share a message only while it stays within the message limit: with a limit that one
// task (with its update) just fits, every message still fits, and the job reaches the optimum.
TEST(RoundEngine, SharedMessagesStayWithinTheMessageLimit) {
  int64_t largest_task = 0;
  {
    EngineRun run(LassoSpec("dynamic", 2, /*pipeline=*/8));
    const std::string a = run.workers.Connect("a");
    run.workers.Connect("b");
    ASSERT_TRUE(run.Go().ok());
    largest_task = run.workers.record(a).largest_task_bytes;
    ASSERT_GT(run.workers.record(a).largest_message_bytes, largest_task)
        << "the unlimited run shares messages, or this test shows nothing";
  }
  EngineRun run(LassoSpec("dynamic", 2, /*pipeline=*/8));
  const std::string a = run.workers.Connect("a");
  run.workers.Connect("b");
  EngineOptions options;
  options.max_message_bytes = largest_task;
  absl::StatusOr<EngineResult> result = run.Go(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->converged);
  EXPECT_LE(run.workers.record(a).largest_message_bytes, largest_task);
  const Undisturbed& reference = UndisturbedRun("dynamic");
  EXPECT_NEAR(run.app.objective(), reference.objective, 1e-8 * reference.objective);
}

TEST(RoundEngine, WorkerErrorFailsTheJobWithItsMessage) {
  EngineRun run(LassoSpec("dynamic", 1));
  run.workers.Connect("a");
  // The worker's app fails between two tasks (as a session reports an app error).
  run.workers.before_task = [&](const std::string&, int64_t task) {
    if (task == 3) run.pool.OnWorkerError(run.pool.Connected()[0].id, "job-1", "disk on fire");
  };
  absl::StatusOr<EngineResult> result = run.Go();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("disk on fire"), std::string::npos) << result.status();
}

}  // namespace
}  // namespace strads::scheduler
