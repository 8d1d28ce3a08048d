// The arithmetic of regularised alternating least squares, shared by the worker half of the app
// and the single-process reference solver so that both make bit-identical updates.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "Eigen/Cholesky"
#include "Eigen/Core"
#include "apps/mf/ratings.h"

namespace strads::mf {

// Solves one row: w = argmin sum_k (a_k - w'f_{c_k})^2 + lambda ||w||^2
//                   = (F_c'F_c + lambda I)^-1 F_c'a   (Cholesky of the K x K system),
// over the ratings a_k in columns c_k of the row, with F the other factor. Reuses its buffers,
// so solving rows allocates nothing. Not thread-safe (one per thread).
class RowSolver {
 public:
  RowSolver(int64_t rank, double lambda);

  // `factor` is the other factor, row-major (row c at factor[c * rank]). Writes the new row to
  // `out` (rank values) and returns the squared error of the row's ratings under it. A row with
  // no ratings becomes 0.
  double Solve(std::span<const int32_t> cols, std::span<const double> ratings, const double* factor,
               double* out);

 private:
  // Rows at least this long, at a rank at least this high, take the gathered (blocked) path.
  static constexpr Eigen::Index kBlockedMinRatings = 64;
  static constexpr int64_t kBlockedMinRank = 8;

  double SolveByRankOneUpdates(std::span<const int32_t> cols, std::span<const double> ratings,
                               const double* factor, double* out);
  // Adds lambda to gram_'s diagonal, factors it and solves for rhs_ into w.
  void FactorAndSolve(Eigen::Map<Eigen::VectorXd>& w);

  int64_t rank_;
  double lambda_;
  Eigen::MatrixXd gram_;
  Eigen::VectorXd rhs_;
  Eigen::MatrixXd gathered_;  // K x (at least the ratings of the largest row so far)
  Eigen::VectorXd fitted_;    // the row's predicted ratings
  Eigen::LLT<Eigen::MatrixXd, Eigen::Lower> llt_;
};

// The seeded initial factors: W (users x K) then H (items x K), row-major, every entry uniform in
// [0, 1/sqrt(K)) from one std::mt19937_64 stream (same on every platform).
void InitFactors(int64_t users, int64_t items, int64_t rank, uint64_t seed, std::vector<double>* w,
                 std::vector<double>* h);

// Sum of (a_ij - w_i'h_j)^2 over the held-out ratings.
double TestSquaredError(const TestRatings& test, int64_t rank, std::span<const double> w,
                        std::span<const double> h);

// lambda (||W||^2 + ||H||^2).
double Regularizer(double lambda, std::span<const double> w, std::span<const double> h);

}  // namespace strads::mf
