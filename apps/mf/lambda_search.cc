#include "apps/mf/lambda_search.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <random>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "apps/mf/mf_math.h"
#include "apps/mf/reference_solver.h"

namespace strads::mf {

std::vector<double> DefaultLambdaGrid(Regularization reg) {
  if (reg == Regularization::kWeighted) return {0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1};
  return {0.1, 0.3, 1, 3, 10, 30, 100};
}

int FoldsFor(int64_t ratings, double fraction) {
  const double per_fold = std::max(1.0, fraction * static_cast<double>(ratings));
  const int wanted = static_cast<int>(std::ceil(kLambdaSearchHeldOutTarget / per_fold));
  const int most = std::max(1, std::min(kLambdaSearchMaxFolds, static_cast<int>(1.0 / fraction)));
  return std::clamp(wanted, 1, most);
}

HeldOutSplit SplitHeldOut(const TrainingRatings& train, double fraction, uint64_t seed, int fold) {
  // Its own stream (not the initial factors'), so the split does not shift with the rank.
  std::mt19937_64 rng(seed ^ 0x6c616d6264615f31ULL);
  const double low = fold * fraction;
  const double high = (fold + 1) * fraction;
  HeldOutSplit split;
  const RatingsCsr& m = train.by_user;
  RatingsCsr& fit = split.fit.by_user;
  fit.rows = m.rows;
  fit.cols = m.cols;
  fit.ptr.assign(m.rows + 1, 0);
  for (int64_t u = 0; u < m.rows; ++u) {
    for (int64_t e = m.ptr[u]; e < m.ptr[u + 1]; ++e) {
      const double draw = static_cast<double>(rng() >> 11) * 0x1.0p-53;
      if (draw >= low && draw < high) {
        split.held_out.users.push_back(static_cast<int32_t>(u));
        split.held_out.items.push_back(m.idx[e]);
        split.held_out.values.push_back(m.values[e]);
      } else {
        fit.idx.push_back(m.idx[e]);
        fit.values.push_back(m.values[e]);
      }
    }
    fit.ptr[u + 1] = fit.nnz();
  }
  split.fit.by_item = Transpose(fit);
  ComputeRatingStats(&split.fit);
  return split;
}

namespace {

// The values of one penalty tried so far (sorted), and where the walk may go next from `at`.
class PenaltyAxis {
 public:
  explicit PenaltyAxis(std::vector<double> grid) : points_(std::move(grid)) {
    std::sort(points_.begin(), points_.end());
    points_.erase(std::unique(points_.begin(), points_.end()), points_.end());
  }

  void Add(double value) {
    const auto it = std::lower_bound(points_.begin(), points_.end(), value);
    if (it == points_.end() || *it != value) points_.insert(it, value);
  }

  // The tried values next to `at`; past an end, one more step of the end's spacing (at most
  // kLambdaSearchMaxExtensions times per end, never to 0 or below).
  std::vector<double> Neighbours(double at) {
    std::vector<double> out;
    const auto it = std::lower_bound(points_.begin(), points_.end(), at);
    if (it == points_.end() || *it != at || points_.size() < 2) return out;
    if (it != points_.begin()) {
      out.push_back(*(it - 1));
    } else if (at > 0 && extended_low_ < kLambdaSearchMaxExtensions) {
      ++extended_low_;
      out.push_back(at * at / *(it + 1));
    }
    if (it + 1 != points_.end()) {
      out.push_back(*(it + 1));
    } else if (*(it - 1) > 0 && extended_high_ < kLambdaSearchMaxExtensions) {
      ++extended_high_;
      out.push_back(at * at / *(it - 1));
    }
    return out;
  }

  // Half-way (on a log scale; arithmetic next to 0) between `at` and each tried neighbour.
  std::vector<double> Midpoints(double at) const {
    std::vector<double> out;
    const auto it = std::lower_bound(points_.begin(), points_.end(), at);
    if (it == points_.end() || *it != at) return out;
    auto between = [at](double other) {
      return at > 0 && other > 0 ? std::sqrt(at * other) : 0.5 * (at + other);
    };
    if (it != points_.begin()) out.push_back(between(*(it - 1)));
    if (it + 1 != points_.end()) out.push_back(between(*(it + 1)));
    return out;
  }

