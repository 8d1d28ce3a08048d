// What users see when things go wrong or take time: bad input is refused with a clear message
// while the scheduler keeps serving; a job waits (and says so) for workers; a job can be
// cancelled; a worker lost mid-job costs time but not the answer.
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/job_client.h"
#include "client/local_cluster.h"
#include "core/labeled_data_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cluster_test_support.h"
#include "worker_service/worker_runtime.h"

namespace strads {
namespace {

using ::testing::HasSubstr;
using testing::MakeTempDir;
using testing::RunToEnd;
using testing::WaitForState;
using testing::WriteLassoProblem;

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

core::JobSpec LassoSpec(const std::string& data_path) {
  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = data_path;
  spec.workers = 2;
  spec.params = {{"lambda", "0.1"}};
  return spec;
}

lasso::LassoProblemOptions SmallProblem() {
  lasso::LassoProblemOptions options;
  options.samples = 200;
  options.features = 80;
  options.density = 0.2;
  options.correlation = 0.5;
  options.seed = 3;
  return options;
}

using JobLifecycleTest = testing::LocalClusterTest;

TEST_F(JobLifecycleTest, BadInputIsRefusedClearlyAndTheSchedulerKeepsServing) {
  StartCluster(2);
  const std::string dir = MakeTempDir("bad");

  // Refused at submission.
  absl::StatusOr<std::string> missing = client_->Submit(LassoSpec(dir + "/nope.libsvm"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("nope.libsvm"));

  WriteText(dir + "/good.libsvm", "1 1:1 2:0.5\n-1 1:0.2 3:1\n0.5 2:1 3:-1\n");
  core::JobSpec negative = LassoSpec(dir + "/good.libsvm");
  negative.params["lambda"] = "-1";
  absl::StatusOr<std::string> refused = client_->Submit(negative);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("lambda"));

  core::JobSpec unknown = LassoSpec(dir + "/good.libsvm");
  unknown.params["scheduler"] = "fastest";
  refused = client_->Submit(unknown);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("scheduler"));

  core::JobSpec no_app = LassoSpec(dir + "/good.libsvm");
  no_app.app = "svm";
  refused = client_->Submit(no_app);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("unknown app 'svm'"));

  // A file the app would not read is refused, not ignored (the registry says what each reads).
  core::JobSpec stray_test = LassoSpec(dir + "/good.libsvm");
  stray_test.test_path = dir + "/good.libsvm";
  refused = client_->Submit(stray_test);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("lasso app reads no test file"));
  core::JobSpec mf_labels;
  mf_labels.app = "mf";
  mf_labels.workers = 2;
  mf_labels.data_path = dir + "/good.libsvm";
  mf_labels.labels_path = dir + "/good.libsvm";
  refused = client_->Submit(mf_labels);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("mf app reads no labels file"));

  // Refused when the data is read: the job fails with the file and line.
  struct BadFile {
    std::string name;
    std::string text;
    std::string expected;
  };
  const BadFile bad_files[] = {
      {"malformed.libsvm", "1 1:1\n1 2:x\n", "line 2"},
      {"zero.libsvm", "1 1:1\n1 0:1\n", "index 0"},
      {"nan.libsvm", "1 1:1\nnan 2:1\n", "line 2"},
      {"duplicate.mmt",
       "%%MatrixMarket matrix coordinate real general\n3 2 3\n1 1 1\n2 2 1\n1 1 2\n",
       "line 5: entry (1, 1) is given twice; first on line 3"},
  };
  WriteText(dir + "/labels.mmt", "%%MatrixMarket matrix array real general\n3 1\n1\n2\n3\n");
  for (const BadFile& bad : bad_files) {
    WriteText(dir + "/" + bad.name, bad.text);
    core::JobSpec spec = LassoSpec(dir + "/" + bad.name);
    if (core::IsMatrixMarketPath(bad.name)) spec.labels_path = dir + "/labels.mmt";
    absl::StatusOr<v1::JobStatus> status = RunToEnd(*client_, spec);
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_EQ(status->state(), v1::JOB_STATE_FAILED) << bad.name;
    EXPECT_THAT(status->message(), HasSubstr(bad.name));
    EXPECT_THAT(status->message(), HasSubstr(bad.expected));
  }

  // Still serving: a good job runs to the end.
  ASSERT_TRUE(WriteLassoProblem(SmallProblem(), dir + "/ok.libsvm").ok());
  absl::StatusOr<v1::JobStatus> good = RunToEnd(*client_, LassoSpec(dir + "/ok.libsvm"));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->state(), v1::JOB_STATE_SUCCEEDED) << good->message();
}

