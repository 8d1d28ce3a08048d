#include "scheduler_service/scheduler_readiness.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace strads::scheduler {

absl::Status SchedulerReadiness::Check() const {
  if (draining()) {
    return absl::UnavailableError(
        "draining: the scheduler is shutting down and checkpoints its jobs");
  }
  // A real write, not access(2): root passes permission checks, but not a read-only or full
  // volume, nor a directory that was removed.
  const std::string probe = absl::StrCat(data_dir_, "/.strads-ready-probe");
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool written = false;
  int error = 0;
  if (fd >= 0) {
    written = ::write(fd, "1", 1) == 1;
    if (!written) error = errno;
    ::close(fd);
    ::unlink(probe.c_str());
  } else {
    error = errno;
  }
  if (!written) {
    return absl::UnavailableError(
        absl::StrCat("data directory '", data_dir_, "' is not writable: ", std::strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace strads::scheduler
