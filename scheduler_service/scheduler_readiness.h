// Whether the scheduler can take work, for probes (gRPC health, /readyz): not while it drains
// (from SIGTERM until its jobs are checkpointed) and not while its data directory cannot be
// written (a full or read-only volume would lose every result and checkpoint).
// Threads: any; BeginDrain is one-way.
#pragma once

#include <atomic>
#include <string>

#include "absl/status/status.h"

namespace strads::scheduler {

class SchedulerReadiness {
 public:
  explicit SchedulerReadiness(std::string data_dir) : data_dir_(std::move(data_dir)) {}

  void BeginDrain() { draining_ = true; }
  bool draining() const { return draining_.load(); }
  // OK when the scheduler can take work; Unavailable saying why not. Writes and removes a small
  // probe file in the data directory, so it costs a few system calls.
  absl::Status Check() const;

 private:
  std::string data_dir_;
  std::atomic<bool> draining_{false};
};

}  // namespace strads::scheduler
