// MatrixMarket input, the format of the original STRADS release's Lasso data: a design matrix
// X.mmt (N x M) and its labels Y.mmt (N values). Strict: every malformed file is refused with the
// file and line, as the LIBSVM reader does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/csc_matrix.h"
#include "core/labeled_data.h"

namespace strads::core {

// Parses "%%MatrixMarket matrix <format> <field> <symmetry>" text:
//   format   coordinate ("i j value" lines, 1-based) or array (values column by column);
//   field    real (or double), integer, or pattern (coordinate only: every listed entry is 1);
//   symmetry general, or for a square coordinate matrix symmetric / skew-symmetric (each
//            off-diagonal entry is mirrored, negated for skew-symmetric).
// Lines starting with '%' and blank lines are skipped. Refused, naming `source_name` and the line:
// a bad banner, complex or hermitian matrices, a bad size line, more or fewer entries than
// declared, indices out of range, an entry given twice (also through symmetry), NaN or infinite
// values, and anything that is not a number. Zeros of an array file are not stored.
absl::StatusOr<CscMatrix> ParseMatrixMarket(std::string_view text, std::string_view source_name);

// A vector of values: a MatrixMarket N x 1 (or 1 x N) matrix, coordinate (absent rows are 0) or
// array. A pattern file is refused: it has no values.
absl::StatusOr<std::vector<double>> ParseMatrixMarketVector(std::string_view text,
                                                            std::string_view source_name);

// X from `x_path` and y from `y_path`; y must hold one value per row of X.
absl::StatusOr<LabeledData> ReadMatrixMarketData(const std::string& x_path,
                                                 const std::string& y_path);

}  // namespace strads::core
