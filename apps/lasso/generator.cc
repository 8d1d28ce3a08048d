#include "apps/lasso/generator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strads::lasso {
namespace {

// Draws defined bit-for-bit by this file rather than by the standard library, whose
// distributions differ between implementations.
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
void SampleSupport(int64_t n, double density, Draws& draws, std::vector<int32_t>* rows) {
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

}  // namespace

absl::StatusOr<LassoProblem> GenerateLassoProblem(const LassoProblemOptions& options) {
  const int64_t n = options.samples;
  const int64_t m = options.features;
  if (n <= 0 || m <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("samples and features must be >= 1, got ", n, " and ", m));
  }
  if (n > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat("samples must be < 2^31, got ", n));
  }
  if (!(options.density > 0 && options.density <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("density must be in (0, 1], got ", options.density));
  }
  if (!(options.correlation >= 0 && options.correlation < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("correlation must be in [0, 1), got ", options.correlation));
  }
  if (options.group_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("group_size must be >= 1, got ", options.group_size));
  }
  if (!(options.true_nonzero_fraction >= 0 && options.true_nonzero_fraction <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("true_nonzero_fraction must be in [0, 1], got ",
                                                   options.true_nonzero_fraction));
  }
  if (!(options.noise >= 0) || !std::isfinite(options.noise)) {
    return absl::InvalidArgumentError(absl::StrCat("noise must be >= 0, got ", options.noise));
  }

  Draws draws(options.seed);
  // Column order: group g owns positions [g*G, (g+1)*G) of `order`, which says where each of its
  // columns lands in the matrix.
  std::vector<int64_t> order(m);
  for (int64_t j = 0; j < m; ++j) order[j] = j;
  for (int64_t j = m - 1; j > 0; --j) std::swap(order[j], order[draws.Below(j + 1)]);

  const int64_t group_size = std::min(options.group_size, m);
  const int64_t num_groups = (m + group_size - 1) / group_size;
  // Pass 1: every group's support, flattened; fixes the column lengths.
  std::vector<int64_t> support_begin(num_groups + 1, 0);
  std::vector<int32_t> supports;
  std::vector<int32_t> rows;
  std::vector<int64_t> col_len(m, 0);
  for (int64_t g = 0; g < num_groups; ++g) {
    SampleSupport(n, options.density, draws, &rows);
    supports.insert(supports.end(), rows.begin(), rows.end());
    support_begin[g + 1] = static_cast<int64_t>(supports.size());
    for (int64_t c = g * group_size; c < std::min(m, (g + 1) * group_size); ++c) {
      col_len[order[c]] = static_cast<int64_t>(rows.size());
    }
  }

  LassoProblem problem;
  core::CscMatrix& x = problem.data.x;
  x.rows = n;
  x.cols = m;
  x.col_ptr.assign(m + 1, 0);
  for (int64_t j = 0; j < m; ++j) x.col_ptr[j + 1] = x.col_ptr[j] + col_len[j];
  x.row_idx.resize(x.col_ptr[m]);
  x.values.resize(x.col_ptr[m]);

  // Pass 2: values sqrt(C) z_i + sqrt(1 - C) e_i with z shared by the group.
  const double shared = std::sqrt(options.correlation);
  const double own = std::sqrt(1.0 - options.correlation);
  std::vector<double> z;
  for (int64_t g = 0; g < num_groups; ++g) {
    const int64_t begin = support_begin[g];
    const int64_t len = support_begin[g + 1] - begin;
    z.resize(len);
    for (int64_t i = 0; i < len; ++i) z[i] = draws.Normal();
    for (int64_t c = g * group_size; c < std::min(m, (g + 1) * group_size); ++c) {
      const int64_t out = x.col_ptr[order[c]];
      for (int64_t i = 0; i < len; ++i) {
        x.row_idx[out + i] = supports[begin + i];
        x.values[out + i] = shared * z[i] + own * draws.Normal();
      }
    }
  }

  // A sparse planted beta with magnitudes in [0.5, 1.5) and random signs.
  problem.true_beta.assign(m, 0.0);
  const int64_t planted = static_cast<int64_t>(std::llround(options.true_nonzero_fraction * m));
  for (int64_t k = 0; k < planted; ++k) {
    // `order` is a uniform permutation already; re-shuffling its prefix draws distinct features.
    const int64_t pick = k + static_cast<int64_t>(draws.Below(m - k));
    std::swap(order[k], order[pick]);
    const double magnitude = 0.5 + draws.Uniform();
    problem.true_beta[order[k]] = draws.Uniform() < 0.5 ? -magnitude : magnitude;
  }

  std::vector<double>& y = problem.data.y;
  y.assign(n, 0.0);
  for (int64_t j = 0; j < m; ++j) {
    const double beta = problem.true_beta[j];
    if (beta == 0) continue;
    for (int64_t k = x.col_ptr[j]; k < x.col_ptr[j + 1]; ++k) y[x.row_idx[k]] += x.values[k] * beta;
  }
  for (int64_t i = 0; i < n; ++i) y[i] += options.noise * draws.Normal();
  return problem;
}

}  // namespace strads::lasso
