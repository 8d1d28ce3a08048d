// The Lasso job's parameters, parsed and validated once from the job's text parameters, with
// messages that name the parameter a user got wrong.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/job_spec.h"

namespace strads::lasso {

inline constexpr int64_t kDefaultMaxRounds = 100000;
inline constexpr double kDefaultTolerance = 1e-6;  // relative duality gap

struct LassoParams {
  // "lambda" (>= 0). When absent, lambda_given is false and the scheduler uses
  // 0.1 * lambda_max, known only once the data is read.
  double lambda = 0;
  bool lambda_given = false;
  // "scheduler": dynamic (STRADS: priority + dependency check), random (Shotgun), static
  // (round-robin blocks) or cyclic (sequential CD).
  std::string scheduler = "dynamic";
  // "batch": coordinates per round, U (default 64). cyclic always uses 1.
  int64_t batch = 64;
  // "rho": the dependency threshold in (0, 1]; no two coordinates of one dynamic batch have
  // |corr| >= rho.
  double rho = 0.3;
  // "eta" (> 0): the dynamic priority floor, relative: a coordinate's weight is
  // (delta b_j)^2 + eta * mean_k (predicted delta b_k)^2, the mean taken at the last gap round
  // (whose full gradient predicts every coordinate's change). Relative, so it neither swamps the
  // changes as they shrink toward convergence nor depends on the units of X and y; every
  // coordinate stays reachable, and gap rounds re-rank all of them exactly anyway.
  double eta = 1e-6;
  // "gap_every": push rounds between duality-gap rounds; 0 = ceil(features / batch), so a check
  // (one pass over the data) costs about as much as the sweep of updates between checks.
  int64_t gap_every = 0;
  // "seed": for the random draws of the dynamic and random schedules.
  uint64_t seed = 1;
  // "candidates": dynamic draws ceil(candidates * batch) coordinates by priority before the
  // dependency filter keeps at most batch of them (>= 1).
  double candidates_factor = 2.0;
  // "target_objective": when > 0, the job stops as soon as a round reports an objective at or
  // below it (benchmarks measure time to a known suboptimality this way).
  double target_objective = 0;
  // From JobSpec (0 there means these defaults).
  int64_t max_rounds = kDefaultMaxRounds;
  double tolerance = kDefaultTolerance;
};

// Parses spec.params and the spec's max_rounds / tolerance. Unknown parameter names are refused.
absl::StatusOr<LassoParams> ParseLassoParams(const core::JobSpec& spec);

}  // namespace strads::lasso
