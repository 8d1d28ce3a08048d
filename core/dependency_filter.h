// The dependency check: among candidate parameters, keep a subset whose pairwise normalised
// correlation |x_j'x_k| / (||x_j|| ||x_k||) stays under rho, so that updating them in parallel
// behaves like updating them one after another. Correlations are computed only for pairs of
// candidates that are actually compared, and cached.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/csc_matrix.h"

namespace strads::core {

// |corr(x_j, x_k)| for columns of one matrix, computed lazily and cached. Not thread-safe.
class ColumnCorrelation {
 public:
  // `x` must outlive this object. The cache holds at most `cache_capacity` pairs; when full it is
  // cleared (cheap, and the working set of an active Lasso job is small).
  explicit ColumnCorrelation(const CscMatrix* x, size_t cache_capacity = 1 << 22);

  // Absolute normalised correlation in [0, 1]; 0 when either column is all zeros.
  double Get(int64_t j, int64_t k);

  int64_t computed() const { return computed_; }
  int64_t cache_hits() const { return cache_hits_; }

 private:
  double Compute(int64_t j, int64_t k);

  const CscMatrix* x_;
  size_t cache_capacity_;
  std::vector<double> inv_norm_;  // 1 / ||x_j||, 0 for empty columns
  absl::flat_hash_map<uint64_t, float> cache_;
  int64_t computed_ = 0;
  int64_t cache_hits_ = 0;
};

class DependencyFilter {
 public:
  // `correlation` must outlive this object; rho in (0, 1].
  DependencyFilter(ColumnCorrelation* correlation, double rho);

  // Walks `candidates` in order and keeps each one whose correlation with every already kept one
  // is below rho, until `max_keep` are kept. Duplicated candidates are kept once. `kept` is
  // cleared first. Never returns a pair with correlation >= rho.
  void Filter(std::span<const int64_t> candidates, int64_t max_keep, std::vector<int64_t>* kept);

  double rho() const { return rho_; }

 private:
  ColumnCorrelation* correlation_;
  double rho_;
};

}  // namespace strads::core
