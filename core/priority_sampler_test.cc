#include "core/priority_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace testing_internal {
int64_t AllocationCount();  // allocation_counter_test.cc
}  // namespace testing_internal
namespace {

// Pearson's statistic of observed counts against expected probabilities.
double ChiSquare(const std::vector<int64_t>& counts, const std::vector<double>& probs, int64_t n) {
  double chi2 = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const double e = probs[i] * n;
    chi2 += (counts[i] - e) * (counts[i] - e) / e;
  }
  return chi2;
}

TEST(PrioritySampler, SingleDrawsFollowTheWeights) {
  const uint64_t seed = 12345;
  SCOPED_TRACE(testing::Message() << "seed=" << seed);
  std::mt19937_64 rng(seed);
  const int n = 20;
  PrioritySampler s(n, 0.0);
  std::vector<double> w(n);
  double total = 0;
  for (int i = 0; i < n; ++i) {
    w[i] = 0.5 + (i * 7 % 11) + (i == 3 ? 30 : 0);
    s.Set(i, w[i]);
    total += w[i];
  }
  EXPECT_DOUBLE_EQ(s.Total(), total);
  std::vector<double> probs(n);
  for (int i = 0; i < n; ++i) probs[i] = w[i] / total;

  const int64_t draws = 200000;
  std::vector<int64_t> counts(n, 0);
  std::vector<int64_t> out;
  for (int64_t t = 0; t < draws; ++t) {
    s.SampleDistinct(1, rng, &out);
    ASSERT_EQ(out.size(), 1u);
    ++counts[out[0]];
  }
  // Critical value of chi-square with 19 degrees of freedom at p = 0.001.
  EXPECT_LT(ChiSquare(counts, probs, draws), 43.82);
}

TEST(PrioritySampler, SequentialDrawsWithoutReplacementFollowTheWeights) {
  const uint64_t seed = 777;
  SCOPED_TRACE(testing::Message() << "seed=" << seed);
  std::mt19937_64 rng(seed);
  const std::vector<double> w = {1, 2, 3};
  PrioritySampler s(3, 0.0);
  for (int i = 0; i < 3; ++i) s.Set(i, w[i]);
  // Cells (first, second) for ordered pairs of distinct indices.
  std::vector<double> probs;
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      if (a != b) probs.push_back(w[a] / 6.0 * w[b] / (6.0 - w[a]));
    }
  }
  std::vector<int64_t> counts(6, 0);
  const int64_t draws = 60000;
  std::vector<int64_t> out;
  for (int64_t t = 0; t < draws; ++t) {
    s.SampleDistinct(2, rng, &out);
    ASSERT_EQ(out.size(), 2u);
    const int a = out[0], b = out[1];
    ++counts[a * 2 + (b > a ? b - 1 : b)];
  }
  // df = 5, p = 0.001.
  EXPECT_LT(ChiSquare(counts, probs, draws), 20.52);
}

TEST(PrioritySampler, SetUpdatesTotalGetAndFind) {
  PrioritySampler s(5, 1.0);
  EXPECT_EQ(s.size(), 5);
  EXPECT_EQ(s.Total(), 5.0);
  s.Set(1, 0.0);
  s.Set(3, 0.0);
  s.Set(4, 3.0);
  s.Set(2, 2.0);
  EXPECT_EQ(s.Total(), 6.0);
  EXPECT_EQ(s.Get(4), 3.0);
  EXPECT_EQ(s.Get(1), 0.0);
  EXPECT_EQ(s.Find(0.0), 0);
  EXPECT_EQ(s.Find(0.999), 0);
  EXPECT_EQ(s.Find(1.0), 2);
  EXPECT_EQ(s.Find(2.999), 2);
  EXPECT_EQ(s.Find(3.0), 4);
  EXPECT_EQ(s.Find(5.999), 4);
}

TEST(PrioritySampler, FindAgreesWithALinearScanAcrossManyLevels) {
  // 5000 weights make a tree of five levels with a partly filled last block; integer weights keep
  // every sum exact, so the interval each u falls in is known without rounding.
  const uint64_t seed = 21;
  SCOPED_TRACE(testing::Message() << "seed=" << seed);
  std::mt19937_64 rng(seed);
  const int n = 5000;
  PrioritySampler s(n, 1.0);
  std::vector<double> w(n, 1.0);
  std::uniform_int_distribution<int> index(0, n - 1), weight(0, 9);
  for (int update = 0; update < 20000; ++update) {
    const int i = index(rng);
    w[i] = weight(rng);
    s.Set(i, w[i]);
  }
  std::vector<double> cumulative(n + 1, 0.0);
  for (int i = 0; i < n; ++i) cumulative[i + 1] = cumulative[i] + w[i];
  ASSERT_EQ(s.Total(), cumulative[n]);
  std::uniform_real_distribution<double> position(0.0, cumulative[n]);
  for (int probe = 0; probe < 5000; ++probe) {
    const double u = probe < 100 ? cumulative[index(rng)] : position(rng);
    const int64_t expected =
        std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin() - 1;
    ASSERT_EQ(s.Find(u), expected) << "u=" << u;
  }
}

