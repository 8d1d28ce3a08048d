// A scheduler restart: finished jobs and their models are still listed and downloadable (they
// live in the data directory), and workers started with reconnection on find the new scheduler
// by themselves and run its next job.
#include <filesystem>
#include <thread>

#include "client/job_client.h"
#include "gtest/gtest.h"
#include "scheduler_service/job_store.h"
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

// A cancel the user was told about must survive the scheduler dying before the job wound down
// (e.g. killed while the job was still loading its data): the job is on disk as submitted plus a
// cancel request, and a restarted scheduler ends it as cancelled instead of running it again.
TEST(SchedulerRestart, ACancelAcknowledgedBeforeACrashIsKept) {
  const std::string dir = MakeTempDir("cancel_crash");
  lasso::LassoProblemOptions problem;
  problem.samples = 100;
  problem.features = 40;
  problem.density = 0.2;
  problem.seed = 5;
  ASSERT_TRUE(WriteLassoProblem(problem, dir + "/train.libsvm").ok());

  // The live path: cancelling a job that is past the queue records the request on disk.
  {
    std::unique_ptr<scheduler::SchedulerServer> server =
        StartScheduler("127.0.0.1:0", dir + "/live");
    client::JobClient client(server->address());
    core::JobSpec spec;
    spec.app = "lasso";
    spec.data_path = dir + "/train.libsvm";
    spec.workers = 1;  // none connected: the job waits for one
    absl::StatusOr<std::string> job_id = client.Submit(spec);
    ASSERT_TRUE(job_id.ok()) << job_id.status();
    ASSERT_TRUE(testing::WaitForState(client, *job_id, v1::JOB_STATE_WAITING_FOR_WORKERS, 10));
    ASSERT_TRUE(client.Cancel(*job_id).ok());
    EXPECT_TRUE(std::filesystem::exists(dir + "/live/jobs/" + *job_id + "/cancel_requested"));
    server->Shutdown();
  }

  // The crash: a job recorded as submitted, with a cancel request and no result.
  scheduler::JobStore store(dir + "/crashed");
  ASSERT_TRUE(store.Init().ok());
  scheduler::JobSnapshot submitted;
  submitted.job_id = scheduler::JobStore::JobId(1);
  submitted.spec.app = "lasso";
  submitted.spec.data_path = dir + "/train.libsvm";
  submitted.spec.workers = 1;
  submitted.state = scheduler::JobState::kLoading;
  ASSERT_TRUE(store.SaveSubmitted(submitted).ok());
  ASSERT_TRUE(store.SaveCancelRequest(submitted.job_id).ok());
  for (int start = 0; start < 2; ++start) {  // and it stays cancelled on the next start too
    std::unique_ptr<scheduler::SchedulerServer> server =
        StartScheduler("127.0.0.1:0", dir + "/crashed");
    client::JobClient client(server->address());
    absl::StatusOr<v1::JobStatus> status = client.Get(submitted.job_id);
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_EQ(status->state(), v1::JOB_STATE_CANCELLED) << status->message();
    server->Shutdown();
  }
}

}  // namespace
}  // namespace strads
