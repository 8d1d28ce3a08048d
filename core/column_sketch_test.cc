#include "core/column_sketch.h"

#include <cmath>
#include <random>
#include <vector>

#include "core/dependency_filter.h"
#include "core/row_sharding.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace {

// A random sparse N x M matrix whose columns come in correlated pairs (2k+1 = 2k + noise).
CscMatrix RandomMatrix(int64_t rows, int64_t cols, double density, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  std::normal_distribution<double> normal;
  std::vector<Triplet> triplets;
  for (int64_t j = 0; j < cols; j += 2) {
    for (int64_t i = 0; i < rows; ++i) {
      if (unit(rng) >= density) continue;
      const double v = normal(rng);
      triplets.push_back({i, j, v});
      if (j + 1 < cols) triplets.push_back({i, j + 1, v + unit(rng) * normal(rng)});
    }
  }
  return *CscFromTriplets(rows, cols, std::move(triplets));
}

// Sketches of `x` cut into `parts` row partitions, summed.
CscMatrix SketchInParts(const CscMatrix& x, const SketchShape& shape, int parts) {
  LabeledData data{x, std::vector<double>(x.rows, 0.0)};
  ColumnSketchSum sum(shape, x.cols);
  for (const RowRange& range : SplitRowsByNnz(x, parts)) {
    std::vector<double> partial;
    AppendColumnSketches(SliceRows(data, range).x, range.begin, shape, &partial);
    EXPECT_TRUE(sum.Add(partial).ok());
  }
  return *std::move(sum).Build();
}

TEST(ColumnSketch, IsTheMatrixItselfWhenRowsFitTheWidth) {
  const CscMatrix x = RandomMatrix(300, 20, 0.1, 7);
  const SketchShape shape{.width = 300, .seed = 3, .total_rows = 300};
  const CscMatrix sketch = SketchInParts(x, shape, 4);
  EXPECT_EQ(sketch.rows, x.rows);
  EXPECT_EQ(sketch.col_ptr, x.col_ptr);
  EXPECT_EQ(sketch.row_idx, x.row_idx);
  EXPECT_EQ(sketch.values, x.values);
}

TEST(ColumnSketch, AddsUpOverRowPartitions) {
  const CscMatrix x = RandomMatrix(5000, 30, 0.05, 11);
  const SketchShape shape{.width = 256, .seed = 5, .total_rows = 5000};
  const CscMatrix whole = SketchInParts(x, shape, 1);
  for (int parts : {2, 3, 7}) {
    const CscMatrix summed = SketchInParts(x, shape, parts);
    ASSERT_EQ(summed.col_ptr, whole.col_ptr) << parts;
    ASSERT_EQ(summed.row_idx, whole.row_idx) << parts;
    for (size_t k = 0; k < whole.values.size(); ++k) {
      EXPECT_NEAR(summed.values[k], whole.values[k], 1e-12 * (1 + std::abs(whole.values[k])));
    }
  }
  // At most min(nnz_j, width) entries per column.
  for (int64_t j = 0; j < x.cols; ++j) {
    EXPECT_LE(whole.col_ptr[j + 1] - whole.col_ptr[j],
              std::min<int64_t>(x.col_ptr[j + 1] - x.col_ptr[j], shape.width));
  }
}

// The bound the header states: |corr_sketch - corr| <= eps except with probability about
// 2 / (width eps^2). Checked over every pair of 60 columns (seed 13).
TEST(ColumnSketch, CorrelationErrorStaysWithinTheStatedBound) {
  const int64_t width = 1024;
  const CscMatrix x = RandomMatrix(20000, 60, 0.2, 13);
  const SketchShape shape{.width = width, .seed = 9, .total_rows = x.rows};
  CscMatrix sketch = SketchInParts(x, shape, 3);
  ColumnCorrelation exact(&x);
  ColumnCorrelation estimated(&sketch);
  const double eps = 4 * std::sqrt(2.0 / width);  // Chebyshev: P(err > eps) <= 1/16
  int pairs = 0;
  int beyond = 0;
  double sum_sq = 0;
  for (int64_t j = 0; j < x.cols; ++j) {
    for (int64_t k = j + 1; k < x.cols; ++k) {
      const double err = estimated.Get(j, k) - exact.Get(j, k);
      sum_sq += err * err;
      beyond += std::abs(err) > eps ? 1 : 0;
      ++pairs;
    }
  }
  EXPECT_LE(beyond, pairs / 16) << "seed 13";
  EXPECT_LE(std::sqrt(sum_sq / pairs), 2 * std::sqrt(2.0 / width)) << "seed 13";
  // The strongly correlated pairs are still seen as such.
  for (int64_t j = 0; j + 1 < x.cols; j += 2) {
    EXPECT_NEAR(estimated.Get(j, j + 1), exact.Get(j, j + 1), eps);
  }
}

TEST(ColumnSketch, RefusesMalformedSketches) {
  const SketchShape shape{.width = 8, .seed = 1, .total_rows = 100};
  ColumnSketchSum sum(shape, 4);
  EXPECT_FALSE(sum.Add(std::vector<double>{5, 1, 0, 1.0}).ok());  // column out of range
  EXPECT_FALSE(sum.Add(std::vector<double>{1, 2, 0, 1.0}).ok());  // cut short
  EXPECT_FALSE(sum.Add(std::vector<double>{1, 1, 8, 1.0}).ok());  // bucket out of range
  EXPECT_TRUE(sum.Add(std::vector<double>{1, 1, 7, 1.0}).ok());
}

}  // namespace
}  // namespace strads::core
