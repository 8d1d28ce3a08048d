#include "worker_service/thread_count.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace strads::worker {

absl::StatusOr<int> ParseThreadCount(const std::string& text, int available_cores) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  if (trimmed == "auto") return std::max(1, available_cores);
  int threads = 0;
  if (!absl::SimpleAtoi(trimmed, &threads) || threads < 1 || threads > kMaxWorkerThreads) {
    return absl::InvalidArgumentError(absl::StrCat("--threads: '", text,
                                                   "' is not a thread count; give 1 to ",
                                                   kMaxWorkerThreads, ", or auto"));
  }
  return threads;
}

}  // namespace strads::worker
