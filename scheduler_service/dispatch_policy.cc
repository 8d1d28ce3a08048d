#include "scheduler_service/dispatch_policy.h"

#include <algorithm>
#include <numeric>

namespace strads::scheduler {

DispatchPlan PlanDispatch(std::span<QueuedJob> jobs, int idle, int connected, int max_passes) {
  std::vector<size_t> order(jobs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (jobs[a].priority != jobs[b].priority) return jobs[a].priority > jobs[b].priority;
    return jobs[a].order < jobs[b].order;
  });
  DispatchPlan plan;
  plan.waits.assign(jobs.size(), JobWait::kWorkers);
  plan.blocker.assign(jobs.size(), 0);
  std::vector<size_t> blocked;  // ahead in the order, could run on the connected workers
  int free = idle;
  for (size_t index : order) {
    QueuedJob& job = jobs[index];
    auto exhausted = std::find_if(blocked.begin(), blocked.end(),
                                  [&](size_t b) { return jobs[b].passed >= max_passes; });
    if (job.workers > connected) {
      plan.waits[index] = JobWait::kMoreThanConnected;
    } else if (exhausted != blocked.end()) {
      plan.waits[index] = JobWait::kReserved;
      plan.blocker[index] = *exhausted;
    } else if (job.workers <= free) {
      plan.waits[index] = JobWait::kStarts;
      plan.starts.push_back(index);
      free -= job.workers;
      for (size_t b : blocked) ++jobs[b].passed;
    } else {
      plan.waits[index] = JobWait::kWorkers;
      blocked.push_back(index);
    }
  }
  return plan;
}

}  // namespace strads::scheduler
