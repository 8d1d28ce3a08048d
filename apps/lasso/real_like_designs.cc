#include "apps/lasso/real_like_designs.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strads::lasso {
namespace {

constexpr std::array<std::pair<DesignKind, std::string_view>, 6> kKindNames = {{
    {DesignKind::kGroups, "groups"},
    {DesignKind::kOneHot, "onehot"},
    {DesignKind::kCounts, "counts"},
    {DesignKind::kBinary, "binary"},
    {DesignKind::kSpectra, "spectra"},
    {DesignKind::kDuplicated, "duplicated"},
}};

// Cumulative weights of P(k) ~ (k + 1)^-exponent over k in [0, n), for inverse-CDF draws.
std::vector<double> ZipfCumulative(int64_t n, double exponent) {
  std::vector<double> cumulative(n);
  double total = 0;
  for (int64_t k = 0; k < n; ++k) {
    total += std::pow(static_cast<double>(k + 1), -exponent);
    cumulative[k] = total;
  }
  for (double& c : cumulative) c /= total;
  return cumulative;
}

int64_t DrawFrom(const std::vector<double>& cumulative, Draws& draws) {
  const double u = draws.Uniform();
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
  return std::min<int64_t>(it - cumulative.begin(), static_cast<int64_t>(cumulative.size()) - 1);
}

// A CSC matrix from per-column row lists (rows increasing within each column).
core::CscMatrix FromColumns(int64_t rows, const std::vector<std::vector<int32_t>>& col_rows,
                            const std::vector<std::vector<double>>& col_values) {
  core::CscMatrix x;
  x.rows = rows;
  x.cols = static_cast<int64_t>(col_rows.size());
  x.col_ptr.assign(x.cols + 1, 0);
  for (int64_t j = 0; j < x.cols; ++j) {
    x.col_ptr[j + 1] = x.col_ptr[j] + static_cast<int64_t>(col_rows[j].size());
  }
  x.row_idx.reserve(x.col_ptr.back());
  x.values.reserve(x.col_ptr.back());
  for (int64_t j = 0; j < x.cols; ++j) {
    x.row_idx.insert(x.row_idx.end(), col_rows[j].begin(), col_rows[j].end());
    x.values.insert(x.values.end(), col_values[j].begin(), col_values[j].end());
  }
  return x;
}

// Fields of 2-20 levels (a last field of one level joins its neighbour), levels Zipf-popular,
// shuffled over the columns so fields do not sit in contiguous blocks.
core::CscMatrix OneHot(int64_t n, int64_t m, Draws& draws) {
  std::vector<int64_t> field_sizes;
  for (int64_t left = m; left > 0;) {
    int64_t size = std::min<int64_t>(left, 2 + static_cast<int64_t>(draws.Below(19)));
    if (left - size == 1) ++size;
    field_sizes.push_back(size);
    left -= size;
  }
  std::vector<int64_t> column_of(m);
  for (int64_t j = 0; j < m; ++j) column_of[j] = j;
  for (int64_t j = m - 1; j > 0; --j) std::swap(column_of[j], column_of[draws.Below(j + 1)]);
  std::vector<std::vector<int32_t>> rows(m);
  int64_t first = 0;
  for (int64_t size : field_sizes) {
    const std::vector<double> cumulative = ZipfCumulative(size, 1.0);
    for (int64_t i = 0; i < n; ++i) {
      rows[column_of[first + DrawFrom(cumulative, draws)]].push_back(static_cast<int32_t>(i));
    }
    first += size;
  }
  std::vector<std::vector<double>> values(m);
  for (int64_t j = 0; j < m; ++j) values[j].assign(rows[j].size(), 1.0);
  return FromColumns(n, rows, values);
}

// Documents of Zipf(1.1) words, lengths uniform in [0.25, 1.75] x the mean; values are counts.
core::CscMatrix Counts(int64_t n, int64_t m, double density, Draws& draws) {
  const double mean_length = std::max(1.0, density * static_cast<double>(m));
  const std::vector<double> cumulative = ZipfCumulative(m, 1.1);
  std::vector<int64_t> word_column(m);
  for (int64_t j = 0; j < m; ++j) word_column[j] = j;
  for (int64_t j = m - 1; j > 0; --j) std::swap(word_column[j], word_column[draws.Below(j + 1)]);
  std::vector<std::vector<int32_t>> rows(m);
  std::vector<std::vector<double>> values(m);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t length =
        std::max<int64_t>(1, std::llround(mean_length * (0.25 + 1.5 * draws.Uniform())));
    for (int64_t w = 0; w < length; ++w) {
      const int64_t j = word_column[DrawFrom(cumulative, draws)];
      // Rows arrive in increasing order, so a repeat of the word in this document is the last.
      if (!rows[j].empty() && rows[j].back() == i) {
        values[j].back() += 1;
      } else {
        rows[j].push_back(static_cast<int32_t>(i));
        values[j].push_back(1.0);
      }
    }
  }
  return FromColumns(n, rows, values);
}

// Column frequencies log-uniform over [density / 10, 5 density] (capped at 1).
core::CscMatrix Binary(int64_t n, int64_t m, double density, Draws& draws) {
  std::vector<std::vector<int32_t>> rows(m);
  std::vector<std::vector<double>> values(m);
  const double low = std::log(density / 10);
  const double high = std::log(5 * density);
  for (int64_t j = 0; j < m; ++j) {
    const double frequency = std::min(1.0, std::exp(low + (high - low) * draws.Uniform()));
    SampleSupport(n, frequency, draws, &rows[j]);
    values[j].assign(rows[j].size(), 1.0);
  }
  return FromColumns(n, rows, values);
}

