// The JSON of the scheduler's HTTP API (/api/v1/jobs, /api/v1/jobs/ID, /api/v1/workers), built
// from the job manager's snapshots. A job is the object `strads jobs --json` prints (one shared
// function, proto::JobStatusJson), plus its progress and, for one job, its convergence curve.
#pragma once

#include <vector>

#include "core/convergence_history.h"
#include "nlohmann/json.hpp"
#include "scheduler_service/job_snapshot.h"
#include "scheduler_service/worker_pool.h"

namespace strads::scheduler {

// The `strads jobs --json` object, plus "progress": rounds done over the job's --max-rounds
// (null when it has no round limit; 1 once it succeeded).
nlohmann::json JobJson(const JobSnapshot& snapshot);
// Columns of equal length: "round", "seconds", and every curve metric some point has (null
// where a point lacks it).
nlohmann::json CurveJson(const std::vector<core::ConvergencePoint>& points);
// The keys of `strads workers --json`, plus "shards_loaded".
nlohmann::json WorkersJson(const std::vector<WorkerPool::WorkerSummary>& workers);

}  // namespace strads::scheduler
