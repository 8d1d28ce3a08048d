// The working-set schedule's inner solver: the Lasso restricted to a working set W, solved exactly
// by coordinate descent on the scheduler from the Gram matrix X_W'X_W and X_W'r alone (no data, no
// network). Coordinates outside W stay fixed, so the restricted objective is the full one and every
// step lowers it, whatever the correlations inside W.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace strads::lasso {

struct GramLassoProblem {
  int64_t size = 0;               // |W|
  std::span<const double> gram;   // X_W'X_W, size x size, row-major (symmetric)
  std::span<const double> xtr;    // X_W'r at the current model
  std::span<const double> start;  // the current b_W
  double residual_sq = 0;         // ||r||^2 at the current model
  double lambda = 0;
  // With an unpenalised intercept (an implicit all-ones column): its Gram entries.
  bool intercept = false;
  std::span<const double> col_sums;  // 1'x_j for j in W
  double rows = 0;                   // 1'1
  double residual_sum = 0;           // 1'r at the current model
  // Stop when the restricted duality gap is at most this (absolute), or after this many
  // multiply-adds (a bound on the scheduler's time per solve; the result is still a descent).
  double gap_target = 0;
  int64_t max_work = 400'000'000;
};

struct GramLassoSolution {
  std::vector<double> b;  // the new b_W
  double delta_b0 = 0;    // the intercept's change (0 without one)
  double primal = 0;      // the objective 1/2||r'||^2 + lambda ||b_W||_1 at the new point (the
                          // l1 norm of coordinates outside W not included)
  double residual_sq = 0;
  double gap = 0;  // the restricted problem's duality gap at the new point
  int64_t sweeps = 0;
  int64_t updates = 0;         // coordinate steps taken
  int64_t extrapolations = 0;  // accepted Anderson extrapolations
  int64_t newton_steps = 0;    // accepted solves of the active block's linear system
};

// Coordinate descent (cyclic sweeps, an exact intercept step after each) until the restricted
// gap reaches gap_target or the work bound is hit. The gap is taken at the dual point r'/s with
// s = max(1, ||X_W'r'||_inf / lambda), which needs only Gram quantities because
// y_W'r' = ||r'||^2 + b'X_W'r' when 1'r' = 0 (the intercept step makes it so).
GramLassoSolution SolveGramLasso(const GramLassoProblem& problem);

}  // namespace strads::lasso
