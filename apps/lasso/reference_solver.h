// A single-process cyclic coordinate-descent Lasso solver: the ground truth the distributed app
// is tested against. Simple on purpose; its stopping rule is the duality gap, which certifies the
// answer without another solver.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/labeled_data.h"

namespace strads::lasso {

struct ReferenceSolverOptions {
  double lambda = 0;
  double tolerance = 1e-10;  // relative duality gap
  int64_t max_sweeps = 100000;
  // Fit an unpenalised intercept b0: F = 1/2 ||y - b0 - X b||^2 + lambda ||b||_1.
  bool intercept = false;
};

struct ReferenceSolution {
  std::vector<double> beta;
  double intercept = 0;  // b0; 0 without the intercept option
  double objective = 0;
  double duality_gap = 0;
  double relative_gap = 0;
  int64_t sweeps = 0;
  bool converged = false;
};

// Cyclic CD: b_j <- S(x_j'r + ||x_j||^2 b_j, lambda) / ||x_j||^2 over j = 0..M-1 (all-zero columns
// skipped), with r kept current. The gap is checked before the first sweep and after each one,
// on a residual recomputed exactly from b, so drift in r never fakes convergence. With an
// intercept, b0 starts at mean(y) and is set to its exact minimiser b0 + mean(r) after every
// sweep and at every gap check, whose dual point is then the centred residual (lasso_math.h).
absl::StatusOr<ReferenceSolution> SolveLassoReference(const core::LabeledData& data,
                                                      const ReferenceSolverOptions& options);

}  // namespace strads::lasso
