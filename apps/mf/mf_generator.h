// Synthetic rating data for matrix factorization: a planted rank-K model plus noise, observed on
// (user, item) pairs whose popularity follows a power law, so rows have very uneven numbers of
// ratings. Low ids are the popular ones, so equal-count contiguous splits are badly unbalanced.
// Used by `strads generate mf`, tests and benchmarks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strads::mf {

struct MfProblemOptions {
  int64_t users = 1000;
  int64_t items = 500;
  int64_t ratings = 20000;  // distinct (user, item) pairs, train + test
  int64_t rank = 8;         // of the planted model
  double power_law = 1.0;   // alpha: P(user u) ~ u^-alpha (same for items); 0 = uniform
  double noise = 0.1;       // standard deviation of the rating noise
  // Real-like ratings: rating = mean + b_u + b_i + factor_scale * w_u'h_i + noise, with
  // b_u ~ N(0, user_bias^2) and b_i ~ N(0, item_bias^2); with `stars`, rounded to the nearest
  // integer and clipped to [1, 5]. The defaults (0, 0, 0, 1, no stars) are the plain low-rank
  // model.
  double mean = 0;
  double user_bias = 0;
  double item_bias = 0;
  double factor_scale = 1;
  bool stars = false;
  double test_fraction = 0.1;  // of the ratings held out
  uint64_t seed = 1;
};

struct Rating {
  int64_t user;  // 1-based
  int64_t item;  // 1-based
  double value;
};

struct MfProblem {
  std::vector<Rating> train;  // sorted by user, then item
  std::vector<Rating> test;
  // The planted biases, by 0-based id (user u + 1 in the files is user_bias[u]).
  std::vector<double> user_bias;
  std::vector<double> item_bias;
};

// Deterministic for a given seed on every platform (own uniform and Box-Muller normal draws on
// std::mt19937_64). The planted factors have N(0, K^-1/2) entries, so w_u'h_i has unit scale.
// The biases are drawn after the factors, so a seed plants the same factors with or without them.
absl::StatusOr<MfProblem> GenerateMfProblem(const MfProblemOptions& options);

// "user item rating" lines, tab-separated, %.17g ratings.
absl::Status WriteRatingsText(const std::string& path, std::span<const Rating> ratings);

}  // namespace strads::mf
