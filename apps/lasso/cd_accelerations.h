// The two accelerations both working-set inner solvers (gram_lasso_solver, residual_lasso_solver)
// put on their active-set sweeps, as far as they do not depend on how the solver holds X: the
// Anderson-extrapolated point of the last iterates, and where a signed Newton step must be cut so
// that no coordinate crosses zero. Each solver checks the objective at the point itself.
#pragma once

#include <cstdint>
#include <span>

#include "Eigen/Core"

namespace strads::lasso {

// Anderson acceleration (Bertrand and Massias, 2021) mixes this many differences of iterates.
inline constexpr int kAndersonDepth = 5;

// `history` holds the last kAndersonDepth + 1 iterates of b_A (|A| = size), one after the other.
// Writes the combination of the last kAndersonDepth iterates that best cancels their differences
// into `point` (size entries) and returns true, or returns false when the differences are
// degenerate (all zero, or not finite). O(size) with no allocation.
bool AndersonPoint(std::span<const double> history, int64_t size, std::span<double> point);

struct SignCut {
  double fraction = 1;   // of the step that keeps every sign
  int64_t stop_at = -1;  // the coordinate the cut puts on zero, -1 when the full step is kept
};

// For a step from `current` (no zero entries) along `step`, with sign = sign(current): the largest
// fraction of the step, at most 1, before the first coordinate crosses zero.
SignCut CutAtFirstSignChange(const Eigen::VectorXd& current, const Eigen::VectorXd& step,
                             const Eigen::VectorXd& sign);

}  // namespace strads::lasso
