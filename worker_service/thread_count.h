// The worker's --threads flag: "auto" (the default) is the cores this process may use, after its
// container's CPU limit (core/cpu_limit.h); otherwise a count in [1, kMaxWorkerThreads].
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace strads::worker {

// Far above any machine the worker runs on; a larger number is a typo, not a request.
inline constexpr int kMaxWorkerThreads = 1024;

// `available_cores` is what "auto" means. InvalidArgument, naming the flag, for anything else.
absl::StatusOr<int> ParseThreadCount(const std::string& text, int available_cores);

}  // namespace strads::worker
