#include "core/dependency_filter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/csc_matrix.h"

namespace strads::core {

ColumnCorrelation::ColumnCorrelation(const CscMatrix* x, size_t cache_capacity)
    : x_(x), cache_capacity_(std::max<size_t>(cache_capacity, 1)) {
  inv_norm_ = ColumnSquaredNorms(*x);
  for (double& v : inv_norm_) v = v > 0 ? 1.0 / std::sqrt(v) : 0.0;
}

double ColumnCorrelation::Get(int64_t j, int64_t k) {
  if (inv_norm_[j] == 0 || inv_norm_[k] == 0) return 0;
  if (j == k) return 1;
  const uint64_t lo = static_cast<uint64_t>(std::min(j, k));
  const uint64_t hi = static_cast<uint64_t>(std::max(j, k));
  const uint64_t key = lo << 32 | hi;
  if (auto it = cache_.find(key); it != cache_.end()) {
    ++cache_hits_;
    return it->second;
  }
  ++computed_;
  const double c = Compute(static_cast<int64_t>(lo), static_cast<int64_t>(hi));
  // Stored as float to halve the cache, rounded up so that a cached value is never below the
  // true one: a pair at or above rho can never pass the filter through rounding. Computed and
  // cached calls return the same number.
  float f = static_cast<float>(c);
  if (static_cast<double>(f) < c) f = std::nextafter(f, 2.0f);
  f = std::min(f, 1.0f);
  if (cache_.size() >= cache_capacity_) cache_.clear();
  cache_.emplace(key, f);
  return f;
}

double ColumnCorrelation::Compute(int64_t j, int64_t k) {
  const auto rj = x_->ColRows(j), rk = x_->ColRows(k);
  const auto vj = x_->ColValues(j), vk = x_->ColValues(k);
  size_t a = 0, b = 0;
  double dot = 0;
  while (a < rj.size() && b < rk.size()) {
    if (rj[a] < rk[b]) {
      ++a;
    } else if (rk[b] < rj[a]) {
      ++b;
    } else {
      dot += vj[a++] * vk[b++];
    }
  }
  return std::min(std::abs(dot) * inv_norm_[j] * inv_norm_[k], 1.0);
}

DependencyFilter::DependencyFilter(ColumnCorrelation* correlation, double rho)
    : correlation_(correlation), rho_(rho) {}

void DependencyFilter::Filter(std::span<const int64_t> candidates, int64_t max_keep,
                              std::vector<int64_t>* kept) {
  kept->clear();
  const CscMatrix& x = correlation_->matrix();
  if (row_head_.size() != static_cast<size_t>(x.rows)) row_head_.assign(x.rows, -1);
  if (is_kept_.size() != static_cast<size_t>(x.cols)) is_kept_.assign(x.cols, 0);
  for (const int64_t c : candidates) {
    if (static_cast<int64_t>(kept->size()) >= max_keep) break;
    if (is_kept_[c]) continue;
    const std::span<const int32_t> rows = x.ColRows(c);
    const std::span<const double> values = x.ColValues(c);
    const double inv_c = correlation_->inv_norm(c);
    bool keep = true;
    if (inv_c > 0) {
      ++stamp_;
      for (size_t a = 0; a < rows.size(); ++a) {
        for (int32_t e = row_head_[rows[a]]; e != -1; e = entries_[e].next) {
          const int32_t slot = entries_[e].slot;
          if (slot_stamp_[slot] != stamp_) {
            slot_stamp_[slot] = stamp_;
            dot_[slot] = 0;
            touched_slots_.push_back(slot);
          }
          dot_[slot] += values[a] * entries_[e].value;
        }
      }
      for (const int32_t slot : touched_slots_) {
        const double correlation =
            std::min(std::abs(dot_[slot]) * inv_c * correlation_->inv_norm((*kept)[slot]), 1.0);
        if (correlation >= rho_) {
          keep = false;
          break;
        }
      }
      touched_slots_.clear();
    }
    if (!keep) continue;
    const int32_t slot = static_cast<int32_t>(kept->size());
    kept->push_back(c);
    is_kept_[c] = 1;
    if (dot_.size() < kept->size()) {
      dot_.resize(kept->size());
      slot_stamp_.resize(kept->size(), 0);
    }
    for (size_t a = 0; a < rows.size(); ++a) {
      int32_t& head = row_head_[rows[a]];
      if (head == -1) touched_rows_.push_back(rows[a]);
      entries_.push_back({slot, head, values[a]});
      head = static_cast<int32_t>(entries_.size()) - 1;
    }
  }
  Reset(*kept);
}

void DependencyFilter::Reset(const std::vector<int64_t>& kept) {
  for (const int32_t row : touched_rows_) row_head_[row] = -1;
  touched_rows_.clear();
  entries_.clear();
  for (const int64_t k : kept) is_kept_[k] = 0;
  // Stamps stay: they only grow, so a stale slot never looks touched.
}

}  // namespace strads::core
