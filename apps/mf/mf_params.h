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
inline constexpr double kDefaultLambda = 0.05;
inline constexpr int64_t kDefaultMaxRounds = 40;
// Relative change of the objective between consecutive rounds of the same phase.
inline constexpr double kDefaultTolerance = 1e-4;

struct MfParams {
  int64_t rank = kDefaultRank;                              // "rank": K, in [1, 1000]
  double lambda = kDefaultLambda;                           // "lambda": L2 penalty on W and H, >= 0
  core::BalanceMode balance = core::BalanceMode::kDynamic;  // "balance": dynamic | static
  uint64_t seed = 1;                                        // "seed": of the initial factors
  // From JobSpec (0 there means these defaults).
  int64_t max_rounds = kDefaultMaxRounds;
  double tolerance = kDefaultTolerance;
};

// Parses spec.params and the spec's max_rounds / tolerance. Unknown parameter names are refused.
absl::StatusOr<MfParams> ParseMfParams(const core::JobSpec& spec);

}  // namespace strads::mf
