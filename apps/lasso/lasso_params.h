// The Lasso job's parameters, parsed and validated once from the job's text parameters, with
// messages that name the parameter a user got wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/job_spec.h"

namespace strads::lasso {

inline constexpr int64_t kDefaultMaxRounds = 100000;
inline constexpr double kDefaultTolerance = 1e-6;  // relative duality gap
inline constexpr int64_t kMaxPathPoints = 100;
inline constexpr double kDefaultLambdaRatio = 0.1;  // lambda / lambda_max when not given
// The largest working set: its Gram (|W|^2 doubles) lives on the scheduler and its new columns
// travel in one message per worker (at most |W|^2 / 2 doubles, 16 MiB at 2048).
inline constexpr int64_t kDefaultWorkingSetMax = 2048;
inline constexpr int64_t kMaxWorkingSetMax = 4096;

// Where the data comes from (the "data_access" parameter).
enum class DataAccess {
  kServed,  // "served" (default): the scheduler reads the file and sends each worker its shard
  kShared,  // "shared": every worker sees the path and reads its own partition of it
};

// How a round's coordinates are chosen (the "scheduler" parameter).
enum class LassoScheduler {
  kWorkingSet,  // "working-set": exact solves on a priority-chosen working set's Gram (default)
  kDynamic,     // "dynamic": STRADS priority sampling + dependency check
  kRandom,      // "random": Shotgun, uniform coordinates, no check
  kStatic,      // "static": round-robin blocks
  kCyclic,      // "cyclic": sequential coordinate descent
};
std::string_view SchedulerName(LassoScheduler scheduler);

// The dynamic schedule's dependency check (the "dependency_check" parameter).
enum class DependencyCheck {
  // "gershgorin" (default): pairwise |corr| < rho and, for every kept column, the sum of its
  // |corr| with the other kept columns < 1, so the batch's correlation matrix has spectral radius
  // < 2 and the parallel step cannot raise the objective; backed by an objective monitor that
  // undoes a round that raised it anyway and shrinks the batch.
  kGershgorin,
  // "pairwise": the paper's check alone (|corr| < rho for every pair), no monitor. Kept as the
  // baseline it is: on mildly correlated real features it can diverge.
  kPairwise,
};

struct LassoParams {
  // "lambda" (> 0). When absent, lambda_given is false and the scheduler uses
  // path_ratio (default 0.1) * lambda_max, known only once the data is read.
  double lambda = 0;
  bool lambda_given = false;
  // "alpha" (> 0): the scikit-learn / glmnet scale, objective 1/(2N)||y - Xb||^2 + alpha||b||_1,
  // so lambda = N * alpha (known once the data is read). Excludes lambda and path_ratio.
  double alpha = 0;
  bool alpha_given = false;
  // "scheduler": see LassoScheduler.
  LassoScheduler scheduler = LassoScheduler::kWorkingSet;
  // "batch": coordinates per round, U (default 64). cyclic always uses 1. For dynamic it is the
  // upper bound of an adaptive batch (the dependency check and the monitor keep fewer).
  int64_t batch = 64;
  // "dependency_check": the dynamic schedule's check, see DependencyCheck.
  DependencyCheck dependency_check = DependencyCheck::kGershgorin;
  // "working_set_max": the working-set schedule's largest |W| (when more coordinates matter, it
  // solves blocks of this size chosen by priority, still exactly and safely).
  int64_t working_set_max = kDefaultWorkingSetMax;
  // "overshoot_round" (a test knob, -1 = off): the push round with this number applies 5 times
  // its computed deltas, a bad batch the dynamic schedule's monitor must catch and undo.
  int64_t overshoot_round = -1;
  // "rho": the dependency threshold in (0, 1]; no two coordinates of one dynamic batch have
  // |corr| >= rho.
  double rho = 0.3;
  // "eta" (> 0): the dynamic priority floor, relative: a coordinate's weight is
  // (delta b_j)^2 + eta * mean_k (predicted delta b_k)^2, the mean taken at the last gap round
  // (whose full gradient predicts every coordinate's change). Relative, so it neither swamps the
  // changes as they shrink toward convergence nor depends on the units of X and y; every
  // coordinate stays reachable, and gap rounds re-rank all of them exactly anyway.
  double eta = 1e-6;
  // "gap_every": push rounds between duality-gap rounds; 0 = ceil(non-empty features / batch), so a
  // check (one pass over the data) costs about as much as the sweep of updates between checks.
  int64_t gap_every = 0;
  // "seed": for the random draws of the dynamic and random schedules.
  uint64_t seed = 1;
  // "candidates": dynamic draws ceil(candidates * batch) coordinates by priority before the
  // dependency filter keeps at most batch of them (>= 1).
  double candidates_factor = 2.0;
  // "target_objective": when > 0, the job stops as soon as a round reports an objective at or
  // below it (benchmarks measure time to a known suboptimality this way).
  double target_objective = 0;
  // "intercept": fit an unpenalised intercept b0, F = 1/2 ||y - b0 - X b||^2 + lambda ||b||_1.
  // X is never centred (it stays sparse); b0 is an extra coordinate with an implicit all-ones
  // column, updated exactly after every round. lambda_max is then ||X'(y - mean(y))||_inf.
  bool intercept = false;
  // "standardize": the scheduler divides column j by s_j before sharding and solves in that
  // scale; lambda refers to the scaled problem (as in glmnet). s_j is the population standard
  // deviation sqrt(mean_i (x_ij - mean_j)^2) with an intercept (which absorbs the centring, so X
  // is scaled but never centred and stays sparse), and the root mean square sqrt(mean_i x_ij^2)
  // without one; a column with s_j = 0 keeps s_j = 1. Coefficients are reported and written in
  // the original scale, b_j = b_scaled_j / s_j.
  bool standardize = false;
  // "path": the number of lambdas solved in sequence, log-spaced from lambda_max down to the
  // job's lambda, each warm-started from the previous solution (1 = just lambda; at most
  // kMaxPathPoints).
  int64_t path = 1;
  // "path_ratio" in (0, 1): the final lambda as a fraction of lambda_max, an alternative to
  // "lambda" (not both). Without either, lambda is 0.1 * lambda_max.
  double path_ratio = 0;
  bool path_ratio_given = false;
  // "data_access": see DataAccess.
  DataAccess data_access = DataAccess::kServed;
  // "sketch_width" (16 to 2^20): buckets of the column sketches the dynamic schedule's dependency
  // check uses with shared data (core/column_sketch.h); exact when the data has no more rows.
  int64_t sketch_width = 4096;
  // From JobSpec (0 there means these defaults).
  int64_t max_rounds = kDefaultMaxRounds;
  double tolerance = kDefaultTolerance;
};

// Parses spec.params and the spec's max_rounds / tolerance. Unknown parameter names are refused.
absl::StatusOr<LassoParams> ParseLassoParams(const core::JobSpec& spec);

}  // namespace strads::lasso
