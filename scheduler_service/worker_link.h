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

class WorkerLink {
 public:
  virtual ~WorkerLink() = default;
  // Each returns false once the worker's stream has closed. Implementations serialise calls, so
  // any thread may send; messages to one worker arrive in the order they were sent.
  virtual bool SendAssign(const std::string& job_id, const core::JobSpec& spec,
                          std::span<const ShardGrant> add, std::span<const int> drop) = 0;
  // `reply` false means apply-only: the worker applies `apply` and sends nothing back.
  virtual bool SendTask(const std::string& job_id, int64_t sequence, const core::Payload& apply,
                        const core::Payload& push, bool reply) = 0;
  virtual bool SendRelease(const std::string& job_id) = 0;
  // Ends the session from the scheduler's side (shutdown); the worker will reconnect.
  virtual void Disconnect() = 0;
};

}  // namespace strads::scheduler
