#include "core/priority_sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace strads::core {
namespace {

int64_t RoundUpToBlock(int64_t n, int64_t block) { return (n + block - 1) / block * block; }

}  // namespace

PrioritySampler::PrioritySampler(int64_t size, double initial_weight)
    : size_(std::max<int64_t>(size, 0)) {
  assert(initial_weight >= 0 && std::isfinite(initial_weight));
  if (!(initial_weight > 0)) initial_weight = 0;  // also maps NaN to 0
  // Level sizes from the leaves up to a single root, each padded to whole 8-blocks.
  std::vector<int64_t> level_sizes;
  std::vector<int64_t> offsets;
  int64_t nodes = std::max<int64_t>(size_, 1);
  int64_t total = 0;
  while (true) {
    level_sizes.push_back(nodes);
    offsets.push_back(total);
    total += RoundUpToBlock(nodes, kFanout);
    if (nodes == 1) break;
    nodes = (nodes + kFanout - 1) / kFanout;
  }
  // One spare block so that the first level can start on a 64-byte boundary.
  storage_.assign(total + kFanout, 0.0);
  const uintptr_t address = reinterpret_cast<uintptr_t>(storage_.data());
  const int64_t shift = static_cast<int64_t>((64 - address % 64) % 64 / sizeof(double));
  for (int64_t offset : offsets) levels_.push_back(storage_.data() + shift + offset);
  std::fill(levels_[0], levels_[0] + size_, initial_weight);
  for (int level = 1; level < static_cast<int>(levels_.size()); ++level) {
    for (int64_t i = 0; i < level_sizes[level]; ++i) Refresh(level, i);
  }
}

inline void PrioritySampler::Refresh(int level, int64_t index) {
  // Rebuilt from the children rather than adjusted by a difference, so a sum never carries the
  // rounding left behind by a weight that has since been removed.
  const double* child = levels_[level - 1] + index * kFanout;
  levels_[level][index] = ((child[0] + child[1]) + (child[2] + child[3])) +
                          ((child[4] + child[5]) + (child[6] + child[7]));
}

void PrioritySampler::Set(int64_t i, double weight) {
  assert(i >= 0 && i < size_);
  assert(weight >= 0 && std::isfinite(weight));
  if (!(weight > 0)) weight = 0;
  levels_[0][i] = weight;
  for (int level = 1; level < static_cast<int>(levels_.size()); ++level) {
    i /= kFanout;
    Refresh(level, i);
  }
}

double PrioritySampler::Get(int64_t i) const { return levels_[0][i]; }

double PrioritySampler::Total() const { return levels_.back()[0]; }

int64_t PrioritySampler::Find(double u) const {
  int64_t node = 0;
  for (int level = static_cast<int>(levels_.size()) - 2; level >= 0; --level) {
    const double* child = levels_[level] + node * kFanout;
    // Rounding can leave u at or past the end of the block (u == Total(), or sums that differ in
    // the last bit from their parts); never step into a zero-weight child, so the leaf reached
    // has positive weight whenever Total() > 0, and is therefore a real index, not padding.
    int64_t chosen = -1;
    bool inside = false;
    for (int64_t c = 0; c < kFanout; ++c) {
      if (!(child[c] > 0)) continue;
      chosen = c;
      if (u < child[c]) {
        inside = true;
        break;
      }
      u -= child[c];
    }
    if (chosen < 0) return 0;  // Total() is 0: nothing can be drawn
    // Past the end by rounding: stay at the end of the last positive child.
    if (!inside) u = child[chosen];
    node = node * kFanout + chosen;
  }
  return std::min(node, std::max<int64_t>(size_ - 1, 0));
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
