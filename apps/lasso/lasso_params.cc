#include "apps/lasso/lasso_params.h"

#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/params.h"

namespace strads::lasso {

std::string_view SchedulerName(LassoScheduler scheduler) {
  switch (scheduler) {
    case LassoScheduler::kWorkingSet:
      return "working-set";
    case LassoScheduler::kDynamic:
      return "dynamic";
    case LassoScheduler::kRandom:
      return "random";
    case LassoScheduler::kStatic:
      return "static";
    case LassoScheduler::kCyclic:
      return "cyclic";
  }
  return "working-set";
}

absl::StatusOr<LassoParams> ParseLassoParams(const core::JobSpec& spec) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();
  core::ParamReader reader(spec.params);
  LassoParams params;

  if (spec.params.contains("lambda")) {
    absl::StatusOr<double> lambda = reader.Double("lambda", 0, -kInf, kInf);
    if (!lambda.ok()) return lambda.status();
    if (!(*lambda > 0) || !std::isfinite(*lambda)) {
      // At 0 the duality gap that stops the job is undefined (its dual point is 0), so such a job
      // could never converge; path_ratio reaches as close to least squares as wanted.
      return absl::InvalidArgumentError(absl::StrCat(
          "lambda must be > 0 and finite (for a near least-squares fit give a small path_ratio, "
          "e.g. 1e-4), got ",
          *lambda));
    }
    params.lambda = *lambda;
    params.lambda_given = true;
  }
  if (spec.params.contains("alpha")) {
    absl::StatusOr<double> alpha = reader.Double("alpha", 0, -kInf, kInf);
    if (!alpha.ok()) return alpha.status();
    if (!(*alpha > 0) || !std::isfinite(*alpha)) {
      return absl::InvalidArgumentError(
          absl::StrCat("alpha must be > 0 and finite (lambda = samples * alpha), got ", *alpha));
    }
    if (params.lambda_given) {
      return absl::InvalidArgumentError(
          "give lambda or alpha (the scikit-learn/glmnet scale, lambda = samples * alpha), not "
          "both");
    }
    params.alpha = *alpha;
    params.alpha_given = true;
  }
  absl::StatusOr<std::string> scheduler = reader.Choice(
      "scheduler", "working-set", {"working-set", "dynamic", "random", "static", "cyclic"});
  if (!scheduler.ok()) return scheduler.status();
  for (LassoScheduler s :
       {LassoScheduler::kWorkingSet, LassoScheduler::kDynamic, LassoScheduler::kRandom,
        LassoScheduler::kStatic, LassoScheduler::kCyclic}) {
    if (*scheduler == SchedulerName(s)) params.scheduler = s;
  }

  absl::StatusOr<int64_t> batch = reader.Int("batch", 64, 1, int64_t{1} << 30);
  if (!batch.ok()) return batch.status();
  params.batch = params.scheduler == LassoScheduler::kCyclic ? 1 : *batch;

  absl::StatusOr<std::string> check =
      reader.Choice("dependency_check", "gershgorin", {"gershgorin", "pairwise"});
  if (!check.ok()) return check.status();
  params.dependency_check =
      *check == "pairwise" ? DependencyCheck::kPairwise : DependencyCheck::kGershgorin;

  absl::StatusOr<int64_t> working_set_max =
      reader.Int("working_set_max", kDefaultWorkingSetMax, 1, kMaxWorkingSetMax);
  if (!working_set_max.ok()) return working_set_max.status();
  params.working_set_max = *working_set_max;

  absl::StatusOr<int64_t> overshoot = reader.Int("overshoot_round", -1, -1, kMaxInt);
  if (!overshoot.ok()) return overshoot.status();
  params.overshoot_round = *overshoot;

  absl::StatusOr<double> rho = reader.Double("rho", 0.3, -kInf, kInf);
  if (!rho.ok()) return rho.status();
  if (!(*rho > 0 && *rho <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("rho must be in (0, 1], got ", *rho));
  }
  params.rho = *rho;

  absl::StatusOr<double> eta = reader.Double("eta", 1e-6, 0, 1e6);
  if (!eta.ok()) return eta.status();
  if (!(*eta > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "eta must be > 0 (it keeps every coordinate reachable by the dynamic schedule), got ",
        *eta));
  }
  params.eta = *eta;

  absl::StatusOr<int64_t> gap_every = reader.Int("gap_every", 0, 0, kMaxInt);
  if (!gap_every.ok()) return gap_every.status();
  params.gap_every = *gap_every;

  absl::StatusOr<int64_t> seed = reader.Int("seed", 1, 0, kMaxInt);
  if (!seed.ok()) return seed.status();
  params.seed = static_cast<uint64_t>(*seed);

  absl::StatusOr<double> candidates = reader.Double("candidates", 2.0, 1.0, 1000.0);
  if (!candidates.ok()) return candidates.status();
  params.candidates_factor = *candidates;

  absl::StatusOr<double> target = reader.Double("target_objective", 0, 0, 1e300);
  if (!target.ok()) return target.status();
  params.target_objective = *target;

  absl::StatusOr<bool> intercept = reader.Bool("intercept", false);
  if (!intercept.ok()) return intercept.status();
  params.intercept = *intercept;

  absl::StatusOr<bool> standardize = reader.Bool("standardize", false);
  if (!standardize.ok()) return standardize.status();
  params.standardize = *standardize;

  absl::StatusOr<int64_t> path = reader.Int("path", 1, 1, kMaxPathPoints);
  if (!path.ok()) return path.status();
  params.path = *path;

  if (spec.params.contains("path_ratio")) {
    absl::StatusOr<double> ratio = reader.Double("path_ratio", kDefaultLambdaRatio, 0, 1);
    if (!ratio.ok()) return ratio.status();
    if (!(*ratio > 0 && *ratio < 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("path_ratio (final lambda / lambda_max) must be in (0, 1), got ", *ratio));
    }
    if (params.lambda_given || params.alpha_given) {
      return absl::InvalidArgumentError(
          absl::StrCat("give ", params.lambda_given ? "lambda" : "alpha",
                       " or path_ratio (lambda as a fraction of lambda_max), not both"));
    }
    params.path_ratio = *ratio;
    params.path_ratio_given = true;
  } else {
    params.path_ratio = kDefaultLambdaRatio;
  }
  absl::StatusOr<std::string> access = reader.Choice("data_access", "served", {"served", "shared"});
  if (!access.ok()) return access.status();
  params.data_access = *access == "shared" ? DataAccess::kShared : DataAccess::kServed;
  if (params.data_access == DataAccess::kServed && spec.params.contains("sketch_width")) {
    // Served data leaves the columns on the scheduler, which compares them exactly: a width given
    // there would be silently ignored.
    return absl::InvalidArgumentError(
        "sketch_width needs --data-access shared (served data's correlations are exact, with no "
        "sketch)");
  }
  absl::StatusOr<int64_t> sketch_width = reader.Int("sketch_width", 4096, 16, int64_t{1} << 20);
  if (!sketch_width.ok()) return sketch_width.status();
  params.sketch_width = *sketch_width;

  if (absl::Status status = reader.CheckAllUsed(); !status.ok()) return status;

  absl::StatusOr<core::StopRules> stop =
      core::ResolveStopRules(spec.max_rounds, spec.tolerance, kDefaultMaxRounds, kDefaultTolerance,
                             "relative duality gap");
  if (!stop.ok()) return stop.status();
  params.max_rounds = stop->max_rounds;
  params.tolerance = stop->tolerance;
  return params;
}

}  // namespace strads::lasso
