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

  if (spec.max_rounds < 0) {
    return absl::InvalidArgumentError(absl::StrCat("max_rounds must be >= 0 (0 = default ",
                                                   kDefaultMaxRounds, "), got ", spec.max_rounds));
  }
  params.max_rounds = spec.max_rounds > 0 ? spec.max_rounds : kDefaultMaxRounds;
  if (!(spec.tolerance >= 0 && spec.tolerance < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tolerance (relative objective change per sweep) must be in [0, 1) (0 = default ",
        kDefaultTolerance, "), got ", spec.tolerance));
  }
  params.tolerance = spec.tolerance > 0 ? spec.tolerance : kDefaultTolerance;
  return params;
}

}  // namespace strads::mf
