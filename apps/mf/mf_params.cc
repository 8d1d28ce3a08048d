#include "apps/mf/mf_params.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/params.h"

namespace strads::mf {

absl::StatusOr<MfParams> ParseMfParams(const core::JobSpec& spec) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();
  core::ParamReader reader(spec.params);
  MfParams params;

  absl::StatusOr<int64_t> rank = reader.Int("rank", kDefaultRank, 1, kMaxRank);
  if (!rank.ok()) return rank.status();
  params.rank = *rank;

  absl::StatusOr<double> lambda = reader.Double("lambda", kDefaultLambda, 0, kInf);
  if (!lambda.ok()) return lambda.status();
  if (!std::isfinite(*lambda)) {
    return absl::InvalidArgumentError(absl::StrCat("lambda must be finite, got ", *lambda));
  }
  params.lambda = *lambda;

  absl::StatusOr<std::string> balance = reader.Choice("balance", "dynamic", {"dynamic", "static"});
  if (!balance.ok()) return balance.status();
  params.balance = *balance == "static" ? core::BalanceMode::kStatic : core::BalanceMode::kDynamic;

  absl::StatusOr<int64_t> seed = reader.Int("seed", 1, 0, kMaxInt);
  if (!seed.ok()) return seed.status();
  params.seed = static_cast<uint64_t>(*seed);

  if (absl::Status status = reader.CheckAllUsed(); !status.ok()) return status;

  absl::StatusOr<core::StopRules> stop =
      core::ResolveStopRules(spec.max_rounds, spec.tolerance, kDefaultMaxRounds, kDefaultTolerance,
                             "relative objective change per sweep");
  if (!stop.ok()) return stop.status();
  params.max_rounds = stop->max_rounds;
  params.tolerance = stop->tolerance;
  return params;
}

}  // namespace strads::mf
