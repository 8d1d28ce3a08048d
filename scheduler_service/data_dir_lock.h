// One scheduler per data directory. Two schedulers sharing one (a second started by mistake with
// the same --data-dir, on another port) would both resume the same jobs and overwrite each
// other's checkpoints and results; an exclusive lock on a file in the directory refuses the
// second at start-up, before it reads anything. The lock ends with the process, however it ends.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace strads::scheduler {

class DataDirLock {
 public:
  // Locks `data_dir` (which must exist); FailedPrecondition naming the directory when another
  // holder has it.
  static absl::StatusOr<DataDirLock> Acquire(const std::string& data_dir);

  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace strads::scheduler
