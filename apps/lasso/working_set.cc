#include "apps/lasso/working_set.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "apps/lasso/shard_gram.h"

namespace strads::lasso {

void ChooseWorkingSet(const WorkingSetInputs& in, std::vector<std::pair<double, int64_t>>* scratch,
                      std::vector<int64_t>* chosen) {
  chosen->clear();
  scratch->clear();
  const int64_t m = static_cast<int64_t>(in.b.size());
  int64_t nnz = 0;
  int64_t nonempty = 0;
  for (int64_t j = 0; j < m; ++j) {
    nnz += in.b[j] != 0;
    nonempty += in.col_sqnorm[j] > 0;
  }
  const int64_t size = std::min({in.max_size, nonempty, std::max(in.min_size, 2 * nnz)});
  if (size <= 0) return;
  if (nnz < size) {
    for (int64_t j = 0; j < m; ++j) {
      if (in.b[j] != 0) {
        chosen->push_back(j);
      } else if (in.col_sqnorm[j] > 0) {
        scratch->push_back({(in.lambda - std::abs(in.xtr[j])) / std::sqrt(in.col_sqnorm[j]), j});
      }
    }
  } else {
    for (int64_t j = 0; j < m; ++j) {
      if (in.col_sqnorm[j] > 0 && (in.b[j] != 0 || in.predicted[j] != 0)) {
        scratch->push_back({-std::abs(in.predicted[j]) * std::sqrt(in.col_sqnorm[j]), j});
      }
    }
  }
  const size_t wanted =
      std::min(scratch->size(), static_cast<size_t>(size - static_cast<int64_t>(chosen->size())));
  std::nth_element(scratch->begin(), scratch->begin() + wanted, scratch->end());
  for (size_t i = 0; i < wanted; ++i) chosen->push_back((*scratch)[i].second);
  std::sort(chosen->begin(), chosen->end());
}

int64_t WorkingSetGram::Plan(std::span<const int64_t> chosen) {
  const int64_t old_size = size();
  // Only a completed plan's columns have Gram entries: a plan whose FillNew never came (a round
  // lost, a restore) keeps just its first num_old_ columns.
  const int64_t old_complete = num_old_;
  previous_.swap(gram_);
  std::vector<int64_t>& old_keys = previous_keys_;
  old_keys.swap(keys_);
  keys_.clear();
  // Kept columns first, in their old order, so their block of the matrix is copied as is.
  std::vector<int32_t>& old_index = kept_slots_;  // per new kept slot: its old slot
  old_index.clear();
  for (int64_t j : chosen) {
    if (position_[j] >= 0 && position_[j] < old_complete) old_index.push_back(position_[j]);
  }
  std::sort(old_index.begin(), old_index.end());
  for (int32_t old_slot : old_index) keys_.push_back(old_keys[old_slot]);
  for (int64_t j : old_keys) position_[j] = -1;
  num_old_ = static_cast<int64_t>(keys_.size());
  for (int64_t i = 0; i < num_old_; ++i) position_[keys_[i]] = static_cast<int32_t>(i);
  for (int64_t j : chosen) {
    if (position_[j] < 0) {
      position_[j] = static_cast<int32_t>(keys_.size());
      keys_.push_back(j);
    }
  }
  const int64_t n = size();
  gram_.assign(n * n, 0.0);
  for (int64_t a = 0; a < num_old_; ++a) {
    for (int64_t b = 0; b < num_old_; ++b) {
      gram_[a * n + b] = previous_[old_index[a] * old_size + old_index[b]];
    }
  }
  return num_old_;
}

void WorkingSetGram::FillNew(std::span<const double> values) {
  const int64_t n = size();
  for (int64_t a = num_old_; a < n; ++a) {
    for (int64_t s = 0; s <= a; ++s) {
      const double v = values[GramValueIndex(a, s, num_old_)];
      gram_[a * n + s] = v;
      gram_[s * n + a] = v;
    }
  }
  num_old_ = n;
}

void WorkingSetGram::Clear() {
  for (int64_t j : keys_) position_[j] = -1;
  keys_.clear();
  gram_.clear();
  num_old_ = 0;
}

}  // namespace strads::lasso
