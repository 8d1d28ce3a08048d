// How the round engine talks to one connected worker, without knowing the transport. The gRPC
// session adapter implements it over the worker's Session stream; tests can implement it in memory.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/app.h"
#include "core/job_spec.h"

namespace strads::scheduler {

struct ShardGrant {
  int shard = 0;
  core::Payload init;  // from SchedulerApp::ShardInit
};

// One task of a job for one worker: the worker applies `apply`, then, if `reply`, computes
// `push` and answers with a partial tagged `sequence`. Not owned: the payloads outlive the send;
// null stands for an empty payload.
struct OutgoingTask {
  int64_t sequence = 0;
  const core::Payload* apply = nullptr;
  const core::Payload* push = nullptr;  // ignored unless `reply`
  bool reply = false;                   // false means apply-only: nothing comes back
};

class WorkerLink {
 public:
  virtual ~WorkerLink() = default;
  // Each returns false once the worker's stream has closed. Implementations serialise calls, so
  // any thread may send; messages to one worker arrive in the order they were sent.
  virtual bool SendAssign(const std::string& job_id, const core::JobSpec& spec,
                          std::span<const ShardGrant> add, std::span<const int> drop) = 0;
  // Consecutive tasks of one job, run by the worker in order as if each had been sent alone; a
  // transport may carry them in one message (and the replies in one), which is what makes
  // pipelined rounds cheap.
  virtual bool SendTasks(const std::string& job_id, std::span<const OutgoingTask> tasks) = 0;
  // One task; `reply` false means apply-only: the worker applies `apply` and sends nothing back.
  bool SendTask(const std::string& job_id, int64_t sequence, const core::Payload& apply,
                const core::Payload& push, bool reply) {
    const OutgoingTask task{.sequence = sequence, .apply = &apply, .push = &push, .reply = reply};
    return SendTasks(job_id, std::span<const OutgoingTask>(&task, 1));
  }
  virtual bool SendRelease(const std::string& job_id) = 0;
  // Ends the session from the scheduler's side (shutdown); the worker will reconnect.
  virtual void Disconnect() = 0;
};

}  // namespace strads::scheduler
