// Helpers shared by the integration tests: generated data files and a job followed to its end.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "apps/lasso/generator.h"
#include "client/job_client.h"
#include "core/job_spec.h"
#include "scheduler_service/scheduler_server.h"

namespace strads::testing {

// A fresh directory under the test temp dir.
std::string MakeTempDir(const std::string& name);

// Generates a Lasso problem and writes it as LIBSVM to `path`.
absl::StatusOr<lasso::LassoProblem> WriteLassoProblem(const lasso::LassoProblemOptions& options,
                                                      const std::string& path);

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

}  // namespace strads::testing
