// Helpers shared by the integration tests: generated data files and a job followed to its end.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/lasso/generator.h"
#include "apps/mf/mf_generator.h"
#include "client/job_client.h"
#include "client/local_cluster.h"
#include "core/job_spec.h"
#include "gtest/gtest.h"
#include "scheduler_service/scheduler_server.h"

namespace strads::testing {

// A fresh directory under the test temp dir.
std::string MakeTempDir(const std::string& name);

// Generates a Lasso problem and writes it as LIBSVM to `path`.
absl::StatusOr<lasso::LassoProblem> WriteLassoProblem(const lasso::LassoProblemOptions& options,
                                                      const std::string& path);

// Generated ratings written as text: `dir`/train.txt and `dir`/test.txt.
struct RatingFiles {
  std::string train;
  std::string test;
};
RatingFiles WriteMfProblem(const mf::MfProblemOptions& options, const std::string& dir);

// Submits and waits (through WatchJob) until the job ends; returns the final status.
absl::StatusOr<v1::JobStatus> RunToEnd(client::JobClient& client, const core::JobSpec& spec);

// A scheduler server on `address` ("127.0.0.1:0" for a free port) with its data in `data_dir`;
// checkpoints every `checkpoint_interval`.
std::unique_ptr<scheduler::SchedulerServer> StartScheduler(
    const std::string& address, const std::string& data_dir,
    absl::Duration checkpoint_interval = absl::Seconds(30));

// Waits until the job is in `state`, up to `seconds`.
bool WaitForState(client::JobClient& client, const std::string& job_id, v1::JobState state,
                  double seconds);

// A test with an in-process cluster (scheduler + workers over loopback) and a client of it,
// stopped at the end of the test.
class LocalClusterTest : public ::testing::Test {
 protected:
  // `delay_ns_per_unit`: per worker, the test-only slow-down (missing = none).
  void StartCluster(int workers, std::vector<double> delay_ns_per_unit = {});
  void TearDown() override;

  std::unique_ptr<client::LocalCluster> cluster_;
  std::unique_ptr<client::JobClient> client_;
};

}  // namespace strads::testing
