// A job's observable state, as the job manager publishes it to the JobService and to watchers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/app.h"
#include "core/convergence_history.h"
#include "core/job_spec.h"

namespace strads::scheduler {

enum class JobState {
  kQueued,
  kLoading,
  kWaitingForWorkers,
  kRunning,
  kSucceeded,
  kFailed,
  kCancelled
};

inline bool IsTerminal(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed ||
         state == JobState::kCancelled;
}
const char* JobStateName(JobState state);

struct JobSnapshot {
  std::string job_id;
  core::JobSpec spec;
  JobState state = JobState::kQueued;
  std::string message;
  int64_t round = 0;
  double seconds = 0;
  std::map<std::string, double> metrics;
  int live_workers = 0;
  int64_t created_unix_ms = 0;
  int64_t finished_unix_ms = 0;  // when it reached a terminal state; 0 before (or unknown)
  int64_t version = 0;     // grows on every change; watchers wait for it to pass what they saw
  std::string model_path;  // set once a model was written
  // The app's curve metrics (apps::CurvesOf) at sampled rounds; kept in the job's record.
  core::ConvergenceHistory history;
};

// Which jobs a listing shows: those in one of `states` (all when empty), and of those only the
// newest `limit` (all when 0), kept in submission order.
struct JobListFilter {
  std::vector<JobState> states;
  int limit = 0;
};
std::vector<JobSnapshot> SelectJobs(std::vector<JobSnapshot> jobs, const JobListFilter& filter);

// Receives what the round engine reports while it runs a job.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void OnState(JobState state, const std::string& message) = 0;
  virtual void OnProgress(int64_t round, double seconds, const std::vector<core::Metric>& metrics,
                          int live_workers) = 0;
  // Called between rounds, after a Pull, with the number of the next round: the model is
  // consistent there, so it may be checkpointed. `interrupted` is true once, when the engine
  // stops because its interrupt flag was set (cancel or scheduler shutdown).
  virtual void OnRoundBoundary(int64_t next_round, double seconds, bool interrupted) {}
  // Something the user may want in the job's log (`strads logs`): where shards went, a worker
  // lost or added. One line of text.
  virtual void OnEvent(const std::string& text) {}
};

}  // namespace strads::scheduler
