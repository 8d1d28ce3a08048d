// Synthetic Lasso problems: y = X beta + noise for a sparse planted beta, on a design of real-like
// kind (real_like_designs.h) or, by default, one with controlled structure: sparse columns in
// groups that share a support and are correlated about C within the group, scattered over the
// column order so that a static block schedule cannot line up with the groups. Used by tests and
// benchmarks.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/lasso/real_like_designs.h"
#include "core/labeled_data.h"

namespace strads::lasso {

struct LassoProblemOptions {
  // The design: correlated groups (below), or one of the real-like kinds of
  // real_like_designs.h, which ignore correlation and group_size.
  DesignKind kind = DesignKind::kGroups;
  int64_t samples = 0;                  // N
  int64_t features = 0;                 // M
  double density = 0.1;                 // fraction of rows in a group's support, (0, 1]
  double correlation = 0;               // in-group correlation C, [0, 1)
  int64_t group_size = 10;              // G: columns sharing one support
  double true_nonzero_fraction = 0.05;  // of the M coefficients of the planted beta
  double noise = 0.1;                   // standard deviation of the label noise
  uint64_t seed = 1;
};

struct LassoProblem {
  core::LabeledData data;
  std::vector<double> true_beta;
};

// Deterministic for a given seed on every platform (own uniform and Box-Muller normal draws on
// std::mt19937_64). Costs O(nnz + N + M) time and memory.
absl::StatusOr<LassoProblem> GenerateLassoProblem(const LassoProblemOptions& options);

}  // namespace strads::lasso
