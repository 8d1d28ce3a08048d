// Which queued jobs start now: gang allocation (a job starts only when all the workers it asks
// for are idle at once), highest priority first and FIFO within a priority, with bounded
// backfill. Plain C++, no RPC: the job manager feeds it the queue and the pool's counts.
//
// The backfill rule. Job run times are not known in advance, so a "start it only if it ends
// before the head job could start" rule (EASY backfill) cannot be applied. Instead a job that
// could run on the connected workers but finds too few idle may be passed: a job behind it that
// fits in the idle workers starts ahead of it, and that counts one pass against every such
// blocked job it jumps. Once a blocked job has been passed `max_passes` times, nothing behind it
// starts any more until it has started itself: the idle workers are reserved for it and,
// as running jobs end, accumulate until it fits. So a big job is delayed by at most
// `max_passes` smaller ones, and is never starved. A job that asks for more workers than are
// connected blocks nobody (it could not start whatever the others did) and is not counted as
// passed until enough workers connect.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace strads::scheduler {

inline constexpr int kDefaultMaxBackfillPasses = 4;

struct QueuedJob {
  int workers = 1;
  int priority = 0;   // higher first
  int64_t order = 0;  // submission order; earlier first within a priority
  int passed = 0;     // backfill passes so far (PlanDispatch adds to it)
};

enum class JobWait {
  kStarts,             // claim its workers and start it now
  kWorkers,            // too few idle workers at once
  kMoreThanConnected,  // asks for more workers than are connected
  kReserved,           // fits, but would pass a job that may not be passed any more
};

struct DispatchPlan {
  std::vector<size_t> starts;   // indices into the input, in the order to start them
  std::vector<JobWait> waits;   // per input index
  std::vector<size_t> blocker;  // per input index, for kReserved: the job it may not pass
};

// Decides for the queued `jobs` given `idle` and `connected` worker counts, and adds a pass to
// each blocked job that a started job goes ahead of.
DispatchPlan PlanDispatch(std::span<QueuedJob> jobs, int idle, int connected, int max_passes);

}  // namespace strads::scheduler
