#include "core/dependency_filter.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/csc_matrix.h"

namespace strads::core {

ColumnCorrelation::ColumnCorrelation(const CscMatrix* x, size_t cache_capacity)
    : x_(x), cache_capacity_(std::max<size_t>(cache_capacity, 1)) {
  inv_norm_ = ColumnSquaredNorms(*x);
  for (double& v : inv_norm_) v = v > 0 ? 1.0 / std::sqrt(v) : 0.0;
}

ColumnCorrelation::ColumnCorrelation(const CscMatrix* x, const ColumnCentring& centring,
                                     size_t cache_capacity)
    : x_(x), cache_capacity_(std::max<size_t>(cache_capacity, 1)), centred_(true) {
  inv_norm_.assign(static_cast<size_t>(x->cols), 0.0);
  unit_mean_.assign(static_cast<size_t>(x->cols), 0.0);
  unit_ones_dot_.assign(static_cast<size_t>(x->cols), 0.0);
  ones_sqnorm_ = centring.ones_sqnorm;
  for (size_t j = 0; j < inv_norm_.size(); ++j) {
    const double sq = centring.centred_sqnorms[j];
    if (!(sq > 0)) continue;
    inv_norm_[j] = 1.0 / std::sqrt(sq);
    unit_mean_[j] = centring.means[j] * inv_norm_[j];
    unit_ones_dot_[j] = centring.ones_dots[j] * inv_norm_[j];
  }
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
  double unit_dot = dot * inv_norm_[j] * inv_norm_[k];
  if (centred_) unit_dot -= UnitCentring(j, k);
  return std::min(std::abs(unit_dot), 1.0);
}

DependencyFilter::DependencyFilter(ColumnCorrelation* correlation, double rho, double max_row_sum)
    : correlation_(correlation), rho_(rho), max_row_sum_(max_row_sum) {}

inline void DependencyFilter::Accumulate(int32_t slot, double product) {
  SlotDot& s = slot_dot_[slot];
  if (s.stamp != stamp_) {
    s.stamp = stamp_;
    s.dot = 0;
    touched_slots_.push_back(slot);
  }
  s.dot += product;
}

void DependencyFilter::Filter(std::span<const int64_t> candidates, int64_t max_keep,
                              std::vector<int64_t>* kept) {
  Filter(candidates, max_keep, {}, kept);
}

void DependencyFilter::Filter(std::span<const int64_t> candidates, int64_t max_keep,
                              std::span<const int64_t> already_kept, std::vector<int64_t>* kept) {
  kept->clear();
  // The columns already kept (e.g. of batches still in flight) take the first slots, unchecked
  // but with their row sums among themselves, so that a candidate is checked against their union
  // exactly as against columns kept by this call; they are removed from `kept` at the end.
  size_t seeds = 0;
  const CscMatrix& x = correlation_->matrix();
  if (row_bucket_.size() != static_cast<size_t>(x.rows)) row_bucket_.assign(x.rows, -1);
  if (is_kept_.size() != static_cast<size_t>(x.cols)) {
    is_kept_.assign(x.cols, 0);
    blocker_.assign(x.cols, -1);
  }
  const size_t total = already_kept.size() + candidates.size();
  for (size_t index = 0; index < total; ++index) {
    const bool forced = index < already_kept.size();
    const int64_t c = forced ? already_kept[index] : candidates[index - already_kept.size()];
    if (!forced && static_cast<int64_t>(kept->size() - seeds) >= max_keep) break;
    if (is_kept_[c]) continue;
    if (const int32_t b = blocker_[c]; !forced && b >= 0 && is_kept_[b]) continue;
    const std::span<const int32_t> rows = x.ColRows(c);
    const std::span<const double> values = x.ColValues(c);
    const double inv_c = correlation_->inv_norm(c);
    bool keep = true;
    if (inv_c > 0) {
      ++stamp_;
      for (size_t a = 0; a < rows.size(); ++a) {
        const int32_t b = row_bucket_[rows[a]];
        if (b < 0) continue;  // no kept column has this row
        const RowBucket& bucket = buckets_[b];
        const int inline_count = std::min(bucket.count, kInlineEntries);
        for (int i = 0; i < inline_count; ++i) {
          Accumulate(bucket.slot[i], values[a] * bucket.value[i]);
        }
        for (int32_t e = bucket.overflow; e != -1; e = overflow_[e].next) {
          Accumulate(overflow_[e].slot, values[a] * overflow_[e].value);
        }
      }
      double row_sum = 0;
      // Centred, every kept column interacts with the candidate (through the intercept's
      // column), whether or not they share a row: all slots are compared, each with its
      // centring term; otherwise only the slots the walk touched.
      const bool centred = correlation_->centred();
      const size_t compared = centred ? kept->size() : touched_slots_.size();
      auto correlation_of = [&](int32_t slot) {
        // Kept columns are indexed with unit norm, so the dot is already scaled by theirs.
        if (!centred) return std::min(std::abs(slot_dot_[slot].dot) * inv_c, 1.0);
        const double dot = slot_dot_[slot].stamp == stamp_ ? slot_dot_[slot].dot * inv_c : 0.0;
        return std::min(std::abs(dot - correlation_->UnitCentring(c, (*kept)[slot])), 1.0);
      };
      auto slot_at = [&](size_t i) {
        return centred ? static_cast<int32_t>(i) : touched_slots_[i];
      };
      for (size_t i = 0; i < compared; ++i) {
        const int32_t slot = slot_at(i);
        const double correlation = correlation_of(slot);
        if (forced) {
          row_sum += correlation;
          continue;
        }
        if (correlation >= rho_) {
          keep = false;
          blocker_[c] = static_cast<int32_t>((*kept)[slot]);
          break;
        }
        if (max_row_sum_ > 0) {
          // Not memoised as a blocker: whether a sum fits depends on the whole batch.
          row_sum += correlation;
          if (row_sum >= max_row_sum_ || slot_row_sum_[slot] + correlation >= max_row_sum_) {
            keep = false;
            break;
          }
        }
      }
      if (keep && max_row_sum_ > 0) {
        for (size_t i = 0; i < compared; ++i) {
          const int32_t slot = slot_at(i);
          slot_row_sum_[slot] += correlation_of(slot);
        }
      }
      touched_slots_.clear();
      if (keep && max_row_sum_ > 0) {
        if (slot_row_sum_.size() <= kept->size()) slot_row_sum_.resize(kept->size() + 1);
        slot_row_sum_[kept->size()] = row_sum;
      }
    } else if (max_row_sum_ > 0) {
      if (slot_row_sum_.size() <= kept->size()) slot_row_sum_.resize(kept->size() + 1);
      slot_row_sum_[kept->size()] = 0;
    }
    if (!keep) continue;
    const int32_t slot = static_cast<int32_t>(kept->size());
    kept->push_back(c);
    if (forced) ++seeds;
    is_kept_[c] = 1;
    if (slot_dot_.size() < kept->size()) slot_dot_.resize(kept->size());
    for (size_t a = 0; a < rows.size(); ++a) {
      const double unit_value = values[a] * inv_c;
      int32_t& b = row_bucket_[rows[a]];
      if (b < 0) {
        b = static_cast<int32_t>(buckets_.size());
        buckets_.emplace_back();
        touched_rows_.push_back(rows[a]);
      }
      RowBucket& bucket = buckets_[b];
      if (bucket.count < kInlineEntries) {
        bucket.slot[bucket.count] = slot;
        bucket.value[bucket.count] = unit_value;
      } else {
        overflow_.push_back({slot, bucket.overflow, unit_value});
        bucket.overflow = static_cast<int32_t>(overflow_.size()) - 1;
      }
      ++bucket.count;
    }
  }
  Reset(*kept);
  kept->erase(kept->begin(), kept->begin() + static_cast<std::ptrdiff_t>(seeds));
}

void DependencyFilter::Reset(const std::vector<int64_t>& kept) {
  for (const int32_t row : touched_rows_) row_bucket_[row] = -1;
  touched_rows_.clear();
  buckets_.clear();
  overflow_.clear();
  for (const int64_t k : kept) is_kept_[k] = 0;
}

}  // namespace strads::core
