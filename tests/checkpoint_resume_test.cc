// A scheduler shut down in the middle of a job resumes it from its checkpoint after a restart,
// and the job ends exactly where an uninterrupted run ends (matrix factorization's updates are
// deterministic, so the final train RMSE must agree to rounding).
#include <atomic>
#include <cmath>
#include <filesystem>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "apps/mf/mf_generator.h"
#include "client/job_client.h"
#include "client/local_cluster.h"
#include "gtest/gtest.h"
#include "scheduler_service/scheduler_server.h"
#include "tests/cluster_test_support.h"
#include "worker_service/worker_runtime.h"

namespace strads {
namespace {

using testing::MakeTempDir;
using testing::RunToEnd;
using testing::StartScheduler;

core::JobSpec MfJob(const std::string& dir) {
  core::JobSpec spec;
  spec.app = "mf";
  spec.data_path = dir + "/train.txt";
  spec.test_path = dir + "/test.txt";
  spec.workers = 2;
  spec.max_rounds = 14;
  spec.tolerance = 1e-15;
  spec.params = {{"rank", "4"}, {"lambda", "0.5"}, {"seed", "2"}};
  return spec;
}

// Runs `spec` (max_rounds set) undisturbed on a local cluster, then on a scheduler that is shut
// down once the job passed `interrupt_at` rounds and restarted on the same data directory and
// port, with slowed workers that reconnect by themselves and a user watching throughout. The
// resumed job must end at the same round with `metric` equal to rounding.
void ExpectAResumedJobEndsWhereAnUndisturbedOneDoes(const core::JobSpec& spec,
                                                    const std::string& dir, int64_t interrupt_at,
                                                    const std::string& metric,
                                                    double relative_tolerance,
                                                    double delay_ns_per_unit,
                                                    int64_t extra_rounds = 0) {
  const int64_t rounds = spec.max_rounds + extra_rounds;
  double expected = 0;
  {
    client::LocalCluster cluster({.workers = 2});
    ASSERT_TRUE(cluster.Start().ok());
    client::JobClient client(cluster.address());
    absl::StatusOr<v1::JobStatus> done = RunToEnd(client, spec);
    ASSERT_TRUE(done.ok()) << done.status();
    ASSERT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED) << done->message();
    ASSERT_EQ(done->round(), rounds);
    expected = done->metrics().at(metric);
  }

