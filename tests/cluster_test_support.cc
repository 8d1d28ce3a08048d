#include "tests/cluster_test_support.h"

#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/labeled_data.h"
#include "gtest/gtest.h"

namespace strads::testing {

std::string MakeTempDir(const std::string& name) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      absl::StrCat("strads-", info->test_suite_name(), "-", info->name(), "-", name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

absl::StatusOr<lasso::LassoProblem> WriteLassoProblem(const lasso::LassoProblemOptions& options,
                                                      const std::string& path) {
  absl::StatusOr<lasso::LassoProblem> problem = lasso::GenerateLassoProblem(options);
  if (!problem.ok()) return problem.status();
  if (absl::Status status = core::WriteLibsvmFile(path, problem->data); !status.ok()) {
    return status;
  }
  return problem;
}

RatingFiles WriteMfProblem(const mf::MfProblemOptions& options, const std::string& dir) {
  absl::StatusOr<mf::MfProblem> problem = mf::GenerateMfProblem(options);
  EXPECT_TRUE(problem.ok()) << problem.status();
  RatingFiles files{dir + "/train.txt", dir + "/test.txt"};
  if (!problem.ok()) return files;
  EXPECT_TRUE(mf::WriteRatingsText(files.train, problem->train).ok());
  EXPECT_TRUE(mf::WriteRatingsText(files.test, problem->test).ok());
  return files;
}

absl::StatusOr<v1::JobStatus> RunToEnd(client::JobClient& client, const core::JobSpec& spec) {
  absl::StatusOr<std::string> job_id = client.Submit(spec);
  if (!job_id.ok()) return job_id.status();
  return client.Watch(*job_id, 50, [](const v1::JobStatus&) {});
}

std::unique_ptr<scheduler::SchedulerServer> StartScheduler(const std::string& address,
                                                           const std::string& data_dir,
                                                           absl::Duration checkpoint_interval) {
  scheduler::SchedulerServerOptions options;
  options.listen_address = address;
  options.jobs.data_dir = data_dir;
  options.jobs.checkpoint_interval = checkpoint_interval;
  auto server = std::make_unique<scheduler::SchedulerServer>(options);
  absl::Status status = server->Start();
  EXPECT_TRUE(status.ok()) << status;
  return server;
}

bool WaitForState(client::JobClient& client, const std::string& job_id, v1::JobState state,
                  double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<v1::JobStatus> status = client.Get(job_id);
    if (status.ok() && status->state() == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void LocalClusterTest::StartCluster(int workers, std::vector<double> delay_ns_per_unit) {
  client::LocalClusterOptions options;
  options.workers = workers;
  options.test_delay_ns_per_unit = std::move(delay_ns_per_unit);
  cluster_ = std::make_unique<client::LocalCluster>(options);
  ASSERT_TRUE(cluster_->Start().ok());
  client_ = std::make_unique<client::JobClient>(cluster_->address());
}

void LocalClusterTest::TearDown() {
  if (cluster_) cluster_->Stop();
}

}  // namespace strads::testing