TEST_F(JobLifecycleTest, AJobWithoutWorkersWaitsAndSaysSoThenRuns) {
  StartCluster(0);
  const std::string dir = MakeTempDir("wait");
  ASSERT_TRUE(WriteLassoProblem(SmallProblem(), dir + "/train.libsvm").ok());
  absl::StatusOr<std::string> job_id = client_->Submit(LassoSpec(dir + "/train.libsvm"));
  ASSERT_TRUE(job_id.ok()) << job_id.status();
  ASSERT_TRUE(WaitForState(*client_, *job_id, v1::JOB_STATE_WAITING_FOR_WORKERS, 10));
  absl::StatusOr<v1::JobStatus> waiting = client_->Get(*job_id);
  ASSERT_TRUE(waiting.ok());
  EXPECT_THAT(waiting->message(), HasSubstr("waiting for workers: 0 of 2"));

  cluster_->AddWorker();
  cluster_->AddWorker();
  absl::StatusOr<v1::JobStatus> done = client_->Watch(*job_id, 50, [](const v1::JobStatus&) {});
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED) << done->message();
}

TEST_F(JobLifecycleTest, CancelStopsARunningJob) {
  StartCluster(2);
  const std::string dir = MakeTempDir("cancel");
  lasso::LassoProblemOptions options = SmallProblem();
  options.samples = 2000;
  options.features = 3000;
  options.density = 0.02;
  ASSERT_TRUE(WriteLassoProblem(options, dir + "/train.libsvm").ok());
  core::JobSpec spec = LassoSpec(dir + "/train.libsvm");
  spec.params["scheduler"] = "cyclic";
  spec.tolerance = 1e-14;
  absl::StatusOr<std::string> job_id = client_->Submit(spec);
  ASSERT_TRUE(job_id.ok());
  ASSERT_TRUE(WaitForState(*client_, *job_id, v1::JOB_STATE_RUNNING, 20));
  ASSERT_TRUE(client_->Cancel(*job_id).ok());
  absl::StatusOr<v1::JobStatus> done = client_->Watch(*job_id, 50, [](const v1::JobStatus&) {});
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state(), v1::JOB_STATE_CANCELLED);
  absl::StatusOr<std::vector<v1::JobStatus>> jobs = client_->List();
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(jobs->size(), 1u);
}

// Kills a worker once the job is under way and checks the job still converges to the same
// objective as an undisturbed run.
void LoseAWorkerMidJob(client::LocalCluster& cluster, client::JobClient& client,
                       const std::string& data_path, int workers_in_job) {
  core::JobSpec spec = LassoSpec(data_path);
  spec.params.erase("lambda");  // 0.1 * lambda_max: converges in a few hundred rounds
  spec.workers = workers_in_job;
  spec.params["scheduler"] = "dynamic";
  spec.params["batch"] = "8";
  spec.tolerance = 1e-9;
  absl::StatusOr<v1::JobStatus> undisturbed = RunToEnd(client, spec);
  ASSERT_TRUE(undisturbed.ok());
  ASSERT_EQ(undisturbed->state(), v1::JOB_STATE_SUCCEEDED) << undisturbed->message();

  absl::StatusOr<std::string> job_id = client.Submit(spec);
  ASSERT_TRUE(job_id.ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<v1::JobStatus> status = client.Get(*job_id);
    ASSERT_TRUE(status.ok());
    if (status->state() == v1::JOB_STATE_RUNNING && status->round() >= 50) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  cluster.StopWorker(0);
  absl::StatusOr<v1::JobStatus> done = client.Watch(*job_id, 50, [](const v1::JobStatus&) {});
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED) << done->message();
  EXPECT_GT(done->round(), 50);
  const double expected = undisturbed->metrics().at("objective");
  EXPECT_NEAR(done->metrics().at("objective"), expected, 1e-8 * expected);
}

lasso::LassoProblemOptions FaultProblem() {
  lasso::LassoProblemOptions options = SmallProblem();
  options.samples = 300;
  options.features = 200;
  options.density = 0.03;
  return options;
}

