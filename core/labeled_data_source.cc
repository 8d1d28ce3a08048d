#include "core/labeled_data_source.h"

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/file_text.h"
#include "core/matrix_market.h"

namespace strads::core {

bool IsMatrixMarketPath(std::string_view path) {
  const absl::string_view p(path.data(), path.size());
  return absl::EndsWithIgnoreCase(p, ".mmt") || absl::EndsWithIgnoreCase(p, ".mtx");
}

namespace {

// A MatrixMarket X needs labels; a LIBSVM file has its own.
absl::Status CheckLabelsMatchFormat(const std::string& data_path, const std::string& labels_path) {
  if (IsMatrixMarketPath(data_path) && labels_path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        data_path,
        " is a MatrixMarket design matrix, which holds no labels: give them as a MatrixMarket "
        "vector of one value per row (--labels Y.mmt)"));
  }
  if (!IsMatrixMarketPath(data_path) && !labels_path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("labels file ", labels_path, " given for ", data_path,
                     ", a LIBSVM file whose labels are its first column; separate labels go with a "
                     "MatrixMarket X (.mmt or .mtx)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckLabeledDataPaths(const std::string& data_path, const std::string& labels_path) {
  if (absl::Status status = CheckLabelsMatchFormat(data_path, labels_path); !status.ok()) {
    return status;
  }
  if (absl::Status status = CheckDataFileOpens(data_path, "data file"); !status.ok()) return status;
  if (labels_path.empty()) return absl::OkStatus();
  return CheckDataFileOpens(labels_path, "labels file");
}

absl::StatusOr<LabeledData> ReadLabeledData(const std::string& data_path,
                                            const std::string& labels_path) {
  if (absl::Status status = CheckLabelsMatchFormat(data_path, labels_path); !status.ok()) {
    return status;
  }
  if (IsMatrixMarketPath(data_path)) return ReadMatrixMarketData(data_path, labels_path);
  return ReadLibsvmFile(data_path);
}

}  // namespace strads::core