  std::unique_ptr<scheduler::SchedulerServer> first =
      StartScheduler("127.0.0.1:0", dir + "/data", absl::ZeroDuration());
  const std::string address = first->address();
  std::vector<std::unique_ptr<worker::WorkerRuntime>> workers;
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    worker::WorkerOptions options;
    options.scheduler_address = address;
    options.reconnect_delay = absl::Milliseconds(50);
    options.test_delay_ns_per_unit = delay_ns_per_unit;  // time to interrupt mid-job
    workers.push_back(std::make_unique<worker::WorkerRuntime>(options));
    threads.emplace_back([runtime = workers.back().get()] { runtime->Run().IgnoreError(); });
  }
  // A failed ASSERT returns early: stop and join the workers on every path, so the failure is
  // reported instead of aborting on a joinable thread.
  absl::Cleanup stop_workers = [&] {
    for (auto& runtime : workers) runtime->Stop();
    for (std::thread& thread : threads) thread.join();
  };
  std::string job_id;
  {
    client::JobClient client(address);
    absl::StatusOr<std::string> id = client.Submit(spec);
    ASSERT_TRUE(id.ok()) << id.status();
    job_id = *id;
    int64_t reached = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline && reached < interrupt_at) {
      absl::StatusOr<v1::JobStatus> status = client.Get(job_id);
      ASSERT_TRUE(status.ok());
      reached = status->round();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_GE(reached, interrupt_at);
    ASSERT_LT(reached, spec.max_rounds) << "the job ended before it could be interrupted";
  }
  // A user watching through the restart: the watch waits for the scheduler to come back and
  // follows the resumed job to its end.
  client::JobClient watcher(address);
  std::atomic<int> retries = 0;
  absl::StatusOr<v1::JobStatus> watched;
  std::thread watch_thread([&] {
    watched = watcher.Watch(
        job_id, 50, [](const v1::JobStatus&) {}, absl::Seconds(30),
        [&](const absl::Status&) { ++retries; });
  });
  absl::Cleanup join_watch = [&] { watch_thread.join(); };
  first->Shutdown();
  first.reset();
  ASSERT_TRUE(std::filesystem::exists(dir + "/data/jobs/" + job_id + "/checkpoint.bin"));
  // The scheduler stays down until the watcher has noticed (on a loaded machine its next poll
  // can come after a quick restart, and then there is nothing to retry).
  for (int i = 0; i < 1000 && retries.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  std::unique_ptr<scheduler::SchedulerServer> second =
      StartScheduler(address, dir + "/data", absl::ZeroDuration());
  client::JobClient client(address);
  absl::StatusOr<v1::JobStatus> resumed = client.Watch(job_id, 50, [](const v1::JobStatus&) {});
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_EQ(resumed->state(), v1::JOB_STATE_SUCCEEDED) << resumed->message();
  EXPECT_EQ(resumed->round(), rounds);
  EXPECT_NEAR(resumed->metrics().at(metric), expected, relative_tolerance * std::abs(expected));
  EXPECT_FALSE(std::filesystem::exists(dir + "/data/jobs/" + job_id + "/checkpoint.bin"));
  std::move(join_watch).Invoke();
  ASSERT_TRUE(watched.ok()) << watched.status();
  EXPECT_EQ(watched->state(), v1::JOB_STATE_SUCCEEDED) << watched->message();
  EXPECT_EQ(watched->round(), rounds);
  EXPECT_GE(retries.load(), 1);

  std::move(stop_workers).Invoke();
  second->Shutdown();
}

TEST(CheckpointResume, AnInterruptedJobResumesAndEndsWhereAnUninterruptedOneDoes) {
  const std::string dir = MakeTempDir("resume");
  absl::StatusOr<mf::MfProblem> problem =
      mf::GenerateMfProblem({.users = 300, .items = 200, .ratings = 10000, .rank = 4, .seed = 9});
  ASSERT_TRUE(problem.ok());
  ASSERT_TRUE(mf::WriteRatingsText(dir + "/train.txt", problem->train).ok());
  ASSERT_TRUE(mf::WriteRatingsText(dir + "/test.txt", problem->test).ok());
  // ~25 ms per round with the delay: time to interrupt mid-job.
  ExpectAResumedJobEndsWhereAnUndisturbedOneDoes(MfJob(dir), dir, 5, "train_rmse", 1e-9, 5000);
  // With shared data (the workers read the files; the checkpoint holds ids, counts and model;
  // the index and evaluation rounds come on top of the budget).
  core::JobSpec shared = MfJob(dir);
  shared.params["data_access"] = "shared";
  ExpectAResumedJobEndsWhereAnUndisturbedOneDoes(shared, dir, 5, "test_rmse", 1e-9, 5000, 2);
}

// Lasso with a position-keeping schedule: the batch planned ahead before the checkpoint is run
// after the resume, not skipped, so the job takes the same steps as an undisturbed one.
TEST(CheckpointResume, AResumedStaticLassoJobTakesTheSameSteps) {
  const std::string dir = MakeTempDir("resume_lasso");
  lasso::LassoProblemOptions options;
  options.samples = 300;
  options.features = 200;
  options.density = 0.03;
  options.correlation = 0.5;
  options.seed = 3;
  ASSERT_TRUE(testing::WriteLassoProblem(options, dir + "/train.libsvm").ok());
  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = dir + "/train.libsvm";
  spec.workers = 2;
  spec.max_rounds = 400;  // far from converged: a skipped block shows in the objective
  spec.tolerance = 1e-15;
  spec.params = {{"lambda", "0.1"}, {"scheduler", "static"}, {"batch", "20"}};
  ExpectAResumedJobEndsWhereAnUndisturbedOneDoes(spec, dir, 100, "objective", 1e-11, 2e4);
  // With shared data the checkpoint also holds the setup rounds' findings (statistics, scales):
  // the resumed job skips them, the workers re-read their parts, and it takes the same steps.
  // (Dynamic draws its batches afresh after a resume, so only its optimum is the same:
  // LassoSharedData.ResumesFromACheckpoint.)
  core::JobSpec shared = spec;
  shared.params["data_access"] = "shared";
  shared.params["standardize"] = "true";
  // (Its stats round comes on top of --max-rounds.)
  ExpectAResumedJobEndsWhereAnUndisturbedOneDoes(shared, dir, 100, "objective", 1e-11, 2e4, 1);
}

}  // namespace
}  // namespace strads
