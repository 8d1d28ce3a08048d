#include "apps/mf/mf_math.h"

#include <cstdint>
#include <random>
#include <vector>

#include "Eigen/Dense"
#include "gtest/gtest.h"

namespace strads::mf {
namespace {

// Solve against the textbook formula, w = (F F' + lambda I)^-1 F a, on rows short and long enough
// for both of RowSolver's paths (rank-one updates, and the gathered block for long rows at
// higher ranks), with repeated columns and a reused solver.
TEST(RowSolver, MatchesTheNormalEquationsOnShortAndLongRows) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> uniform(-1, 1);
  for (int64_t rank : {4, 12}) {
    const int64_t cols_total = 300;
    std::vector<double> factor(static_cast<size_t>(cols_total * rank));
    for (double& v : factor) v = uniform(rng);
    RowSolver solver(rank, 0.3);
    for (int m : {1, 10, 63, 64, 200, 1000, 5}) {
      std::vector<int32_t> cols(m);
      std::vector<double> ratings(m);
      for (int k = 0; k < m; ++k) {
        cols[k] = static_cast<int32_t>(rng() % cols_total);
        ratings[k] = 3 * uniform(rng);
      }
      Eigen::MatrixXd f(rank, m);
      Eigen::VectorXd a(m);
      for (int k = 0; k < m; ++k) {
        for (int64_t d = 0; d < rank; ++d) f(d, k) = factor[cols[k] * rank + d];
        a(k) = ratings[k];
      }
      const Eigen::MatrixXd system =
          f * f.transpose() + 0.3 * Eigen::MatrixXd::Identity(rank, rank);
      const Eigen::VectorXd expected = system.ldlt().solve(f * a);
      const double expected_error = (a - f.transpose() * expected).squaredNorm();

      std::vector<double> out(static_cast<size_t>(rank));
      const double error = solver.Solve(cols, ratings, factor.data(), out.data());
      for (int64_t d = 0; d < rank; ++d) {
        EXPECT_NEAR(out[d], expected(d), 1e-10 * (1 + std::abs(expected(d))))
            << "rank " << rank << " m " << m << " d " << d;
      }
      EXPECT_NEAR(error, expected_error, 1e-9 * (1 + expected_error))
          << "rank " << rank << " m " << m;
    }
  }
}

TEST(RowSolver, ARowWithoutRatingsBecomesZero) {
  RowSolver solver(3, 0.1);
  const std::vector<double> factor(9, 1.0);
  std::vector<double> out = {5, 5, 5};
  EXPECT_EQ(solver.Solve({}, {}, factor.data(), out.data()), 0.0);
  EXPECT_EQ(out, (std::vector<double>{0, 0, 0}));
}

}  // namespace
}  // namespace strads::mf
