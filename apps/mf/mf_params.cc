#include "apps/mf/mf_params.h"

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/params.h"

namespace strads::mf {

const char* RegularizationName(Regularization reg) {
  return reg == Regularization::kWeighted ? "wr" : "plain";
}

absl::StatusOr<MfParams> ParseMfParams(const core::JobSpec& spec) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();
  // "lambda=auto" is not a number: take it out before the typed reader sees the parameters.
  std::map<std::string, std::string> params_text = spec.params;
  MfParams params;
  if (auto it = params_text.find("lambda"); it != params_text.end() && it->second == "auto") {
    params.lambda_auto = true;
    params_text.erase(it);
  }
  core::ParamReader reader(params_text);

  absl::StatusOr<int64_t> rank = reader.Int("rank", kDefaultRank, 1, kMaxRank);
  if (!rank.ok()) return rank.status();
  params.rank = *rank;

  absl::StatusOr<std::string> reg = reader.Choice("reg", "wr", {"wr", "plain"});
  if (!reg.ok()) return reg.status();
  params.reg = *reg == "plain" ? Regularization::kPlain : Regularization::kWeighted;

  const double default_lambda =
      params.reg == Regularization::kPlain ? kDefaultLambdaPlain : kDefaultLambdaWeighted;
  absl::StatusOr<double> lambda = reader.Double("lambda", default_lambda, 0, kInf);
  if (!lambda.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(lambda.status().message(), " (or give lambda=auto to choose it)"));
  }
  if (!std::isfinite(*lambda)) {
    return absl::InvalidArgumentError(
        absl::StrCat("lambda must be finite (or 'auto'), got ", *lambda));
  }
  params.lambda = params.lambda_auto ? std::numeric_limits<double>::quiet_NaN() : *lambda;

  absl::StatusOr<double> bias_lambda =
      reader.Double("bias_lambda", kDefaultBiasLambda, 0, std::numeric_limits<double>::max());
  if (!bias_lambda.ok()) return bias_lambda.status();
  params.bias_lambda = *bias_lambda;
  params.bias_lambda_given = params_text.contains("bias_lambda");

  absl::StatusOr<int64_t> lambda_folds = reader.Int("lambda_folds", 0, 0, 10);
  if (!lambda_folds.ok()) return lambda_folds.status();
  params.lambda_folds = static_cast<int>(*lambda_folds);

  absl::StatusOr<bool> biases = reader.Bool("biases", true);
  if (!biases.ok()) return biases.status();
  params.biases = *biases;

  absl::StatusOr<std::string> balance = reader.Choice("balance", "dynamic", {"dynamic", "static"});
  if (!balance.ok()) return balance.status();
  params.balance = *balance == "static" ? core::BalanceMode::kStatic : core::BalanceMode::kDynamic;

  absl::StatusOr<int64_t> seed = reader.Int("seed", 1, 0, kMaxInt);
  if (!seed.ok()) return seed.status();
  params.seed = static_cast<uint64_t>(*seed);

  absl::StatusOr<std::string> access = reader.Choice("data_access", "served", {"served", "shared"});
  if (!access.ok()) return access.status();
  params.shared_data = *access == "shared";
  if (params.shared_data && params.lambda_auto) {
    return absl::InvalidArgumentError(
        "lambda=auto needs data_access=served: its held-out fits run on the scheduler, which "
        "does not read shared data; give lambda a value");
  }

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
