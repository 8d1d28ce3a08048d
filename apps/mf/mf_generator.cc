#include "apps/mf/mf_generator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <numbers>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/mf/mf_params.h"

namespace strads::mf {
namespace {

class Draws {
 public:
  explicit Draws(uint64_t seed) : rng_(seed) {}
  double Uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  double Normal() {
    // Box-Muller; 1 - U avoids log(0).
    const double u = 1.0 - Uniform();
    const double v = Uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }

 private:
  std::mt19937_64 rng_;
};

// Cumulative weights of i^-alpha, i = 1..n, for inverse-CDF draws.
std::vector<double> PowerLawCdf(int64_t n, double alpha) {
  std::vector<double> cdf(n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    sum += std::pow(static_cast<double>(i + 1), -alpha);
    cdf[i] = sum;
  }
  return cdf;
}

int64_t DrawIndex(const std::vector<double>& cdf, Draws& draws) {
  const double target = draws.Uniform() * cdf.back();
  auto it = std::upper_bound(cdf.begin(), cdf.end(), target);
  return std::min<int64_t>(it - cdf.begin(), static_cast<int64_t>(cdf.size()) - 1);
}

}  // namespace

absl::StatusOr<MfProblem> GenerateMfProblem(const MfProblemOptions& o) {
  if (o.users < 1 || o.items < 1 || o.ratings < 1 || o.rank < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("users, items, ratings and rank must be >= 1, got ", o.users, ", ", o.items,
                     ", ", o.ratings, ", ", o.rank));
  }
  constexpr int64_t kMaxIds = std::numeric_limits<int32_t>::max();
  if (o.users > kMaxIds || o.items > kMaxIds || o.ratings > kMaxIds) {
    return absl::InvalidArgumentError(absl::StrCat("users, items and ratings must be at most ",
                                                   kMaxIds, " (the apps index them with int32)"));
  }
  if (o.rank > kMaxRank) {
    return absl::InvalidArgumentError(
        absl::StrCat("rank must be at most ", kMaxRank, " (as for mf jobs), got ", o.rank));
  }
  // The planted factors, the popularity tables and the drawn pairs, held at once: refuse what
  // cannot fit rather than die in the allocator.
  const double bytes =
      8.0 * static_cast<double>(o.rank + 1) * static_cast<double>(o.users + o.items) +
      64.0 * static_cast<double>(o.ratings);
  constexpr double kMaxBytes = 16.0 * (1 << 30);
  if (bytes > kMaxBytes) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "generating this would need about %.1f GiB of memory (at most %.0f GiB); use fewer "
        "users, items, ratings or a smaller rank",
        bytes / (1 << 30), kMaxBytes / (1 << 30)));
  }
  if (static_cast<double>(o.ratings) > 0.5 * static_cast<double>(o.users) * o.items) {
    return absl::InvalidArgumentError(
        absl::StrCat("ratings (", o.ratings, ") must be at most half of users x items (",
                     o.users * o.items, ") so that distinct pairs can be drawn"));
  }
  if (!(o.power_law >= 0 && o.power_law <= 5)) {
    return absl::InvalidArgumentError(
        absl::StrCat("power law exponent must be in [0, 5], got ", o.power_law));
  }
  if (!(o.noise >= 0) || !std::isfinite(o.noise)) {
    return absl::InvalidArgumentError(absl::StrCat("noise must be >= 0, got ", o.noise));
  }
  if (!(o.test_fraction >= 0 && o.test_fraction < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("test fraction must be in [0, 1), got ", o.test_fraction));
  }
  for (double v : {o.mean, o.user_bias, o.item_bias, o.factor_scale}) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError("mean, biases and factor scale must be finite");
    }
  }
  if (o.user_bias < 0 || o.item_bias < 0 || o.factor_scale < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bias standard deviations and the factor scale must be >= 0, got ",
                     o.user_bias, ", ", o.item_bias, ", ", o.factor_scale));
  }
  Draws draws(o.seed);
  const double scale = std::pow(static_cast<double>(o.rank), -0.25);
  std::vector<double> w(o.users * o.rank);
  std::vector<double> h(o.items * o.rank);
  for (double& v : w) v = scale * draws.Normal();
  for (double& v : h) v = scale * draws.Normal();
  MfProblem problem;
  problem.user_bias.assign(o.users, 0.0);
  problem.item_bias.assign(o.items, 0.0);
  // Only drawn when asked for, so the plain model's ratings stay as they were for a seed.
  if (o.user_bias > 0) {
    for (double& b : problem.user_bias) b = o.user_bias * draws.Normal();
  }
  if (o.item_bias > 0) {
    for (double& b : problem.item_bias) b = o.item_bias * draws.Normal();
  }

  const std::vector<double> user_cdf = PowerLawCdf(o.users, o.power_law);
  const std::vector<double> item_cdf = PowerLawCdf(o.items, o.power_law);
  absl::flat_hash_set<int64_t> seen;
  seen.reserve(o.ratings);
  // A steep power law concentrates draws on a few pairs; give up rather than loop forever.
  const int64_t max_attempts = 50 * o.ratings + 1000;
  int64_t attempts = 0;
  while (static_cast<int64_t>(seen.size()) < o.ratings) {
    if (++attempts > max_attempts) {
      return absl::InvalidArgumentError(
          absl::StrCat("could draw only ", seen.size(), " distinct (user, item) pairs of ",
                       o.ratings, " with power law ", o.power_law,
                       "; use fewer ratings, more users/items or a smaller "
                       "exponent"));
    }
    const int64_t u = DrawIndex(user_cdf, draws);
    const int64_t i = DrawIndex(item_cdf, draws);
    if (!seen.insert(u * o.items + i).second) continue;
    double value = 0;
    for (int64_t f = 0; f < o.rank; ++f) value += w[u * o.rank + f] * h[i * o.rank + f];
    value = o.mean + problem.user_bias[u] + problem.item_bias[i] + o.factor_scale * value +
            o.noise * draws.Normal();
    if (o.stars) value = std::clamp(std::round(value), 1.0, 5.0);
    const Rating rating{u + 1, i + 1, value};
    if (draws.Uniform() < o.test_fraction) {
      problem.test.push_back(rating);
    } else {
      problem.train.push_back(rating);
    }
  }
  if (problem.train.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("all ", o.ratings,
                     " ratings went to the test set; use more ratings or a smaller test "
                     "fraction"));
  }
  auto by_user_item = [](const Rating& a, const Rating& b) {
    return a.user != b.user ? a.user < b.user : a.item < b.item;
  };
  std::sort(problem.train.begin(), problem.train.end(), by_user_item);
  std::sort(problem.test.begin(), problem.test.end(), by_user_item);
  return problem;
}

absl::Status WriteRatingsText(const std::string& path, std::span<const Rating> ratings) {
  std::ofstream out(path);
  if (!out.is_open()) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot open for writing"));
  }
  std::string buffer;
  for (const Rating& r : ratings) {
    absl::StrAppend(&buffer, r.user, "\t", r.item, "\t", absl::StrFormat("%.17g", r.value), "\n");
    if (buffer.size() > (1 << 20)) {
      out << buffer;
      buffer.clear();
    }
  }
  out << buffer;
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

}  // namespace strads::mf
