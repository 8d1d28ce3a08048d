// The matrix-factorization job's parameters, parsed and validated once from the job's text
// parameters, with messages that name the parameter a user got wrong.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/job_spec.h"
#include "core/load_balancer.h"

namespace strads::mf {

inline constexpr int64_t kDefaultRank = 10;
inline constexpr int64_t kMaxRank = 1000;
// How a row's penalty scales. kWeighted is ALS-WR (Zhou et al. 2008; Spark ALS's regParam): row r
// with n_r ratings pays lambda * n_r * ||[x_r; b_r]||^2, so a user with 3 ratings and one with
// 2000 are shrunk alike relative to their data. kPlain pays lambda * ||[x_r; b_r]||^2 for every
// row. Either way a row's bias b_r pays bias_lambda * b_r^2, whatever the row's length: like the
// damped means of bias baselines, a bias seen in many ratings is barely shrunk (under the ALS-WR
// weight every bias would be shrunk by the same factor 1 / (1 + lambda), however much data backs
// it; on MovieLens latest-small at rank 10 that costs 0.007 of test RMSE).
enum class Regularization { kWeighted, kPlain };
// lambda=auto, its fits run to convergence, chose 0.14-0.2 on MovieLens latest-small and on
// generated power-law 1-5 star ratings at ranks 5, 10 and 20; the default 0.2 is within 1.2% of
// test RMSE of its choice there (docs/benchmarks.md). The plain default is not benchmarked: plain
// lambda needs roughly the mean row length times more than ALS-WR's.
inline constexpr double kDefaultLambdaWeighted = 0.2;
inline constexpr double kDefaultLambdaPlain = 2.0;
inline constexpr double kDefaultBiasLambda = 3.0;
// Relative change of the objective between consecutive rounds of the same phase (mf_math.h
// ObjectiveSettled). ALS on real ratings has a long, slow tail when a factor sits near the penalty
// that switches it off: at 1e-4 it stopped after about 40 rounds with the test RMSE still 0.15-0.6%
// above its converged value (MovieLens latest-small and generated power-law ratings, rank 5,
// lambda 0.2); 1e-5 stops within about 0.05% of it, after 30-100 rounds there
// (docs/benchmarks.md). The cap only guards against a tail slower still.
inline constexpr int64_t kDefaultMaxRounds = 400;
inline constexpr double kDefaultTolerance = 1e-5;

struct MfParams {
  int64_t rank = kDefaultRank;  // "rank": K, in [1, 1000]
  // "lambda": >= 0, or "auto" (lambda_auto; lambda is then chosen at Prepare, see
  // apps/mf/lambda_search.h). The default depends on "reg".
  double lambda = kDefaultLambdaWeighted;
  bool lambda_auto = false;
  Regularization reg = Regularization::kWeighted;  // "reg": wr | plain
  double bias_lambda = kDefaultBiasLambda;         // "bias_lambda": >= 0, see Regularization
  bool bias_lambda_given = false;                  // else lambda=auto also chooses bias_lambda
  // "lambda_folds": held-out slices lambda=auto pools, in [0, 10]; 0 (default) as many as reach
  // about 50000 held-out ratings, at most 3 (apps/mf/lambda_search.h FoldsFor). Fewer cost less.
  int lambda_folds = 0;
  // "biases": true (default) fits mu + b_u + b_i + w_u'h_i; false fits w_u'h_i alone (the old
  // model, kept for comparison).
  bool biases = true;
  core::BalanceMode balance = core::BalanceMode::kDynamic;  // "balance": dynamic | static
  uint64_t seed = 1;                                        // "seed": of the initial factors
  // "data_access": served (default: the scheduler reads the ratings and sends each worker its
  // rows) or shared (each worker reads a byte range of the files itself; apps/mf/mf_shared_*).
  bool shared_data = false;
  // From JobSpec (0 there means these defaults).
  int64_t max_rounds = kDefaultMaxRounds;
  double tolerance = kDefaultTolerance;
};

// "wr" or "plain".
const char* RegularizationName(Regularization reg);

// Parses spec.params and the spec's max_rounds / tolerance. Unknown parameter names are refused.
absl::StatusOr<MfParams> ParseMfParams(const core::JobSpec& spec);

}  // namespace strads::mf
