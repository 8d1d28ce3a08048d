// Random draws defined bit-for-bit by this project rather than by the standard library, whose
// distributions differ between implementations: a generated data set is the same on every
// platform for a given seed.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

namespace strads::lasso {

class Draws {
 public:
  explicit Draws(uint64_t seed) : rng_(seed) {}

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe under log().
  double UniformPositive() { return 1.0 - Uniform(); }
  // Uniform integer in [0, n), n > 0 (multiply-shift; bias < n / 2^64).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(rng_()) * n) >> 64);
  }
  // Standard normal by Box-Muller, using both values of each pair.
  double Normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    const double radius = std::sqrt(-2.0 * std::log(UniformPositive()));
    const double angle = 2.0 * std::numbers::pi * Uniform();
    spare_ = radius * std::sin(angle);
    have_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  std::mt19937_64 rng_;
  bool have_spare_ = false;
  double spare_ = 0;
};

// Rows of [0, n) each kept with probability `density`, in increasing order, in O(density * n)
// draws by geometric skips.
inline void SampleSupport(int64_t n, double density, Draws& draws, std::vector<int32_t>* rows) {
  rows->clear();
  if (density >= 1.0) {
    for (int64_t i = 0; i < n; ++i) rows->push_back(static_cast<int32_t>(i));
    return;
  }
  const double log_miss = std::log1p(-density);
  int64_t row = -1;
  while (true) {
    const double skip = std::floor(std::log(draws.UniformPositive()) / log_miss);
    if (skip >= static_cast<double>(n - row)) break;
    row += 1 + static_cast<int64_t>(skip);
    if (row >= n) break;
    rows->push_back(static_cast<int32_t>(row));
  }
  // An empty column carries no information; give every group at least one row.
  if (rows->empty()) rows->push_back(static_cast<int32_t>(draws.Below(n)));
}

}  // namespace strads::lasso
