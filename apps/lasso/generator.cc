#include "apps/lasso/generator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "apps/lasso/seeded_draws.h"

namespace strads::lasso {

namespace {

// Groups of columns sharing one support, correlated about C within a group.
void GroupsDesign(const LassoProblemOptions& options, Draws& draws, std::vector<int64_t>* order_out,
                  core::CscMatrix* x_out) {
  const int64_t n = options.samples;
  const int64_t m = options.features;
  // Column order: group g owns positions [g*G, (g+1)*G) of `order`, which says where each of its
  // columns lands in the matrix.
  std::vector<int64_t>& order = *order_out;
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

  core::CscMatrix& x = *x_out;
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
}

// A sparse planted beta and y = X beta + noise; `order` is a uniform permutation of the columns.
void PlantAndLabel(const LassoProblemOptions& options, Draws& draws,
                   std::vector<int64_t>* order_out, LassoProblem* problem_out) {
  const int64_t n = options.samples;
  const int64_t m = options.features;
  std::vector<int64_t>& order = *order_out;
  LassoProblem& problem = *problem_out;
  const core::CscMatrix& x = problem.data.x;
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
  LassoProblem problem;
  core::CscMatrix& x = problem.data.x;
  std::vector<int64_t> order(m);
  for (int64_t j = 0; j < m; ++j) order[j] = j;
  if (options.kind == DesignKind::kGroups) {
    GroupsDesign(options, draws, &order, &x);
  } else {
    x = RealLikeDesign(options.kind, n, m, options.density, draws);
    for (int64_t j = m - 1; j > 0; --j) std::swap(order[j], order[draws.Below(j + 1)]);
  }
  PlantAndLabel(options, draws, &order, &problem);
  return problem;
}

}  // namespace strads::lasso
