#include "core/csc_matrix.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace strads::core {

absl::StatusOr<CscMatrix> CscFromTriplets(int64_t rows, int64_t cols,
                                          std::vector<Triplet> triplets) {
  if (rows < 0 || cols < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("matrix shape must be non-negative, got %d x %d", rows, cols));
  }
  if (rows > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "matrix has %d rows; at most %d are supported", rows, std::numeric_limits<int32_t>::max()));
  }
  for (size_t i = 0; i < triplets.size(); ++i) {
    const Triplet& t = triplets[i];
    if (t.row < 0 || t.row >= rows || t.col < 0 || t.col >= cols) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "entry %d at (%d, %d) is outside the %d x %d matrix", i, t.row, t.col, rows, cols));
    }
  }

  // Counting sort by column: stable, so triplets that arrive in row order (as readers produce
  // them) come out sorted within each column without a comparison sort.
  CscMatrix m;
  m.rows = rows;
  m.cols = cols;
  std::vector<int64_t> start(static_cast<size_t>(cols) + 1, 0);
  for (const Triplet& t : triplets) ++start[t.col + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  const size_t n = triplets.size();
  std::vector<int32_t> row_idx(n);
  std::vector<double> values(n);
  {
    std::vector<int64_t> next(start.begin(), start.end() - 1);
    for (const Triplet& t : triplets) {
      const int64_t p = next[t.col]++;
      row_idx[p] = static_cast<int32_t>(t.row);
      values[p] = t.value;
    }
  }
  std::vector<Triplet>().swap(triplets);  // release before the output grows

  // Sort the rare unsorted column, then sum duplicates while compacting in place.
  std::vector<std::pair<int32_t, double>> scratch;
  m.col_ptr.assign(static_cast<size_t>(cols) + 1, 0);
  int64_t out = 0;
  for (int64_t j = 0; j < cols; ++j) {
    const int64_t b = start[j], e = start[j + 1];
    if (!std::is_sorted(row_idx.begin() + b, row_idx.begin() + e)) {
      scratch.clear();
      for (int64_t p = b; p < e; ++p) scratch.emplace_back(row_idx[p], values[p]);
      std::stable_sort(scratch.begin(), scratch.end(),
                       [](const auto& a, const auto& c) { return a.first < c.first; });
      for (int64_t p = b; p < e; ++p) {
        row_idx[p] = scratch[p - b].first;
        values[p] = scratch[p - b].second;
      }
    }
    for (int64_t p = b; p < e; ++p) {
      if (out > m.col_ptr[j] && row_idx[out - 1] == row_idx[p]) {
        values[out - 1] += values[p];
      } else {
        row_idx[out] = row_idx[p];
        values[out] = values[p];
        ++out;
      }
    }
    m.col_ptr[j + 1] = out;
  }
  row_idx.resize(out);
  values.resize(out);
  if (static_cast<size_t>(out) < n) {
    row_idx.shrink_to_fit();
    values.shrink_to_fit();
  }
  m.row_idx = std::move(row_idx);
  m.values = std::move(values);
  return m;
}

CscMatrix CscFromColumns(int64_t rows, int64_t cols, CompressedEntries by_column) {
  CscMatrix m;
  m.rows = rows;
  m.cols = cols;
  m.col_ptr = std::move(by_column.ptr);
  m.row_idx = std::move(by_column.idx);
  m.values = std::move(by_column.values);
  return m;
}

std::vector<double> ColumnSquaredNorms(const CscMatrix& x) {
  std::vector<double> norms(static_cast<size_t>(x.cols), 0.0);
  for (int64_t j = 0; j < x.cols; ++j) {
    double s = 0;
    for (double v : x.ColValues(j)) s += v * v;
    norms[j] = s;
  }
  return norms;
}

}  // namespace strads::core
