// Where a downloaded model ends up on the user's disk. Most apps write one file; matrix
// factorization's --model-out is a prefix, and W and H go to PREFIX-W.txt and PREFIX-H.txt, one
// "id f1 ... fK" line per row, so each loads directly as a matrix with row ids.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strads::client {

// Moves or splits the model downloaded to `downloaded` into its final files for `app` and
// returns their paths.
absl::StatusOr<std::vector<std::string>> PlaceModelFiles(const std::string& app,
                                                         const std::string& downloaded,
                                                         const std::string& model_out);

}  // namespace strads::client
