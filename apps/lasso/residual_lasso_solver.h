// The working-set schedule's inner solver for sparse working sets: the Lasso restricted to W,
// solved on the scheduler by coordinate descent on the residual (glmnet's "naive" mode) from the
// columns of X_W, instead of from their Gram matrix. A step then costs nnz(x_j) instead of |A|,
// which is what makes large working sets of sparse columns affordable: 2000 non-zeros of 20-entry
// columns cost 40 thousand multiply-adds a sweep here against 4 million on the Gram. Coordinates
// outside W stay fixed, so every step lowers the full objective, as in gram_lasso_solver.h.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "apps/lasso/gram_lasso_solver.h"
#include "core/csc_matrix.h"

namespace strads::lasso {

struct ResidualLassoProblem {
  const core::CscMatrix* x = nullptr;  // the whole design; only the columns of W are read
  std::span<const int64_t> keys;       // W, as column indices of x
  std::span<const double> col_sqnorm;  // ||x_j||^2 of every column of x
  std::span<const double> start;       // the current b_W, in the order of keys
  double lambda = 0;
  bool intercept = false;  // an unpenalised all-ones column
  // Stop when the restricted duality gap is at most this (absolute), or after this many
  // multiply-adds; either way the result is a descent from the start.
  double gap_target = 0;
  int64_t max_work = 400'000'000;
};

// Reused across solves, so a solve allocates nothing once the sizes have been seen.
struct ResidualLassoScratch {
  std::vector<int64_t> active;   // positions in W of the non-zero coordinates
  std::vector<double> gradient;  // x_j'r for j in W
  std::vector<double> history;   // the last iterates of b_A, for Anderson extrapolation
  std::vector<double> trial;     // the residual at an extrapolated point
  std::vector<double> step;
  // The Newton step's live coordinates and conjugate-gradient vectors.
  std::vector<int64_t> live;
  std::vector<double> cg_solution, cg_gradient, cg_direction, cg_preconditioned, cg_image;
  std::vector<double> cg_applied;  // one entry per row
  // The Newton step's candidate points: their changes of b_L, and residuals.
  std::vector<double> newton_change, best_change, best_trial;
  // Dual extrapolation (Celer): the residuals after the last sweeps and their extrapolated
  // combination.
  std::vector<double> residual_history, extrapolated_residual;
  // On return: the residual-shaped vector theta whose scaling s theta gave the best dual value of
  // the restricted problem (the final residual, or an extrapolated one). Scaled by
  // min(1, lambda / ||X'theta||_inf) over *all* columns it is a feasible dual point of the whole
  // problem too, so the caller can turn it into a lower bound on the optimum.
  std::vector<double> dual_point;
};

// `residual` is r = y - b0 - X b at the start (the gap round centred it when there is an
// intercept); it is moved along with the coordinates and holds the new residual on return.
// The solution's delta_b0 is the intercept's total change.
GramLassoSolution SolveResidualLasso(const ResidualLassoProblem& problem,
                                     std::span<double> residual, ResidualLassoScratch* scratch);

// Whether the residual form is the cheaper inner solve for a working set: its sweeps cost
// nnz(X_W) + rows against |W|^2 / 2 for the Gram (whose rounds also ship |W|^2 / 2 numbers).
bool PreferResidualSolve(int64_t working_set_size, int64_t working_set_nnz, int64_t rows);

}  // namespace strads::lasso
