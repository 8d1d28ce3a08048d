// A sparse matrix in compressed-sparse-column form: the layout Lasso pushes stream through, one
// column at a time, in order. Plain data; built by readers and sliced into row shards.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "core/compressed_sparse.h"

namespace strads::core {

struct Triplet {
  int64_t row;
  int64_t col;
  double value;
};

struct CscMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int64_t> col_ptr{0};  // size cols + 1
  std::vector<int32_t> row_idx;     // sorted within each column
  std::vector<double> values;

  int64_t nnz() const { return static_cast<int64_t>(values.size()); }
  std::span<const int32_t> ColRows(int64_t j) const {
    return {row_idx.data() + col_ptr[j], static_cast<size_t>(col_ptr[j + 1] - col_ptr[j])};
  }
  std::span<const double> ColValues(int64_t j) const {
    return {values.data() + col_ptr[j], static_cast<size_t>(col_ptr[j + 1] - col_ptr[j])};
  }
};

// Builds a CSC matrix; duplicate (row, col) entries are summed. Fails on out-of-range indices or
// on more than 2^31-1 rows.
absl::StatusOr<CscMatrix> CscFromTriplets(int64_t rows, int64_t cols,
                                          std::vector<Triplet> triplets);

// A matrix of `rows` rows from entries grouped by column (row indices sorted within each, as the
// readers' stable counting sorts leave them when the entries came in row order).
CscMatrix CscFromColumns(int64_t rows, int64_t cols, CompressedEntries by_column);

// Squared Euclidean norm of every column.
std::vector<double> ColumnSquaredNorms(const CscMatrix& x);

}  // namespace strads::core
