// A scheduler restart: finished jobs and their models are still listed and downloadable (they
// live in the data directory), and workers started with reconnection on find the new scheduler
// by themselves and run its next job.
#include <filesystem>
#include <thread>

#include "client/job_client.h"
#include "gtest/gtest.h"
#include "scheduler_service/scheduler_server.h"
#include "tests/cluster_test_support.h"
#include "worker_service/worker_runtime.h"

namespace strads {
namespace {

using testing::MakeTempDir;
using testing::RunToEnd;
using testing::StartScheduler;
using testing::WriteLassoProblem;

TEST(SchedulerRestart, FinishedJobsSurviveAndWorkersReconnect) {
  const std::string dir = MakeTempDir("restart");
  lasso::LassoProblemOptions problem;
  problem.samples = 200;
  problem.features = 80;
  problem.density = 0.2;
  problem.seed = 5;
  ASSERT_TRUE(WriteLassoProblem(problem, dir + "/train.libsvm").ok());

  std::unique_ptr<scheduler::SchedulerServer> first = StartScheduler("127.0.0.1:0", dir + "/data");
  const std::string address = first->address();

  std::vector<std::unique_ptr<worker::WorkerRuntime>> workers;
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    worker::WorkerOptions options;
    options.scheduler_address = address;
    options.reconnect = true;
    options.reconnect_delay = absl::Milliseconds(50);
    workers.push_back(std::make_unique<worker::WorkerRuntime>(options));
    threads.emplace_back([runtime = workers.back().get()] { runtime->Run().IgnoreError(); });
  }

  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = dir + "/train.libsvm";
  spec.workers = 2;
  std::string first_job;
  {
    client::JobClient client(address);
    absl::StatusOr<v1::JobStatus> done = RunToEnd(client, spec);
    ASSERT_TRUE(done.ok()) << done.status();
    ASSERT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED) << done->message();
    first_job = done->job_id();
  }
  first->Shutdown();
  first.reset();

  std::unique_ptr<scheduler::SchedulerServer> second = StartScheduler(address, dir + "/data");
  client::JobClient client(address);
  absl::StatusOr<std::vector<v1::JobStatus>> jobs = client.List();
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].job_id(), first_job);
  EXPECT_EQ((*jobs)[0].state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_GT((*jobs)[0].metrics().at("objective"), 0);
  ASSERT_TRUE(client.DownloadResult(first_job, dir + "/model.txt").ok());
  EXPECT_GT(std::filesystem::file_size(dir + "/model.txt"), 0u);

  // The next job gets a new id and runs on the workers that came back on their own.
  absl::StatusOr<v1::JobStatus> again = RunToEnd(client, spec);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state(), v1::JOB_STATE_SUCCEEDED) << again->message();
  EXPECT_NE(again->job_id(), first_job);

  for (auto& runtime : workers) runtime->Stop();
  for (std::thread& thread : threads) thread.join();
  second->Shutdown();
}

}  // namespace
}  // namespace strads
