// What the CLI shows people and programs about a job: one progress line per update, a final
// summary block, a table of jobs, and the summary JSON.
#pragma once

#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "strads/v1/strads.pb.h"

namespace strads::client {

// "[   2.3s] running round 1200  objective 1.2345e+02  duality_gap 3.1e-05  nnz 87"
std::string ProgressLine(const v1::JobStatus& status);
// A multi-line block with the job's outcome and every metric.
std::string FinalReport(const v1::JobStatus& status, const std::string& model_path);
// Columns JOB, NAME, APP, STATE, ROUNDS, SECONDS, MESSAGE.
std::string JobsTable(const std::vector<v1::JobStatus>& jobs);
// "2026-12-03 14:20:01.250  shards placed: ...": one event of a job's log, in UTC.
std::string LogLine(const v1::JobLogEvent& event);
std::string WorkersTable(const std::vector<v1::WorkerInfo>& workers);
// Keys: job_id, name (when set), app, state, message, rounds, seconds, workers, scheduler (when
// set), every metric, model (when given), and history (the convergence curve, when the status
// carries one).
nlohmann::json SummaryJson(const v1::JobStatus& status, const std::string& model_path);

}  // namespace strads::client
