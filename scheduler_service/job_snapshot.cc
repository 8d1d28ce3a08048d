#include "scheduler_service/job_snapshot.h"

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

}  // namespace strads::scheduler
