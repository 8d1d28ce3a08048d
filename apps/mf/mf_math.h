// The arithmetic of regularised alternating least squares with biases, shared by the worker half
// of the app and the single-process reference solver so that both make bit-identical updates.
//
// The model: r_ui ~ mu + b_u + b_i + w_u'h_i. Factors are stored augmented, K + 1 values a row
// ([w_u, b_u] for users, [h_i, b_i] for items; kStride = rank + 1). Solving a user row is then
// one ridge regression of the targets r_ui - mu - b_i on the features [h_i; 1], whose solution
// is [w_u; b_u] (the augmented-vector trick): biases are learned exactly in every ALS step.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "Eigen/Cholesky"
#include "Eigen/Core"
#include "apps/mf/mf_params.h"
#include "apps/mf/ratings.h"

namespace strads::mf {

// Values per stored factor row: K factors, then the row's bias.
inline int64_t RowStride(int64_t rank) { return rank + 1; }

// What a row solve needs beyond the data.
struct SolveOptions {
  int64_t rank = 10;
  double lambda = 0.05;
  Regularization reg = Regularization::kWeighted;
  double bias_lambda = kDefaultBiasLambda;  // the bias entry's penalty, not scaled by the row
  bool biases = true;                       // false: the bias entries stay 0 and mu is 0
  double mu = 0;                            // the global mean, subtracted from every rating
};

// Solves one row: x = argmin sum_k (a_k - mu - b_{c_k} - x'g_{c_k})^2 + p ||w||^2 + q b^2 with
// g_c = [f_c; 1] and x = [w; b] when biases are on (g_c = f_c, x = w otherwise), p = lambda *
// (number of ratings) for ALS-WR or lambda for plain, and q = bias_lambda:
// x = (G'G + diag(p, ..., p, q))^-1 G'(a - mu - b) (Cholesky of the system). Reuses its buffers, so
// solving rows allocates nothing. Not thread-safe (one per thread).
class RowSolver {
 public:
  explicit RowSolver(const SolveOptions& options);

  // `factor` is the other factor, row-major with RowStride(rank) values a row (row c at
  // factor[c * stride]). Writes the new row to `out` (stride values: factors, then bias) and
  // returns the squared error of the row's ratings under it. A row with no ratings becomes 0.
  double Solve(std::span<const int32_t> cols, std::span<const double> ratings, const double* factor,
               double* out);

  // The same solve from a row's sums over its ratings, as NormalEquationsOf gives them (summed
  // over every holder of the row's ratings): `packed` the lower triangle of G'G, `rhs` G'a,
  // `targets_squared` a'a, `ratings` their number. Writes the row to `out` and returns its squared
  // error, a'a - 2 x'G'a + x'G'Gx, at least 0 (it cancels to rounding on a near-exact fit).
  double SolveFromSums(const double* packed, const double* rhs, double targets_squared,
                       int64_t ratings, double* out);

  // Unknowns per row: rank + 1 with biases, rank without.
  int64_t dim() const { return dim_; }

  const SolveOptions& options() const { return options_; }

 private:
  // Rows at least this long, at a rank at least this high, take the gathered (blocked) path.
  static constexpr Eigen::Index kBlockedMinRatings = 64;
  static constexpr int64_t kBlockedMinRank = 8;

  double SolveByRankOneUpdates(std::span<const int32_t> cols, std::span<const double> ratings,
                               const double* factor, Eigen::Map<Eigen::VectorXd>& x);
  // The bias of the other factor's row (0 for a model without biases, whatever is stored).
  double OtherBias(const double* row) const { return options_.biases ? row[options_.rank] : 0.0; }
  // Adds the row's penalty to gram_'s diagonal, factors it and solves for rhs_ into x.
  void FactorAndSolve(double penalty, Eigen::Map<Eigen::VectorXd>& x);

