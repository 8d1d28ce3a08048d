// Limits shared by the scheduler, the workers and the CLI.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"
#include "core/app.h"

namespace strads::core {

// The largest gRPC message the services exchange (a task with its cache update, a partial, a
// status). Shards and models travel in chunks, so this bounds what one round may carry.
inline constexpr int kMaxMessageBytes = 256 << 20;

// A payload's size on the wire, near enough to compare with kMaxMessageBytes: 8 bytes a number
// (doubles are fixed; keys are varints of at most 10 bytes, mostly far fewer).
inline int64_t PayloadWireBytes(const Payload& payload) {
  return 8 * static_cast<int64_t>(payload.keys.size() + payload.values.size()) + 16;
}

// "12.8 KiB", "3.0 MiB": sizes for messages to users.
inline std::string HumanBytes(int64_t bytes) {
  if (bytes < (1 << 20)) return absl::StrFormat("%.1f KiB", static_cast<double>(bytes) / 1024);
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

}  // namespace strads::core