TEST_F(JobLifecycleTest, ASpareWorkerTakesOverTheShardsOfALostOne) {
  StartCluster(3);
  const std::string dir = MakeTempDir("spare");
  ASSERT_TRUE(WriteLassoProblem(FaultProblem(), dir + "/train.libsvm").ok());
  LoseAWorkerMidJob(*cluster_, *client_, dir + "/train.libsvm", 2);
}

TEST_F(JobLifecycleTest, WithoutASpareTheSurvivorTakesTheLostShards) {
  StartCluster(2);
  const std::string dir = MakeTempDir("survivor");
  ASSERT_TRUE(WriteLassoProblem(FaultProblem(), dir + "/train.libsvm").ok());
  LoseAWorkerMidJob(*cluster_, *client_, dir + "/train.libsvm", 2);
}

TEST_F(JobLifecycleTest, AWorkerThatConnectsLaterRestoresTheJobsCapacity) {
  StartCluster(2);
  const std::string dir = MakeTempDir("capacity");
  ASSERT_TRUE(WriteLassoProblem(FaultProblem(), dir + "/train.libsvm").ok());
  core::JobSpec spec = LassoSpec(dir + "/train.libsvm");
  spec.params.erase("lambda");
  spec.params["scheduler"] = "dynamic";
  spec.params["batch"] = "8";
  spec.tolerance = 1e-9;
  absl::StatusOr<v1::JobStatus> undisturbed = RunToEnd(*client_, spec);
  ASSERT_TRUE(undisturbed.ok());

  absl::StatusOr<std::string> job_id = client_->Submit(spec);
  ASSERT_TRUE(job_id.ok());
  auto wait_for_round = [&](int64_t round) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      absl::StatusOr<v1::JobStatus> status = client_->Get(*job_id);
      if (status.ok() && status->state() == v1::JOB_STATE_RUNNING && status->round() >= round) {
        return *status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return v1::JobStatus();
  };
  wait_for_round(50);
  cluster_->StopWorker(0);
  wait_for_round(100);
  cluster_->AddWorker();
  absl::StatusOr<v1::JobStatus> done = client_->Watch(*job_id, 50, [](const v1::JobStatus&) {});
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED) << done->message();
  EXPECT_EQ(done->live_workers(), 2) << "the newcomer should have joined the job";
  const double expected = undisturbed->metrics().at("objective");
  EXPECT_NEAR(done->metrics().at("objective"), expected, 1e-8 * expected);
}

// A round that cannot fit in one message fails the job with a message that says so and what to
// do, instead of breaking the worker's session (which would look like a lost worker, forever).
// Checked on both sides: the scheduler sizes every task before sending it, the worker every
// partial before replying.
TEST_F(JobLifecycleTest, ARoundTooBigForOneMessageFailsTheJobClearly) {
  client::LocalClusterOptions options;
  options.workers = 2;
  options.max_message_bytes = 8 << 10;
  cluster_ = std::make_unique<client::LocalCluster>(options);
  ASSERT_TRUE(cluster_->Start().ok());
  client_ = std::make_unique<client::JobClient>(cluster_->address());
  const std::string dir = MakeTempDir("message_limit");

  // MF: the first task carries the item rows the worker's users rated (200 x rank 8: 12.8 KiB).
  std::string ratings;
  for (int u = 1; u <= 100; ++u) {
    for (int i = 1; i <= 200; i += 3) ratings += absl::StrCat(u, " ", (u + i) % 200 + 1, " 1\n");
  }
  WriteText(dir + "/ratings.txt", ratings);
  core::JobSpec mf;
  mf.app = "mf";
  mf.data_path = dir + "/ratings.txt";
  mf.workers = 2;
  mf.params = {{"rank", "8"}};
  absl::StatusOr<v1::JobStatus> too_big = RunToEnd(*client_, mf);
  ASSERT_TRUE(too_big.ok()) << too_big.status();
  EXPECT_EQ(too_big->state(), v1::JOB_STATE_FAILED);
  EXPECT_THAT(too_big->message(), HasSubstr("the task for worker 0 would be"));
  EXPECT_THAT(too_big->message(), HasSubstr("message limit"));

  // Lasso: tasks are small, but a gap round's partial has one number per feature (2000: 16 KiB).
  lasso::LassoProblemOptions wide = SmallProblem();
  wide.features = 2000;
  wide.density = 0.01;
  ASSERT_TRUE(WriteLassoProblem(wide, dir + "/wide.libsvm").ok());
  core::JobSpec lasso = LassoSpec(dir + "/wide.libsvm");
  lasso.params["batch"] = "4";
  too_big = RunToEnd(*client_, lasso);
  ASSERT_TRUE(too_big.ok()) << too_big.status();
  EXPECT_EQ(too_big->state(), v1::JOB_STATE_FAILED);
  EXPECT_THAT(too_big->message(), HasSubstr("partial result would be"));
  EXPECT_THAT(too_big->message(), HasSubstr("message limit"));

  // Both workers are still there for the next job.
  absl::StatusOr<std::vector<v1::JobStatus>> jobs = client_->List();
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(cluster_->server().pool().ConnectedCount(), 2);
}