  SolveOptions options_;
  int64_t stride_;
  int64_t dim_;  // unknowns per row: rank + 1 with biases, rank without
  Eigen::MatrixXd gram_;
  Eigen::VectorXd rhs_;
  Eigen::VectorXd data_diagonal_;  // G'G's diagonal before the penalty (SolveFromSums)
  Eigen::VectorXd feature_;        // one g_c
  Eigen::MatrixXd gathered_;       // dim x (at least the ratings of the largest row so far)
  Eigen::VectorXd targets_;        // a - mu - b of the row
  Eigen::VectorXd fitted_;         // the row's predicted targets
  Eigen::LLT<Eigen::MatrixXd, Eigen::Lower> llt_;
};

// Values of a row's sums in NormalEquationsOf's layout: a'a, then G'a (dim), then the lower
// triangle of G'G column by column (dim (dim + 1) / 2).
inline int64_t NormalEquationsSize(int64_t dim) { return 1 + dim + dim * (dim + 1) / 2; }

// Sums of one row's ratings for a solve elsewhere (RowSolver::SolveFromSums): the rows's sums
// add over any split of its ratings, so holders of parts of them can each send theirs. Layout:
// NormalEquationsSize; `gram` and `feature` are scratch (dim x dim and dim).
void NormalEquationsOf(const SolveOptions& options, std::span<const int32_t> cols,
                       std::span<const double> ratings, const double* factor, Eigen::MatrixXd* gram,
                       Eigen::VectorXd* feature, double* out);

// The seeded initial factors: W (users x stride) then H (items x stride), row-major; every factor
// entry uniform in [0, 1/sqrt(K)) from one std::mt19937_64 stream (same on every platform), every
// bias 0.
void InitFactors(int64_t users, int64_t items, int64_t rank, uint64_t seed, std::vector<double>* w,
                 std::vector<double>* h);

// How predictions are made from the factors.
struct Predictor {
  int64_t rank = 10;
  double mu = 0;
  // Predictions are clipped to the training ratings' range (the scale a user rated on).
  double min_rating = -std::numeric_limits<double>::infinity();
  double max_rating = std::numeric_limits<double>::infinity();

  double Predict(const double* user_row, const double* item_row) const {
    double p = mu + user_row[rank] + item_row[rank];
    for (int64_t f = 0; f < rank; ++f) p += user_row[f] * item_row[f];
    return p < min_rating ? min_rating : (p > max_rating ? max_rating : p);
  }
};

// The stopping rule of every ALS fit (the app's rounds, the reference solver, lambda=auto's
// held-out fits): a round's objective against the previous round's of the same half (users or
// items; alternate rounds move different halves of the model, and each round minimises the
// objective exactly over its half, so it never rises). Settled when it moved by at most
// `tolerance` of itself; `previous` < 0 means no such round yet.
inline bool ObjectiveSettled(double previous, double current, double tolerance) {
  return previous >= 0 &&
         std::abs(previous - current) <= tolerance * std::max(std::abs(current), 1e-300);
}

// Sum of (a_ij - prediction)^2 over the held-out ratings.
double TestSquaredError(const TestRatings& test, const Predictor& predictor,
                        std::span<const double> w, std::span<const double> h);

// The penalty term of the objective: sum_r lambda * weight_r ||w_r||^2 + bias_lambda * b_r^2 over
// both factors (weight_r = its number of ratings for ALS-WR, 1 for plain).
double Regularizer(const SolveOptions& options, const TrainingRatings& train,
                   std::span<const double> w, std::span<const double> h);
// The same from each row's number of ratings.
double Regularizer(const SolveOptions& options, std::span<const int64_t> user_ratings,
                   std::span<const int64_t> item_ratings, std::span<const double> w,
                   std::span<const double> h);

// Sum of (a - mu - b_u - b_i - w'h)^2 over the training ratings, unclipped (what the ALS steps
// minimise).
double TrainSquaredError(const TrainingRatings& train, const SolveOptions& options,
                         std::span<const double> w, std::span<const double> h);

}  // namespace strads::mf
