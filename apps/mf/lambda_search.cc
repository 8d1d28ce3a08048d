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

HeldOutSplit SplitHeldOut(const TrainingRatings& train, double fraction, uint64_t seed) {
  // Its own stream (not the initial factors'), so the split does not shift with the rank.
  std::mt19937_64 rng(seed ^ 0x6c616d6264615f31ULL);
  HeldOutSplit split;
  const RatingsCsr& m = train.by_user;
  RatingsCsr& fit = split.fit.by_user;
  fit.rows = m.rows;
  fit.cols = m.cols;
  fit.ptr.assign(m.rows + 1, 0);
  for (int64_t u = 0; u < m.rows; ++u) {
    for (int64_t e = m.ptr[u]; e < m.ptr[u + 1]; ++e) {
      const double draw = static_cast<double>(rng() >> 11) * 0x1.0p-53;
      if (draw < fraction) {
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

absl::StatusOr<LambdaChoice> ChooseLambda(const TrainingRatings& train,
                                          const LambdaSearchOptions& options) {
  LambdaChoice choice;
  choice.grid = options.grid.empty() ? DefaultLambdaGrid(options.reg) : options.grid;
  const HeldOutSplit split = SplitHeldOut(train, options.holdout_fraction, options.seed);
  choice.holdout_ratings = split.held_out.size();
  if (split.held_out.size() == 0 || split.fit.by_user.nnz() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("lambda=auto needs ratings to hold out: ", train.by_user.nnz(),
                     " training ratings are too few; give --lambda a number"));
  }
  auto held_out_rmse = [&](double lambda, double bias_lambda) {
    const MfReferenceResult fitted = SolveMfReference(split.fit, {.rank = options.rank,
                                                                  .lambda = lambda,
                                                                  .seed = options.seed,
                                                                  .rounds = options.rounds,
                                                                  .reg = options.reg,
                                                                  .bias_lambda = bias_lambda,
                                                                  .biases = options.biases});
    const Predictor predictor{.rank = options.rank,
                              .mu = fitted.mu,
                              .min_rating = split.fit.min_rating,
                              .max_rating = split.fit.max_rating};
    return std::sqrt(TestSquaredError(split.held_out, predictor, fitted.w, fitted.h) /
                     static_cast<double>(split.held_out.size()));
  };
  double best = std::numeric_limits<double>::infinity();
  for (double lambda : choice.grid) {
    const double rmse = held_out_rmse(lambda, options.bias_lambda);
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
  if (options.search_bias_lambda && options.biases) {
    // Then the bias penalty, at the chosen lambda (one line search, not the whole product grid).
    for (double bias_lambda : kBiasLambdaGrid) {
      if (bias_lambda == options.bias_lambda) continue;  // already scored above
      const double rmse = held_out_rmse(choice.lambda, bias_lambda);
      choice.bias_grid.push_back(bias_lambda);
      choice.bias_holdout_rmse.push_back(rmse);
      if (rmse < best) {
        best = rmse;
        choice.bias_lambda = bias_lambda;
      }
    }
  }
  if (options.search_bias_lambda && options.biases) {
    // The two penalties interact (a lighter bias penalty leaves more to the factors): walk to a
    // neighbouring grid point of either while that lowers the held-out error. A few fits more.
    std::vector<double> bias_grid(std::begin(kBiasLambdaGrid), std::end(kBiasLambdaGrid));
    if (std::find(bias_grid.begin(), bias_grid.end(), options.bias_lambda) == bias_grid.end()) {
      bias_grid.push_back(options.bias_lambda);
      std::sort(bias_grid.begin(), bias_grid.end());
    }
    std::vector<double> lambdas = choice.grid;
    std::sort(lambdas.begin(), lambdas.end());
    absl::flat_hash_map<std::pair<double, double>, double> scored;
    for (size_t g = 0; g < choice.grid.size(); ++g) {
      scored[{choice.grid[g], options.bias_lambda}] = choice.holdout_rmse[g];
    }
    for (size_t g = 0; g < choice.bias_grid.size(); ++g) {
      scored[{choice.lambda, choice.bias_grid[g]}] = choice.bias_holdout_rmse[g];
    }
    auto score = [&](double lambda, double bias_lambda) {
      auto [it, inserted] = scored.try_emplace({lambda, bias_lambda}, 0.0);
      if (inserted) it->second = held_out_rmse(lambda, bias_lambda);
      return it->second;
    };
    auto neighbours = [](const std::vector<double>& grid, double at) {
      const auto it = std::find(grid.begin(), grid.end(), at);
      std::vector<double> out;
      if (it == grid.end()) return out;
      if (it != grid.begin()) out.push_back(*(it - 1));
      if (it + 1 != grid.end()) out.push_back(*(it + 1));
      return out;
    };
    for (int pass = 0; pass < 4; ++pass) {
      bool moved = false;
      for (double lambda : neighbours(lambdas, choice.lambda)) {
        if (const double rmse = score(lambda, choice.bias_lambda); rmse < best) {
          best = rmse;
          choice.lambda = lambda;
          moved = true;
        }
      }
      for (double bias_lambda : neighbours(bias_grid, choice.bias_lambda)) {
        if (const double rmse = score(choice.lambda, bias_lambda); rmse < best) {
          best = rmse;
          choice.bias_lambda = bias_lambda;
          moved = true;
        }
      }
      if (!moved) break;
    }
  }
  choice.best_holdout_rmse = best;
  return choice;
}

}  // namespace strads::mf
