// A data file read into memory in one go, so readers parse over memory without per-line I/O; the
// errors name the path and say why it could not be read.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strads::core {

// The whole file. NotFound / PermissionDenied when it cannot be opened for those reasons,
// InvalidArgument for a directory, DataLoss for a failed read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// InvalidArgument naming the format when `head` (a file's first bytes) starts like a gzip, xz,
// bzip2 or zstd stream, whatever the file is called: "'x.libsvm' is gzip-compressed; decompress
// it first (gunzip -k 'x.libsvm')". Readers of text data call it on what they read first, so a
// compressed file fails with that rather than with a bad label on line 1.
absl::Status RefuseCompressedText(std::string_view head, std::string_view path);

// Whether `path` can be opened as a data file, without blocking: NotFound when it cannot be
// opened, InvalidArgument for a pipe, socket or device (opening a pipe waits for a writer). A
// directory passes (callers that take one say so).
absl::Status CheckDataFileOpens(const std::string& path, std::string_view what);

}  // namespace strads::core
