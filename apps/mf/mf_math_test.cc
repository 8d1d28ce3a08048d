#include "apps/mf/mf_math.h"

#include <cstdint>
#include <random>
#include <vector>

#include "Eigen/Dense"
#include "gtest/gtest.h"

namespace strads::mf {
namespace {

// Solve against the textbook formula x = (G G' + diag(p, ..., p, q))^-1 G (a - mu - b) with G
// the augmented features [f_c; 1] (or f_c without biases), p = lambda * n (ALS-WR) or lambda
// (plain) and q = bias_lambda, on rows short and long enough for both of RowSolver's paths
// (rank-one updates, and the gathered block for long rows at higher ranks), with repeated columns
// and a reused solver. Seed 4.
TEST(RowSolver, MatchesTheNormalEquationsWithThePerRowPenalty) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> uniform(-1, 1);
  const double lambda = 0.3;
  const double mu = 3.25;
  for (int64_t rank : {4, 12}) {
    for (Regularization reg : {Regularization::kWeighted, Regularization::kPlain}) {
      for (bool biases : {true, false}) {
        const int64_t stride = RowStride(rank);
        const int64_t dim = biases ? rank + 1 : rank;
        const int64_t cols_total = 300;
        std::vector<double> factor(static_cast<size_t>(cols_total * stride));
        for (double& v : factor) v = uniform(rng);
        const double bias_lambda = 1.7;
        RowSolver solver({.rank = rank,
                          .lambda = lambda,
                          .reg = reg,
                          .bias_lambda = bias_lambda,
                          .biases = biases,
                          .mu = mu});
        for (int m : {1, 10, 63, 64, 200, 1000, 5}) {
          std::vector<int32_t> cols(m);
          std::vector<double> ratings(m);
          for (int k = 0; k < m; ++k) {
            cols[k] = static_cast<int32_t>(rng() % cols_total);
            ratings[k] = mu + 3 * uniform(rng);
          }
          Eigen::MatrixXd g(dim, m);
          Eigen::VectorXd a(m);
          for (int k = 0; k < m; ++k) {
            for (int64_t d = 0; d < rank; ++d) g(d, k) = factor[cols[k] * stride + d];
            if (biases) g(rank, k) = 1.0;
            // Without biases the model has no mu and no other bias.
            a(k) = ratings[k] - (biases ? mu + factor[cols[k] * stride + rank] : 0.0);
          }
          const double penalty = reg == Regularization::kWeighted ? lambda * m : lambda;
          Eigen::MatrixXd system =
              g * g.transpose() + penalty * Eigen::MatrixXd::Identity(dim, dim);
          if (biases) system(rank, rank) += bias_lambda - penalty;
          const Eigen::VectorXd expected = system.ldlt().solve(g * a);
          const double expected_error = (a - g.transpose() * expected).squaredNorm();

          std::vector<double> out(static_cast<size_t>(stride), 7.0);
          const double error = solver.Solve(cols, ratings, factor.data(), out.data());
          const std::string where = "rank " + std::to_string(rank) + " m " + std::to_string(m) +
                                    " reg " + RegularizationName(reg) + " biases " +
                                    std::to_string(biases);
          for (int64_t d = 0; d < dim; ++d) {
            EXPECT_NEAR(out[d], expected(d), 1e-10 * (1 + std::abs(expected(d))))
                << where << " d " << d;
          }
          if (!biases) EXPECT_EQ(out[rank], 0.0) << where;
          EXPECT_NEAR(error, expected_error, 1e-9 * (1 + expected_error)) << where;
        }
      }
    }
  }
}

// ALS-WR shrinks a row's factors by its own length: two rows that see the same ratings pattern
// repeated 1x and 100x get the same solution, where plain lambda shrinks the short one much harder.
TEST(RowSolver, WeightedPenaltyScalesWithTheRowLength) {
  const std::vector<double> factor = {1.0, 0.0, 0.5, 0.0};  // 2 columns, rank 1 + bias
  std::vector<int32_t> short_cols = {0, 1};
  std::vector<double> short_ratings = {2.0, 1.0};
  std::vector<int32_t> long_cols;
  std::vector<double> long_ratings;
  for (int k = 0; k < 100; ++k) {
    long_cols.insert(long_cols.end(), short_cols.begin(), short_cols.end());
    long_ratings.insert(long_ratings.end(), short_ratings.begin(), short_ratings.end());
  }
  double short_row[2], long_row[2];
  // Without the (constant) bias penalty, so that only the weighting differs.
  RowSolver weighted(
      {.rank = 1, .lambda = 0.5, .reg = Regularization::kWeighted, .bias_lambda = 0});
  weighted.Solve(short_cols, short_ratings, factor.data(), short_row);
  weighted.Solve(long_cols, long_ratings, factor.data(), long_row);
  EXPECT_NEAR(short_row[0], long_row[0], 1e-12);
  EXPECT_NEAR(short_row[1], long_row[1], 1e-12);
  RowSolver plain({.rank = 1, .lambda = 0.5, .reg = Regularization::kPlain, .bias_lambda = 0});
  plain.Solve(short_cols, short_ratings, factor.data(), short_row);
  plain.Solve(long_cols, long_ratings, factor.data(), long_row);
  EXPECT_LT(std::abs(short_row[0]), 0.9 * std::abs(long_row[0]));
}

TEST(RowSolver, ARowWithoutRatingsBecomesZero) {
  RowSolver solver({.rank = 3, .lambda = 0.1});
  const std::vector<double> factor(12, 1.0);
  std::vector<double> out = {5, 5, 5, 5};
  EXPECT_EQ(solver.Solve({}, {}, factor.data(), out.data()), 0.0);
  EXPECT_EQ(out, (std::vector<double>{0, 0, 0, 0}));
}

TEST(Predictor, AddsMuAndBothBiasesAndClipsToTheRatingRange) {
  const Predictor predictor{.rank = 2, .mu = 3, .min_rating = 1, .max_rating = 5};
  const double user[] = {1, 2, 0.5};    // factors, bias
  const double item[] = {0.25, 0, -1};  // factors, bias
  EXPECT_DOUBLE_EQ(predictor.Predict(user, item), 3 + 0.5 - 1 + 0.25);
  const double big[] = {10, 10, 0};
  EXPECT_EQ(predictor.Predict(big, big), 5.0);
  const double low[] = {0, 0, -9};
  EXPECT_EQ(predictor.Predict(low, item), 1.0);
}

}  // namespace
}  // namespace strads::mf
