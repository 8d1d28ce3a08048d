// MfWorkerApp on a ThreadTeam: the rows a worker solves, their squared error and the whole run
// are bit-identical whatever the team's size.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "apps/mf/mf_generator.h"
#include "apps/mf/mf_scheduler_app.h"
#include "apps/mf/mf_worker_app.h"
#include "apps/testing/in_process_driver.h"
#include "core/test_temp_dir.h"
#include "core/thread_team.h"
#include "gtest/gtest.h"

namespace strads::mf {
namespace {

const std::string& TrainPath() {
  static const std::string* path = [] {
    absl::StatusOr<MfProblem> problem = GenerateMfProblem({.users = 2000,
                                                           .items = 1500,
                                                           .ratings = 60000,
                                                           .rank = 8,
                                                           .power_law = 0.8,
                                                           .noise = 0.1,
                                                           .test_fraction = 0,
                                                           .seed = 5});
    EXPECT_TRUE(problem.ok()) << problem.status();
    auto* written = new std::string(::strads::TestTempDir() + "/mf_threads_train.txt");
    EXPECT_TRUE(WriteRatingsText(*written, problem->train).ok());
    return written;
  }();
  return *path;
}

// Every partial of a 6-round run with 2 workers of `threads` threads each (0: no team lent), in
// order, and the final factors. The balance is static: the dynamic one moves rows by measured
// time, which differs from run to run.
std::vector<std::vector<double>> RunJob(int threads) {
  core::JobSpec spec;
  spec.app = "mf";
  spec.data_path = TrainPath();
  spec.workers = 2;
  spec.max_rounds = 6;
  spec.tolerance = 1e-15;
  spec.params = {{"rank", "8"}, {"lambda", "0.1"}, {"balance", "static"}, {"seed", "7"}};
  std::vector<std::unique_ptr<core::ThreadTeam>> teams;
  auto make_worker = [&]() -> std::unique_ptr<core::WorkerApp> {
    auto worker = std::make_unique<MfWorkerApp>();
    if (threads > 0) {
      teams.push_back(std::make_unique<core::ThreadTeam>(threads));
      worker->UseThreads(teams.back().get());
    }
    return worker;
  };
  std::vector<std::vector<double>> out;
  apps::testing::InProcessOptions options;
  options.num_workers = 2;
  options.on_round = [&](const core::RoundPlan&, std::span<const core::Partial> partials) {
    for (const core::Partial& partial : partials) out.push_back(partial.values);
  };
  MfSchedulerApp app;
  absl::StatusOr<apps::testing::InProcessResult> result =
      apps::testing::RunInProcess(app, make_worker, spec, options);
  EXPECT_TRUE(result.ok()) << result.status();
  out.push_back(app.w());
  out.push_back(app.h());
  return out;
}

TEST(MfWorkerThreads, PushIsBitIdenticalWhateverTheThreadCount) {
  const std::vector<std::vector<double>> serial = RunJob(0);
  ASSERT_EQ(serial.size(), 6u * 2 + 2);
  for (int threads : {1, 2, 3}) {
    const std::vector<std::vector<double>> parallel = RunJob(threads);
    ASSERT_EQ(parallel.size(), serial.size());
    for (size_t i = 0; i < serial.size(); ++i) {
      ASSERT_EQ(parallel[i].size(), serial[i].size()) << "threads " << threads << " item " << i;
      EXPECT_EQ(
          std::memcmp(parallel[i].data(), serial[i].data(), serial[i].size() * sizeof(double)), 0)
          << "threads " << threads << ", partial or factor " << i;
    }
  }
}

}  // namespace
}  // namespace strads::mf
