// Sampling by priority: draws indices with probability proportional to a non-negative weight, and
// changes one weight, both in O(log n) through a sum tree. The dynamic scheduler keeps one weight
// per parameter (its recent squared change plus a floor) and draws the next round's candidates.
// The tree has 8 children per node, stored side by side in one cache line, so a draw or an update
// touches log8(n) lines (5 for 20000 weights) instead of log2(n) scattered ones.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace strads::core {

class PrioritySampler {
 public:
  // `size` weights, all set to `initial_weight` (>= 0, finite).
  PrioritySampler(int64_t size, double initial_weight);

  // levels_ points into storage_: a copy would share the original's tree. Moves keep the
  // buffer, and with it the pointers.
  PrioritySampler(const PrioritySampler&) = delete;
  PrioritySampler& operator=(const PrioritySampler&) = delete;
  PrioritySampler(PrioritySampler&&) = default;
  PrioritySampler& operator=(PrioritySampler&&) = default;

  int64_t size() const { return size_; }
  // Sets weight i (>= 0, finite). O(log n); internal sums are recomputed from children, so large
  // and small weights mixed over time never accumulate cancellation error.
  void Set(int64_t i, double weight);
  double Get(int64_t i) const;
  double Total() const;

  // The index whose cumulative weight interval contains u, for u in [0, Total()).
  int64_t Find(double u) const;

  // Draws up to k distinct indices, each draw proportional to the weights of those not yet drawn
  // (sequential sampling without replacement). Indices with weight 0 are never drawn, so fewer
  // than k come back when fewer than k weights are positive. O(k log n), no allocation once `out`
  // has capacity.
  void SampleDistinct(int64_t k, std::mt19937_64& rng, std::vector<int64_t>* out);

 private:
  static constexpr int64_t kFanout = 8;

  // Recomputes node `index` of level `level` (> 0) from its children.
  void Refresh(int level, int64_t index);

  int64_t size_;
  // levels_[0] are the weights, levels_[k][i] the sum of levels_[k-1][8i, 8i+8); the last level
  // has one node, the total. Each level is padded with zeros to a whole number of 8-blocks and
  // starts on a cache line (an offset into storage_).
  std::vector<double*> levels_;
  std::vector<double> storage_;
  std::vector<double> saved_;  // weights removed during SampleDistinct, restored before return
};

}  // namespace strads::core