// x_ij = offset_i + slope_i t_j + sum_k a_ik exp(-(t_j - c_k)^2 / (2 w_k^2)) + 0.01 noise, for
// t_j evenly spaced in [0, 1] and 6 shared absorption peaks; every value is positive.
core::CscMatrix Spectra(int64_t n, int64_t m, Draws& draws) {
  constexpr int kPeaks = 6;
  std::array<double, kPeaks> centre;
  std::array<double, kPeaks> width;
  for (int k = 0; k < kPeaks; ++k) {
    centre[k] = draws.Uniform();
    width[k] = 0.02 + 0.08 * draws.Uniform();
  }
  std::vector<std::vector<double>> row_values(n, std::vector<double>(m));
  for (int64_t i = 0; i < n; ++i) {
    const double offset = 1.0 + 0.2 * draws.Normal();
    const double slope = 0.3 * draws.Normal();
    std::array<double, kPeaks> amplitude;
    for (int k = 0; k < kPeaks; ++k) amplitude[k] = std::abs(draws.Normal());
    for (int64_t j = 0; j < m; ++j) {
      const double t = m == 1 ? 0.0 : static_cast<double>(j) / static_cast<double>(m - 1);
      double v = offset + slope * t;
      for (int k = 0; k < kPeaks; ++k) {
        const double z = (t - centre[k]) / width[k];
        v += amplitude[k] * std::exp(-0.5 * z * z);
      }
      // Keep values positive (offset and slope can be drawn far out) and non-zero (dense).
      row_values[i][j] = std::max(0.05, v + 0.01 * draws.Normal());
    }
  }
  std::vector<std::vector<int32_t>> rows(m);
  std::vector<std::vector<double>> values(m);
  for (int64_t j = 0; j < m; ++j) {
    rows[j].resize(n);
    values[j].resize(n);
    for (int64_t i = 0; i < n; ++i) {
      rows[j][i] = static_cast<int32_t>(i);
      values[j][i] = row_values[i][j];
    }
  }
  return FromColumns(n, rows, values);
}

// Base columns 1 + 0.5 z on random supports; copy c of base column c % half is exact, -2 times
// it, or it without every 16th entry, in turn; copies sit at shuffled positions.
core::CscMatrix Duplicated(int64_t n, int64_t m, double density, Draws& draws) {
  const int64_t base = (m + 1) / 2;
  std::vector<int64_t> position(m);
  for (int64_t j = 0; j < m; ++j) position[j] = j;
  for (int64_t j = m - 1; j > 0; --j) std::swap(position[j], position[draws.Below(j + 1)]);
  std::vector<std::vector<int32_t>> rows(m);
  std::vector<std::vector<double>> values(m);
  for (int64_t c = 0; c < base; ++c) {
    const int64_t j = position[c];
    SampleSupport(n, density, draws, &rows[j]);
    values[j].resize(rows[j].size());
    for (double& v : values[j]) v = 1.0 + 0.5 * draws.Normal();
  }
  for (int64_t c = base; c < m; ++c) {
    const int64_t j = position[c];
    const int64_t source = position[(c - base) % base];
    rows[j] = rows[source];
    values[j] = values[source];
    switch ((c - base) % 3) {
      case 0:
        break;
      case 1:
        for (double& v : values[j]) v *= -2.0;
        break;
      default: {
        // Nearly collinear: the copy misses every 16th entry of its source (corr ~ 0.97).
        std::vector<int32_t> kept_rows;
        std::vector<double> kept_values;
        for (size_t k = 0; k < rows[j].size(); ++k) {
          if (k % 16 == 15) continue;
          kept_rows.push_back(rows[j][k]);
          kept_values.push_back(values[j][k]);
        }
        rows[j] = std::move(kept_rows);
        values[j] = std::move(kept_values);
        break;
      }
    }
  }
  return FromColumns(n, rows, values);
}

}  // namespace

std::string_view DesignKindName(DesignKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

absl::StatusOr<DesignKind> ParseDesignKind(std::string_view name) {
  for (const auto& [kind, kind_name] : kKindNames) {
    if (kind_name == name) return kind;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown design kind '", std::string(name),
                                                 "'; expected one of ", DesignKindList()));
}

std::string DesignKindList() {
  std::string list;
  for (const auto& [kind, name] : kKindNames)
    absl::StrAppend(&list, list.empty() ? "" : ", ", std::string(name));
  return list;
}

core::CscMatrix RealLikeDesign(DesignKind kind, int64_t samples, int64_t features, double density,
                               Draws& draws) {
  switch (kind) {
    case DesignKind::kOneHot:
      return OneHot(samples, features, draws);
    case DesignKind::kCounts:
      return Counts(samples, features, density, draws);
    case DesignKind::kBinary:
      return Binary(samples, features, density, draws);
    case DesignKind::kSpectra:
      return Spectra(samples, features, draws);
    case DesignKind::kDuplicated:
      return Duplicated(samples, features, density, draws);
    case DesignKind::kGroups:
      break;  // generator.cc builds those itself
  }
  return core::CscMatrix{};
}

}  // namespace strads::lasso