// A scheduler with a short round timeout and workers of chosen slowness, each registered before
// the next (so the first added is the first a job claims); all stopped on destruction.
class TimedCluster {
 public:
  TimedCluster(const std::string& data_dir, absl::Duration round_timeout) {
    scheduler::SchedulerServerOptions options;
    options.jobs.data_dir = data_dir;
    options.jobs.engine.round_timeout = round_timeout;
    server_ = std::make_unique<scheduler::SchedulerServer>(options);
    EXPECT_TRUE(server_->Start().ok());
  }
  ~TimedCluster() {
    for (auto& runtime : runtimes_) runtime->Stop();
    for (std::thread& thread : threads_) thread.join();
    server_->Shutdown();
  }

  void AddWorker(double delay_ns_per_unit) {
    worker::WorkerOptions options;
    options.scheduler_address = server_->address();
    options.test_delay_ns_per_unit = delay_ns_per_unit;
    runtimes_.push_back(std::make_unique<worker::WorkerRuntime>(options));
    worker::WorkerRuntime* runtime = runtimes_.back().get();
    threads_.emplace_back([runtime] { runtime->Run().IgnoreError(); });
    const int wanted = static_cast<int>(runtimes_.size());
    for (int i = 0; i < 500 && server_->pool().ConnectedCount() < wanted; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Submits `spec` and waits up to `seconds` for `state`; the job's last status.
  v1::JobStatus RunUntil(const core::JobSpec& spec, v1::JobState state, double seconds) {
    client::JobClient client(server_->address());
    absl::StatusOr<std::string> job_id = client.Submit(spec);
    EXPECT_TRUE(job_id.ok()) << job_id.status();
    if (!job_id.ok()) return {};
    const bool reached = WaitForState(client, *job_id, state, seconds);
    absl::StatusOr<v1::JobStatus> status = client.Get(*job_id);
    EXPECT_TRUE(status.ok()) << status.status();
    if (!status.ok()) return {};
    EXPECT_TRUE(reached) << "state " << status->state() << ", round " << status->round() << ": "
                         << status->message();
    return *status;
  }

 private:
  std::unique_ptr<scheduler::SchedulerServer> server_;
  std::vector<std::unique_ptr<worker::WorkerRuntime>> runtimes_;
  std::vector<std::thread> threads_;
};

// Runs `spec` undisturbed on `reference` (a healthy cluster), then on a cluster whose first
// worker is `delay_ns_per_unit` slow (late for every round, under a 300 ms round timeout) plus
// `fast_workers` healthy ones, and expects the same converged answer.
void ExpectALateWorkerCostsTimeNotTheAnswer(client::JobClient& reference, const core::JobSpec& spec,
                                            const std::string& dir, double delay_ns_per_unit,
                                            int fast_workers) {
  absl::StatusOr<v1::JobStatus> undisturbed = RunToEnd(reference, spec);
  ASSERT_TRUE(undisturbed.ok()) << undisturbed.status();
  ASSERT_EQ(undisturbed->state(), v1::JOB_STATE_SUCCEEDED) << undisturbed->message();

  TimedCluster cluster(dir + "/scheduler", absl::Milliseconds(300));
  cluster.AddWorker(delay_ns_per_unit);  // claimed first
  for (int i = 0; i < fast_workers; ++i) cluster.AddWorker(0);
  const v1::JobStatus done = cluster.RunUntil(spec, v1::JOB_STATE_SUCCEEDED, 60);
  ASSERT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  const double expected = undisturbed->metrics().at("objective");
  if (spec.max_rounds == 0) {
    EXPECT_EQ(done.metrics().at("converged"), 1.0) << done.message();
    EXPECT_NEAR(done.metrics().at("objective"), expected, 1e-8 * expected);
  } else {
    // Stopped mid-way: the same rounds must have updated the same coordinates, so the objective
    // agrees to rounding (the survivor sums two shards' partials in another order).
    EXPECT_EQ(done.round(), undisturbed->round());
    EXPECT_NEAR(done.metrics().at("objective"), expected, 1e-11 * expected);
  }
}

// A worker that keeps missing the round timeout while staying connected is dropped once and not
// claimed again for the job: the spare takes its shards and the job ends with the undisturbed
// answer. (Claimed again, being the longest registered, it would stall the job forever.)
TEST_F(JobLifecycleTest, AWorkerDroppedForLatenessIsNotClaimedAgain) {
  const std::string dir = MakeTempDir("late");
  ASSERT_TRUE(WriteLassoProblem(FaultProblem(), dir + "/train.libsvm").ok());
  core::JobSpec spec = LassoSpec(dir + "/train.libsvm");
  spec.params["scheduler"] = "dynamic";
  spec.params["batch"] = "8";
  spec.tolerance = 1e-9;
  StartCluster(2);
  ExpectALateWorkerCostsTimeNotTheAnswer(*client_, spec, dir, 1e8, /*fast_workers=*/2);
}

// The round the late worker missed is run again by the survivor, after the engine had already
// planned the next one: the repeat must update the same block, not skip to the next, so a job
// stopped after a fixed number of rounds ends exactly where an undisturbed one does.
TEST_F(JobLifecycleTest, ARepeatedRoundUpdatesTheSameCoordinates) {
  const std::string dir = MakeTempDir("repeat_same");
  ASSERT_TRUE(WriteLassoProblem(FaultProblem(), dir + "/train.libsvm").ok());
  core::JobSpec spec = LassoSpec(dir + "/train.libsvm");
  spec.params["scheduler"] = "static";
  spec.params["batch"] = "20";
  spec.tolerance = 1e-15;
  spec.max_rounds = 300;  // far from converged: a skipped block shows in the objective
  StartCluster(2);
  ExpectALateWorkerCostsTimeNotTheAnswer(*client_, spec, dir, 3e7, /*fast_workers=*/1);
}

// With no spare, the survivor carries the job alone after the late worker is dropped, and the
// job stays short of its size with an idle (but excluded) worker around. A schedule that keeps a
// position (static) must still visit every block: re-planning a round it had planned ahead, every
// round, would skip half of them and never converge.
TEST_F(JobLifecycleTest, AStaticScheduleConvergesAfterALateWorkerIsDropped) {
  const std::string dir = MakeTempDir("late_static");
  ASSERT_TRUE(WriteLassoProblem(FaultProblem(), dir + "/train.libsvm").ok());
  core::JobSpec spec = LassoSpec(dir + "/train.libsvm");
  spec.params["scheduler"] = "static";
  spec.params["batch"] = "20";  // 10 blocks: planning twice a round would visit only 5
  spec.tolerance = 1e-9;
  StartCluster(2);
  ExpectALateWorkerCostsTimeNotTheAnswer(*client_, spec, dir, 3e7, /*fast_workers=*/1);
}

// When every worker of the job misses the round timeout and no other is idle, the job fails with
// a message naming the timeout, instead of dropping and re-trying workers forever.
TEST_F(JobLifecycleTest, AJobWhoseRoundsOutlastTheTimeoutFailsClearly) {
  const std::string dir = MakeTempDir("too_slow");
  ASSERT_TRUE(WriteLassoProblem(FaultProblem(), dir + "/train.libsvm").ok());
  TimedCluster cluster(dir + "/scheduler", absl::Milliseconds(200));
  cluster.AddWorker(5e6);
  cluster.AddWorker(5e6);
  const v1::JobStatus done =
      cluster.RunUntil(LassoSpec(dir + "/train.libsvm"), v1::JOB_STATE_FAILED, 30);
  EXPECT_THAT(done.message(), HasSubstr("the last missed the round timeout of 200ms"));
  EXPECT_THAT(done.message(), HasSubstr("--round-timeout"));
}

}  // namespace
}  // namespace strads
