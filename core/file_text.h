// A data file read into memory in one go, so readers parse over memory without per-line I/O; the
// errors name the path and say why it could not be read.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace strads::core {

// The whole file. NotFound / PermissionDenied when it cannot be opened for those reasons,
// InvalidArgument for a directory, DataLoss for a failed read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace strads::core
