#include "scheduler_service/job_snapshot.h"

#include <algorithm>

namespace strads::scheduler {

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kLoading:
      return "loading";
    case JobState::kWaitingForWorkers:
      return "waiting_for_workers";
    case JobState::kRunning:
      return "running";
    case JobState::kSucceeded:
      return "succeeded";
    case JobState::kFailed:
      return "failed";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::vector<JobSnapshot> SelectJobs(std::vector<JobSnapshot> jobs, const JobListFilter& filter) {
  if (!filter.states.empty()) {
    std::erase_if(jobs, [&](const JobSnapshot& job) {
      return std::find(filter.states.begin(), filter.states.end(), job.state) ==
             filter.states.end();
    });
  }
  if (filter.limit > 0 && static_cast<int>(jobs.size()) > filter.limit) {
    jobs.erase(jobs.begin(), jobs.end() - filter.limit);
  }
  return jobs;
}

}  // namespace strads::scheduler
