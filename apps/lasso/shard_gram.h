// A worker's share of the working-set schedule's Gram matrix: the dot products of a working set's
// new columns with every working-set column over one row shard. Sparse shards accumulate row by
// row (cost: the sum over rows of (W entries) x (new entries) in that row); dense ones go through
// Eigen's matrix product. Owned by one LassoWorkerApp and used on its thread; the scratch space is
// kept across rounds.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "Eigen/Core"
#include "core/csc_matrix.h"

namespace strads::lasso {

// The number of values a Gram request for `size` columns, the first `num_old` of them known,
// answers with: for every new column a (num_old <= a < size), its dots with columns 0..a.
int64_t GramValueCount(int64_t size, int64_t num_old);
// Where column a's dot with column s (s <= a) sits among those values.
inline int64_t GramValueIndex(int64_t a, int64_t s, int64_t num_old) {
  return (a * (a + 1) - num_old * (num_old + 1)) / 2 + s;
}

class ShardGram {
 public:
  // Adds x_{keys[s]}'x_{keys[a]} over the shard's rows to out[GramValueIndex(a, s, num_old)] for
  // num_old <= a < keys.size() and s <= a. `keys` are valid distinct columns of x. Returns the
  // multiply-adds done (the work units).
  int64_t Accumulate(const core::CscMatrix& x, std::span<const int64_t> keys, int64_t num_old,
                     std::span<double> out);

 private:
  int64_t AccumulateSparse(const core::CscMatrix& x, std::span<const int64_t> keys, int64_t num_old,
                           std::span<double> out);
  int64_t AccumulateDense(const core::CscMatrix& x, std::span<const int64_t> keys, int64_t num_old,
                          std::span<double> out);

  struct Entry {
    int32_t slot;
    double value;
  };
  std::vector<int64_t> row_start_;  // the W submatrix by rows (CSR), slots sorted in each row
  std::vector<Entry> entries_;
  Eigen::MatrixXd dense_;  // the W submatrix, rows x |W|, for dense shards
};

}  // namespace strads::lasso
