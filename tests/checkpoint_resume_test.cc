// A scheduler shut down in the middle of a job resumes it from its checkpoint after a restart,
// and the job ends exactly where an uninterrupted run ends (matrix factorization's updates are
// deterministic, so the final train RMSE must agree to rounding).
#include <atomic>
#include <filesystem>
#include <thread>

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

TEST(CheckpointResume, AnInterruptedJobResumesAndEndsWhereAnUninterruptedOneDoes) {
  const std::string dir = MakeTempDir("resume");
  absl::StatusOr<mf::MfProblem> problem =
      mf::GenerateMfProblem({.users = 300, .items = 200, .ratings = 10000, .rank = 4, .seed = 9});
  ASSERT_TRUE(problem.ok());
  ASSERT_TRUE(mf::WriteRatingsText(dir + "/train.txt", problem->train).ok());
  ASSERT_TRUE(mf::WriteRatingsText(dir + "/test.txt", problem->test).ok());

  double expected_rmse = 0;
  {
    client::LocalCluster cluster({.workers = 2});
    ASSERT_TRUE(cluster.Start().ok());
    client::JobClient client(cluster.address());
    absl::StatusOr<v1::JobStatus> done = RunToEnd(client, MfJob(dir));
    ASSERT_TRUE(done.ok()) << done.status();
    ASSERT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED) << done->message();
    expected_rmse = done->metrics().at("train_rmse");
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
    options.test_delay_ns_per_unit = 5000;  // ~25 ms per round: time to interrupt mid-job
    workers.push_back(std::make_unique<worker::WorkerRuntime>(options));
    threads.emplace_back([runtime = workers.back().get()] { runtime->Run().IgnoreError(); });
  }
  std::string job_id;
  int64_t interrupted_at = 0;
  {
    client::JobClient client(address);
    absl::StatusOr<std::string> id = client.Submit(MfJob(dir));
    ASSERT_TRUE(id.ok()) << id.status();
    job_id = *id;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      absl::StatusOr<v1::JobStatus> status = client.Get(job_id);
      ASSERT_TRUE(status.ok());
      if (status->round() >= 5) {
        interrupted_at = status->round();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_GE(interrupted_at, 5);
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
  first->Shutdown();
  first.reset();
  ASSERT_TRUE(std::filesystem::exists(dir + "/data/jobs/" + job_id + "/checkpoint.bin"));

  std::unique_ptr<scheduler::SchedulerServer> second =
      StartScheduler(address, dir + "/data", absl::ZeroDuration());
  client::JobClient client(address);
  absl::StatusOr<v1::JobStatus> resumed = client.Watch(job_id, 50, [](const v1::JobStatus&) {});
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_EQ(resumed->state(), v1::JOB_STATE_SUCCEEDED) << resumed->message();
  EXPECT_EQ(resumed->round(), 14);
  EXPECT_NEAR(resumed->metrics().at("train_rmse"), expected_rmse, 1e-9);
  EXPECT_FALSE(std::filesystem::exists(dir + "/data/jobs/" + job_id + "/checkpoint.bin"));
  watch_thread.join();
  ASSERT_TRUE(watched.ok()) << watched.status();
  EXPECT_EQ(watched->state(), v1::JOB_STATE_SUCCEEDED) << watched->message();
  EXPECT_EQ(watched->round(), 14);
  EXPECT_GE(retries.load(), 1);

  for (auto& runtime : workers) runtime->Stop();
  for (std::thread& thread : threads) thread.join();
  second->Shutdown();
}

}  // namespace
}  // namespace strads
