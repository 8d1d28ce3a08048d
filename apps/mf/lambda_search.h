// `--lambda auto`: picks the penalty on seeded held-out slices of the training ratings. Each
// lambda of a small log-spaced grid is fitted (single-process, apps/mf/reference_solver.h) on the
// rest, the one with the lowest held-out RMSE wins; then, unless the job gave bias_lambda, a few
// bias penalties are tried the same way at that lambda, and the pair walks to neighbouring grid
// points of either (past the grid's ends too) while that lowers the held-out error; last, the
// pair is refined between grid points (geometric midpoints, twice). On small data one 10% slice
// is a noisy judge (neighbouring grid points differ by 0.1-0.3% of RMSE), so up to
// kLambdaSearchMaxFolds disjoint slices are held out in turn and their errors pooled, enough to
// score about kLambdaSearchHeldOutTarget ratings. The job then trains on all the ratings with
// the choice. Runs in the scheduler at Prepare: it costs (fits, typically 20-30) x folds x
// single-threaded ALS fits over 90% of the data, each run until its objective settles (the job's
// tolerance and max_rounds), as the job's own fit is.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/mf/mf_params.h"
#include "apps/mf/ratings.h"

namespace strads::mf {

inline constexpr double kLambdaHoldoutFraction = 0.1;
// Folds are added (up to the maximum) until the held-out ratings pooled reach the target.
inline constexpr int64_t kLambdaSearchHeldOutTarget = 50000;
inline constexpr int kLambdaSearchMaxFolds = 3;
// Halvings (on a log scale) of the step between tried penalties after the grid walk.
inline constexpr int kLambdaSearchRefineLevels = 2;
// Steps the walk may take past either end of a grid.
inline constexpr int kLambdaSearchMaxExtensions = 3;
// bias_lambda values tried (besides the given one) once lambda is chosen.
inline constexpr double kBiasLambdaGrid[] = {0.3, 1, 3, 10, 30};

struct LambdaSearchOptions {
  int64_t rank = kDefaultRank;
  Regularization reg = Regularization::kWeighted;
  double bias_lambda = kDefaultBiasLambda;  // used while lambda is searched
  // Then search bias_lambda over kBiasLambdaGrid at the chosen lambda (when biases are on).
  bool search_bias_lambda = false;
  bool biases = true;
  uint64_t seed = 1;  // of the initial factors and of the held-out draw
  // Each held-out fit stops by the job's own rule (mf_math.h ObjectiveSettled): a fixed round
  // count would judge a slowly converging penalty before it has converged, and favour penalties
  // that converge fast over those that fit best (tolerance 0: always max_rounds rounds).
  int64_t max_rounds = kDefaultMaxRounds;
  double tolerance = kDefaultTolerance;
  double holdout_fraction = kLambdaHoldoutFraction;
  std::vector<double> grid;  // empty: DefaultLambdaGrid(reg)
  int folds = 0;             // held-out slices pooled; 0: FoldsFor(train's ratings, fraction)
  // false: the best point of the grid (and of the bias grid) only, no walk and no refinement.
  bool refine = true;
};

struct ScoredPenalties {
  double lambda = 0;
  double bias_lambda = 0;
  double holdout_rmse = 0;
  int64_t rounds = 0;  // the most rounds a fold's fit made
};

struct LambdaChoice {
  double lambda = 0;
  double bias_lambda = 0;
  std::vector<double> grid;
  std::vector<double> holdout_rmse;  // per grid entry, at options.bias_lambda
  std::vector<double> bias_grid;     // the bias_lambda values tried after, at the chosen lambda
  std::vector<double> bias_holdout_rmse;
  double best_holdout_rmse = 0;
  int64_t holdout_ratings = 0;  // pooled over the folds
  int folds = 1;
  std::vector<ScoredPenalties> tried;  // every pair fitted, in order (the grids' first)
};

// How many disjoint held-out slices the search pools for `ratings` training ratings: enough to
// reach kLambdaSearchHeldOutTarget held-out ratings, at most kLambdaSearchMaxFolds (and no more
// than 1 / fraction).
int FoldsFor(int64_t ratings, double fraction);

// The grid searched by default: 0.005 ... 1 for ALS-WR, 0.1 ... 100 for plain.
std::vector<double> DefaultLambdaGrid(Regularization reg);

// The training ratings without a seeded `fraction` of them, and those ratings as a test set
// (same dense indices). Deterministic for a seed. Each rating draws one uniform number; fold f
// holds out the draws in [f * fraction, (f + 1) * fraction), so the folds of a seed are disjoint.
struct HeldOutSplit {
  TrainingRatings fit;
  TestRatings held_out;
};
HeldOutSplit SplitHeldOut(const TrainingRatings& train, double fraction, uint64_t seed,
                          int fold = 0);

// InvalidArgument when too few ratings are left to hold any out.
absl::StatusOr<LambdaChoice> ChooseLambda(const TrainingRatings& train,
                                          const LambdaSearchOptions& options);

}  // namespace strads::mf
