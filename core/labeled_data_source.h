// Which reader a supervised app's data takes: a LIBSVM file carries its labels, a MatrixMarket
// design matrix (X.mmt, as the original STRADS release wrote it) needs a labels file beside it.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/labeled_data.h"

namespace strads::core {

// True for a MatrixMarket path (ending in .mmt or .mtx, any case); every other path is LIBSVM.
bool IsMatrixMarketPath(std::string_view path);

// Cheap checks made at submission: a MatrixMarket data file has labels, a LIBSVM one has none
// beside it, and both files open. Content errors are left to ReadLabeledData.
absl::Status CheckLabeledDataPaths(const std::string& data_path, const std::string& labels_path);

// The data of `data_path`, MatrixMarket (with `labels_path`) or LIBSVM (without).
absl::StatusOr<LabeledData> ReadLabeledData(const std::string& data_path,
                                            const std::string& labels_path);

}  // namespace strads::core