TEST(PrioritySampler, HoldsZeroOrOneWeight) {
  PrioritySampler none(0, 1.0);
  EXPECT_EQ(none.Total(), 0.0);
  std::mt19937_64 rng(1);
  std::vector<int64_t> out;
  none.SampleDistinct(3, rng, &out);
  EXPECT_TRUE(out.empty());
  PrioritySampler one(1, 2.0);
  EXPECT_EQ(one.Total(), 2.0);
  one.Set(0, 5.0);
  EXPECT_EQ(one.Total(), 5.0);
  EXPECT_EQ(one.Find(4.9), 0);
  one.SampleDistinct(3, rng, &out);
  EXPECT_THAT(out, testing::ElementsAre(0));
}

TEST(PrioritySampler, FindAtOrPastTotalReturnsAPositiveWeightInRange) {
  // Size 5 pads the tree to 8 leaves; the last positive weight is not the last leaf.
  PrioritySampler s(5, 0.0);
  s.Set(0, 0.1);
  s.Set(2, 0.2);
  for (double u : {s.Total(), std::nextafter(s.Total(), 1.0), s.Total() * 2, 1e300}) {
    const int64_t i = s.Find(u);
    EXPECT_EQ(i, 2) << "u=" << u;
  }
  s.Set(2, 0.0);
  EXPECT_EQ(s.Find(s.Total()), 0);
  s.Set(0, 0.0);
  s.Set(4, 0.3);
  EXPECT_EQ(s.Find(s.Total()), 4);
  EXPECT_EQ(s.Find(0), 4);
}

TEST(PrioritySampler, HugeAndTinyWeightsStayExactAfterUpdates) {
  const int n = 8;
  PrioritySampler s(n, 1e-3);
  PrioritySampler fresh(n, 1e-3);
  for (int round = 0; round < 10; ++round) {
    s.Set(round % n, 1e30);
    s.Set(round % n, 1e-3);
  }
  EXPECT_EQ(s.Total(), fresh.Total());  // bit-exact, not merely close
  EXPECT_NEAR(s.Total(), 8e-3, 1e-17);
  s.Set(5, 1e30);
  std::mt19937_64 rng(3);
  std::vector<int64_t> out;
  s.SampleDistinct(3, rng, &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], 5);  // overwhelming weight first, then the tiny ones are still reachable
  EXPECT_EQ(s.Total(), 1e30 + 7e-3);
  s.Set(5, 1e-3);
  EXPECT_EQ(s.Total(), fresh.Total());
}

TEST(PrioritySampler, SampleDistinctReturnsDistinctPositiveIndicesAndRestoresWeights) {
  const uint64_t seed = 99;
  SCOPED_TRACE(testing::Message() << "seed=" << seed);
  std::mt19937_64 rng(seed);
  const int n = 100;
  PrioritySampler s(n, 0.0);
  std::vector<double> w(n, 0.0);
  std::uniform_real_distribution<double> weight(0.0, 5.0);
  for (int i = 0; i < n; ++i) {
    if (i % 3 != 0) w[i] = weight(rng);
    s.Set(i, w[i]);
  }
  const double total = s.Total();
  std::vector<int64_t> out;
  for (int trial = 0; trial < 200; ++trial) {
    s.SampleDistinct(20, rng, &out);
    ASSERT_EQ(out.size(), 20u);
    std::set<int64_t> seen(out.begin(), out.end());
    EXPECT_EQ(seen.size(), out.size());
    for (int64_t i : out) {
      ASSERT_GE(i, 0);
      ASSERT_LT(i, n);
      EXPECT_GT(w[i], 0) << i;
    }
    EXPECT_EQ(s.Total(), total);
  }
  for (int i = 0; i < n; ++i) EXPECT_EQ(s.Get(i), w[i]) << i;
}

TEST(PrioritySampler, SampleDistinctStopsAtThePositiveWeights) {
  PrioritySampler s(10, 0.0);
  s.Set(2, 1.0);
  s.Set(7, 1e-12);
  std::mt19937_64 rng(1);
  std::vector<int64_t> out;
  s.SampleDistinct(5, rng, &out);
  std::sort(out.begin(), out.end());
  EXPECT_THAT(out, testing::ElementsAre(2, 7));
  s.SampleDistinct(50, rng, &out);  // k larger than size
  EXPECT_EQ(out.size(), 2u);
  PrioritySampler zero(4, 0.0);
  zero.SampleDistinct(3, rng, &out);
  EXPECT_TRUE(out.empty());
}

TEST(PrioritySampler, SampleDistinctDoesNotAllocateOnceWarm) {
  PrioritySampler s(1000, 1.0);
  std::mt19937_64 rng(4);
  std::vector<int64_t> out;
  s.SampleDistinct(64, rng, &out);  // warm-up sizes `out` and the internal buffer
  const int64_t before = testing_internal::AllocationCount();
  for (int t = 0; t < 100; ++t) s.SampleDistinct(64, rng, &out);
  EXPECT_EQ(testing_internal::AllocationCount() - before, 0);
}

}  // namespace
}  // namespace strads::core
