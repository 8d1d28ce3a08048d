#include "core/priority_sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace strads::core {
namespace {

int64_t LeavesFor(int64_t size) {
  int64_t leaves = 1;
  while (leaves < size) leaves *= 2;
  return leaves;
}

}  // namespace

PrioritySampler::PrioritySampler(int64_t size, double initial_weight)
    : size_(std::max<int64_t>(size, 0)), leaves_(LeavesFor(size_)), tree_(2 * leaves_, 0.0) {
  assert(initial_weight >= 0 && std::isfinite(initial_weight));
  if (!(initial_weight > 0)) initial_weight = 0;  // also maps NaN to 0
  std::fill(tree_.begin() + leaves_, tree_.begin() + leaves_ + size_, initial_weight);
  for (int64_t p = leaves_ - 1; p >= 1; --p) tree_[p] = tree_[2 * p] + tree_[2 * p + 1];
}

void PrioritySampler::Set(int64_t i, double weight) {
  assert(i >= 0 && i < size_);
  assert(weight >= 0 && std::isfinite(weight));
  if (!(weight > 0)) weight = 0;
  int64_t node = leaves_ + i;
  tree_[node] = weight;
  // Each parent is rebuilt from its children rather than adjusted by a difference, so a sum never
  // carries the rounding left behind by a weight that has since been removed.
  for (node /= 2; node >= 1; node /= 2) tree_[node] = tree_[2 * node] + tree_[2 * node + 1];
}

double PrioritySampler::Get(int64_t i) const { return tree_[leaves_ + i]; }

double PrioritySampler::Total() const { return tree_[1]; }

int64_t PrioritySampler::Find(double u) const {
  int64_t node = 1;
  while (node < leaves_) {
    const double left = tree_[2 * node];
    const double right = tree_[2 * node + 1];
    // Rounding can leave u at or past the end of a subtree (u == Total(), or u - left > right);
    // never step into a zero-weight subtree, so the leaf reached has positive weight whenever
    // Total() > 0, and is therefore a real index, not padding.
    if (right > 0 && (u >= left || !(left > 0))) {
      u -= left;
      node = 2 * node + 1;
    } else {
      node = 2 * node;
    }
  }
  return std::min(node - leaves_, std::max<int64_t>(size_ - 1, 0));
}

void PrioritySampler::SampleDistinct(int64_t k, std::mt19937_64& rng, std::vector<int64_t>* out) {
  out->clear();
  saved_.clear();
  k = std::min(k, size_);
  if (k <= 0) return;
  if (saved_.capacity() < static_cast<size_t>(k)) saved_.reserve(k);
  for (int64_t t = 0; t < k; ++t) {
    const double total = Total();
    if (!(total > 0)) break;
    // 53 random bits scaled into [0, total); Find copes with the product rounding up to total.
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53 * total;
    const int64_t i = Find(u);
    const double w = Get(i);
    if (!(w > 0)) break;  // cannot happen while total > 0; a guard, not a code path
    out->push_back(i);
    saved_.push_back(w);
    Set(i, 0);
  }
  for (size_t t = out->size(); t-- > 0;) Set((*out)[t], saved_[t]);
  saved_.clear();
}

}  // namespace strads::core