 private:
  std::vector<double> points_;
  int extended_low_ = 0;
  int extended_high_ = 0;
};

}  // namespace

absl::StatusOr<LambdaChoice> ChooseLambda(const TrainingRatings& train,
                                          const LambdaSearchOptions& options) {
  LambdaChoice choice;
  choice.grid = options.grid.empty() ? DefaultLambdaGrid(options.reg) : options.grid;
  choice.folds =
      options.folds > 0 ? options.folds : FoldsFor(train.by_user.nnz(), options.holdout_fraction);
  std::vector<HeldOutSplit> splits;
  for (int fold = 0; fold < choice.folds; ++fold) {
    splits.push_back(SplitHeldOut(train, options.holdout_fraction, options.seed, fold));
    const HeldOutSplit& split = splits.back();
    choice.holdout_ratings += split.held_out.size();
    if (split.held_out.size() == 0 || split.fit.by_user.nnz() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("lambda=auto needs ratings to hold out: ", train.by_user.nnz(),
                       " training ratings are too few; give --lambda a number"));
    }
  }
  // Pooled over the folds: sqrt(sum of squared errors / held-out ratings).
  auto fit_and_score = [&](double lambda, double bias_lambda) {
    double squared_error = 0;
    int64_t rounds = 0;
    for (const HeldOutSplit& split : splits) {
      const MfReferenceResult fitted =
          SolveMfReference(split.fit, {.rank = options.rank,
                                       .lambda = lambda,
                                       .seed = options.seed,
                                       .rounds = options.max_rounds,
                                       .reg = options.reg,
                                       .bias_lambda = bias_lambda,
                                       .biases = options.biases,
                                       .tolerance = options.tolerance});
      rounds = std::max<int64_t>(rounds, static_cast<int64_t>(fitted.objective.size()));
      const Predictor predictor{.rank = options.rank,
                                .mu = fitted.mu,
                                .min_rating = split.fit.min_rating,
                                .max_rating = split.fit.max_rating};
      squared_error += TestSquaredError(split.held_out, predictor, fitted.w, fitted.h);
    }
    const double rmse = std::sqrt(squared_error / static_cast<double>(choice.holdout_ratings));
    choice.tried.push_back({lambda, bias_lambda, rmse, rounds});
    return rmse;
  };
  absl::flat_hash_map<std::pair<double, double>, double> scored;
  auto score = [&](double lambda, double bias_lambda) {
    auto [it, inserted] = scored.try_emplace({lambda, bias_lambda}, 0.0);
    if (inserted) it->second = fit_and_score(lambda, bias_lambda);
    return it->second;
  };

  double best = std::numeric_limits<double>::infinity();
  for (double lambda : choice.grid) {
    const double rmse = score(lambda, options.bias_lambda);
    choice.holdout_rmse.push_back(rmse);
    // Ties (and NaN) keep the earlier, smaller lambda.
    if (rmse < best) {
      best = rmse;
      choice.lambda = lambda;
    }
  }
  if (!std::isfinite(best)) {
    return absl::InternalError("lambda=auto: no lambda of the grid gave a finite held-out RMSE");
  }
  choice.bias_lambda = options.bias_lambda;
  const bool search_bias = options.search_bias_lambda && options.biases;
  if (search_bias) {
    // Then the bias penalty, at the chosen lambda (one line search, not the whole product grid).
    for (double bias_lambda : kBiasLambdaGrid) {
      if (bias_lambda == options.bias_lambda) continue;  // already scored above
      const double rmse = score(choice.lambda, bias_lambda);
      choice.bias_grid.push_back(bias_lambda);
      choice.bias_holdout_rmse.push_back(rmse);
      if (rmse < best) {
        best = rmse;
        choice.bias_lambda = bias_lambda;
      }
    }
  }
  if (options.refine) {
    PenaltyAxis lambdas(choice.grid);
    std::vector<double> bias_points(std::begin(kBiasLambdaGrid), std::end(kBiasLambdaGrid));
    bias_points.push_back(options.bias_lambda);
    PenaltyAxis bias_lambdas(std::move(bias_points));
    // Tries each candidate of one penalty with the other held; moves to the best if it lowers
    // the held-out error.
    auto try_lambdas = [&](const std::vector<double>& candidates) {
      bool moved = false;
      const double from = choice.lambda;
      for (double lambda : candidates) {
        lambdas.Add(lambda);
        if (const double rmse = score(lambda, choice.bias_lambda); rmse < best) {
          best = rmse;
          choice.lambda = lambda;
          moved = true;
        }
      }
      return moved && choice.lambda != from;
    };
    auto try_bias_lambdas = [&](const std::vector<double>& candidates) {
      bool moved = false;
      const double from = choice.bias_lambda;
      for (double bias_lambda : candidates) {
        bias_lambdas.Add(bias_lambda);
        if (const double rmse = score(choice.lambda, bias_lambda); rmse < best) {
          best = rmse;
          choice.bias_lambda = bias_lambda;
          moved = true;
        }
      }
      return moved && choice.bias_lambda != from;
    };
    // The two penalties interact (a lighter bias penalty leaves more to the factors): walk to a
    // neighbouring point of either while that lowers the held-out error.
    for (int pass = 0; pass < 8; ++pass) {
      bool moved = try_lambdas(lambdas.Neighbours(choice.lambda));
      if (search_bias) moved |= try_bias_lambdas(bias_lambdas.Neighbours(choice.bias_lambda));
      if (!moved) break;
    }
    // Then between the points: the grids are a factor 2-3 apart, and the held-out error is
    // smooth in log(lambda), so each halving of the step narrows the choice.
    for (int level = 0; level < kLambdaSearchRefineLevels; ++level) {
      try_lambdas(lambdas.Midpoints(choice.lambda));
      if (search_bias) try_bias_lambdas(bias_lambdas.Midpoints(choice.bias_lambda));
    }
  }
  choice.best_holdout_rmse = best;
  return choice;
}

}  // namespace strads::mf
