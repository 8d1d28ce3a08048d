// Column sketches for a dependency check on data the scheduler never holds. Each worker sketches
// the columns of its row partition; the sketches add up over partitions, so the scheduler sums
// them into one small matrix whose column correlations estimate those of X.
//
// The sketch is a CountSketch of the rows: global row g goes to bucket h(g) in [0, width) with
// sign s(g) = +-1 (both from a seeded hash of g), so column j's sketch is S x_j with S a width x N
// matrix of one +-1 per column. It is linear, hence additive over row partitions. When the data
// has at most `width` rows the map is the identity (h(g) = g, s(g) = +1) and the sketch IS X:
// every correlation is exact. Otherwise <S x, S y> is an unbiased estimate of x'y with variance
// at most 2 ||x||^2 ||y||^2 / width, so (Chebyshev) |<Sx,Sy> - x'y| <= eps ||x|| ||y|| with
// probability at least 1 - 2 / (width eps^2); the normalised correlation estimated from the
// sketches (whose norms are estimated the same way) errs by about as much. At the default width
// 4096 that is eps = 0.09 at 94%. A column's sketch has at most min(nnz_j, width) entries, so the
// scheduler's memory is O(features x width) whatever the number of samples.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "core/csc_matrix.h"

namespace strads::core {

inline constexpr int64_t kDefaultSketchWidth = 4096;

struct SketchShape {
  int64_t width = kDefaultSketchWidth;
  uint64_t seed = 1;
  int64_t total_rows = 0;  // N, summed over every partition
  bool exact() const { return total_rows <= width; }
  // Rows of the summed sketch matrix.
  int64_t rows() const { return exact() ? total_rows : width; }
};

// Where global row g lands: its bucket and sign.
void SketchRow(const SketchShape& shape, int64_t g, int64_t* bucket, double* sign);

// Appends the sketch of every non-empty column of `x` (a partition whose local row i is global
// row row_offset + i) to `out`: for each such column, j, then the count n of its entries, then n
// pairs (bucket, value). Buckets of one column are distinct and increasing.
void AppendColumnSketches(const CscMatrix& x, int64_t row_offset, const SketchShape& shape,
                          std::vector<double>* out);

// Sums sketches appended by AppendColumnSketches (any number of partials, any order) into a
// shape.rows() x `cols` CSC matrix. Malformed input (wrong counts, a column or bucket out of
// range) is an error.
class ColumnSketchSum {
 public:
  ColumnSketchSum(const SketchShape& shape, int64_t cols);
  absl::Status Add(std::span<const double> partial);
  absl::StatusOr<CscMatrix> Build() &&;

 private:
  SketchShape shape_;
  int64_t cols_;
  std::vector<Triplet> entries_;
};

}  // namespace strads::core
