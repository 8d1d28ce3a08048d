// The MF app's entry points for the registry: parameter validation and the two halves of the app
// (scheduler side and worker side).
#pragma once

#include <memory>

#include "absl/status/status.h"
#include "core/app.h"
#include "core/job_spec.h"

namespace strads::mf {

absl::Status ValidateMfSpec(const core::JobSpec& spec);
std::unique_ptr<core::SchedulerApp> NewMfSchedulerApp();
std::unique_ptr<core::WorkerApp> NewMfWorkerApp();

}  // namespace strads::mf
