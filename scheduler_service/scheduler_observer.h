// What the scheduler counts for operators: rounds and their duration, worker drops, checkpoints,
// shard bytes and finished jobs. The scheduler's parts report here through plain calls; an
// exporter (scheduler_service/http: Prometheus) implements it. Every method may be called from
// any thread and must be cheap: rounds call it.
#pragma once

#include <cstdint>
#include <string_view>

namespace strads::scheduler {

class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  // One round of a job of `app` pulled, `seconds` after its tasks were sent.
  virtual void OnRound(std::string_view app, double seconds) {}
  // Coordinate or row updates a job of `app` made since its last report.
  virtual void OnUpdates(std::string_view app, int64_t updates) {}
  // A worker left a job: "lost" (its stream ended) or "timeout" (no reply in time).
  virtual void OnWorkerDropped(std::string_view reason) {}
  virtual void OnCheckpoint(double seconds) {}
  virtual void OnShardBytesSent(int64_t bytes) {}
  // A job reached a terminal state ("succeeded", "failed", "cancelled").
  virtual void OnJobFinished(std::string_view app, std::string_view state) {}
};

}  // namespace strads::scheduler
