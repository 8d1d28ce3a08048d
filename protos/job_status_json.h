// A job's status as JSON, one shape for every reader: `strads jobs --json`, `strads status --json`,
// the summary a run writes, and the scheduler's HTTP API (/api/v1/jobs). Kept beside the wire
// types so that the CLI and the scheduler share it without depending on each other.
#pragma once

#include <string>

#include "nlohmann/json.hpp"
#include "strads/v1/strads.pb.h"

namespace strads::proto {

// "running", "waiting_for_workers", ...: the enum's name without its prefix, in lower case.
std::string JobStateName(v1::JobState state);
// Keys: job_id, name (when set), app, state, message, rounds, seconds, workers, priority,
// scheduler (when set), params, data, labels (when set), every metric (counts as integers),
// busy_seconds_per_worker (when reported), and model (when given).
nlohmann::json JobStatusJson(const v1::JobStatus& status, const std::string& model_path);

}  // namespace strads::proto
