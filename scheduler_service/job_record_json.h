// JSON form of a job snapshot: the summary.json kept beside each finished job's model, read back
// when a scheduler restarts so finished jobs stay listable and downloadable.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "scheduler_service/job_snapshot.h"

namespace strads::scheduler {

nlohmann::json SnapshotToJson(const JobSnapshot& snapshot);
absl::StatusOr<JobSnapshot> SnapshotFromJson(const nlohmann::json& json);

}  // namespace strads::scheduler
