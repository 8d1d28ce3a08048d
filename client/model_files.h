// Where a downloaded model ends up on the user's disk. Most apps write one file; matrix
// factorization's --model-out is a prefix: users to PREFIX-W.txt and items to PREFIX-H.txt, one
// "id bias f1 ... fK" line per row, so each loads directly as a matrix with row ids, and
// "mu min max" to PREFIX-global.txt (format: apps/mf/mf_model.h). Also the checks
// that those files (and the summary) can be written, made before a job runs so that a mistyped
// directory does not cost the result.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strads::client {

// Moves or splits the model downloaded to `downloaded` into its final files for `app` and
// returns their paths.
absl::StatusOr<std::vector<std::string>> PlaceModelFiles(const std::string& app,
                                                         const std::string& downloaded,
                                                         const std::string& model_out);

// Fails, naming `flag` and `path`, when a file could not be created at `path`: its directory is
// missing or not writable, or (unless `path` is a prefix of file names) `path` is a directory.
absl::Status CheckCanWrite(absl::string_view flag, const std::string& path, bool is_prefix);

// "cannot write '<path>': <reason>", with the reason from the OS (errno) or given.
absl::Status WriteError(const std::string& path, int os_error);
absl::Status WriteError(const std::string& path, absl::string_view reason);

}  // namespace strads::client
