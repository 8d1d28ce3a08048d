#include "core/dependency_filter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <set>
#include <span>
#include <vector>

#include "core/csc_matrix.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace testing_internal {
int64_t AllocationCount();  // allocation_counter_test.cc
}  // namespace testing_internal
namespace {

using ::testing::ElementsAre;

// `groups` groups of `group_size` columns: members share a sparse base column plus their own noise,
// so pairs within a group are strongly correlated and pairs across groups weakly. The last
// `zero_cols` columns are all zeros.
struct TestMatrix {
  CscMatrix x;
  std::vector<std::vector<double>> dense;  // dense[j] = column j
};

TestMatrix CorrelatedGroups(uint64_t seed, int rows, int groups, int group_size, int zero_cols) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::bernoulli_distribution in_base(0.15), in_noise(0.05);
  std::uniform_real_distribution<double> noise_scale(0.05, 1.5);
  const int cols = groups * group_size + zero_cols;
  TestMatrix m;
  m.dense.assign(cols, std::vector<double>(rows, 0.0));
  for (int g = 0; g < groups; ++g) {
    std::vector<double> base(rows, 0.0);
    for (int i = 0; i < rows; ++i) {
      if (in_base(rng)) base[i] = normal(rng);
    }
    for (int t = 0; t < group_size; ++t) {
      const double scale = noise_scale(rng);
      auto& col = m.dense[g * group_size + t];
      for (int i = 0; i < rows; ++i) {
        col[i] = base[i];
        if (in_noise(rng)) col[i] += scale * normal(rng);
      }
    }
  }
  std::vector<Triplet> triplets;
  for (int j = 0; j < cols; ++j) {
    for (int i = 0; i < rows; ++i) {
      if (m.dense[j][i] != 0) triplets.push_back({i, j, m.dense[j][i]});
    }
  }
  m.x = *CscFromTriplets(rows, cols, triplets);
  return m;
}

double DenseCorrelation(const std::vector<double>& a, const std::vector<double>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa == 0 || bb == 0) return 0;
  return std::abs(ab) / std::sqrt(aa * bb);
}

TEST(ColumnCorrelation, MatchesDenseBruteForce) {
  const uint64_t seed = 31;
  SCOPED_TRACE(testing::Message() << "seed=" << seed);
  const TestMatrix m = CorrelatedGroups(seed, 200, 4, 5, 2);
  ColumnCorrelation corr(&m.x);
  const int cols = static_cast<int>(m.x.cols);
  double max_within = 0;
  for (int j = 0; j < cols; ++j) {
    for (int k = 0; k < cols; ++k) {
      const double expected = j == k && DenseCorrelation(m.dense[j], m.dense[j]) > 0
                                  ? 1.0
                                  : DenseCorrelation(m.dense[j], m.dense[k]);
      EXPECT_NEAR(corr.Get(j, k), expected, 1e-6) << "j=" << j << " k=" << k;
      if (j != k && j < 20 && k < 20 && j / 5 == k / 5) max_within = std::max(max_within, expected);
    }
  }
  EXPECT_GT(max_within, 0.5);  // the generator really makes correlated groups
}

TEST(ColumnCorrelation, SelfIsOneAndZeroColumnsAreZero) {
  const CscMatrix x = *CscFromTriplets(3, 3, {{0, 0, 2.0}, {1, 0, 1.0}, {2, 2, -4.0}});
  ColumnCorrelation corr(&x);
  EXPECT_EQ(corr.Get(0, 0), 1.0);
  EXPECT_EQ(corr.Get(2, 2), 1.0);
  EXPECT_EQ(corr.Get(1, 1), 0.0);
  EXPECT_EQ(corr.Get(0, 1), 0.0);
  EXPECT_EQ(corr.Get(0, 2), 0.0);
  EXPECT_EQ(corr.computed(), 1);  // only (0, 2) needed a dot product
}

TEST(ColumnCorrelation, RepeatsAndSwappedPairsHitTheCache) {
  const TestMatrix m = CorrelatedGroups(8, 100, 2, 3, 0);
  ColumnCorrelation corr(&m.x);
  const double first = corr.Get(1, 4);
  EXPECT_EQ(corr.computed(), 1);
  EXPECT_EQ(corr.cache_hits(), 0);
  EXPECT_EQ(corr.Get(1, 4), first);
  EXPECT_EQ(corr.Get(4, 1), first);
  EXPECT_EQ(corr.computed(), 1);
  EXPECT_EQ(corr.cache_hits(), 2);
}

TEST(ColumnCorrelation, FullCacheIsClearedAndStaysCorrect) {
  const TestMatrix m = CorrelatedGroups(9, 100, 2, 3, 0);
  ColumnCorrelation corr(&m.x, /*cache_capacity=*/2);
  const double a = corr.Get(0, 1);
  corr.Get(0, 2);
  corr.Get(0, 3);  // clears the cache first
  EXPECT_EQ(corr.Get(0, 1), a);
  EXPECT_EQ(corr.computed(), 4);
  EXPECT_NEAR(a, DenseCorrelation(m.dense[0], m.dense[1]), 1e-6);
}

// The centring of dense columns: mean, x_j'1, the centred squared norm (two passes) and N.
ColumnCentring DenseCentring(const std::vector<std::vector<double>>& dense) {
  ColumnCentring centring;
  const double rows = static_cast<double>(dense[0].size());
  centring.ones_sqnorm = rows;
  for (const std::vector<double>& col : dense) {
    double sum = 0;
    for (double v : col) sum += v;
    double sq = 0;
    for (double v : col) sq += (v - sum / rows) * (v - sum / rows);
    centring.means.push_back(sum / rows);
    centring.ones_dots.push_back(sum);
    centring.centred_sqnorms.push_back(sq);
  }
  return centring;
}

std::vector<double> Centred(std::vector<double> col) {
  double mean = 0;
  for (double v : col) mean += v / static_cast<double>(col.size());
  for (double& v : col) v -= mean;
  return col;
}

// With the intercept the Lasso steps on centred columns: the correlations are those of x_j -
// mean_j, whatever constant a column sits at (here one column is 1000 + a small spread).
TEST(ColumnCorrelation, CentredMatchesDenseBruteForceOfTheCentredColumns) {
  const uint64_t seed = 32;
  SCOPED_TRACE(testing::Message() << "seed=" << seed);
  TestMatrix m = CorrelatedGroups(seed, 200, 3, 4, 0);
  for (double& v : m.dense[5]) v = 1000 + 0.01 * v;
  std::vector<Triplet> triplets;
  for (int j = 0; j < static_cast<int>(m.dense.size()); ++j) {
    for (int i = 0; i < 200; ++i) {
      if (m.dense[j][i] != 0) triplets.push_back({i, j, m.dense[j][i]});
    }
  }
  const CscMatrix x = *CscFromTriplets(200, static_cast<int64_t>(m.dense.size()), triplets);
  ColumnCorrelation corr(&x, DenseCentring(m.dense));
  double max_offset_pair = 0;
  for (int j = 0; j < x.cols; ++j) {
    for (int k = 0; k < x.cols; ++k) {
      if (j == k) continue;
      const double expected = DenseCorrelation(Centred(m.dense[j]), Centred(m.dense[k]));
      EXPECT_NEAR(corr.Get(j, k), expected, 1e-6) << "j=" << j << " k=" << k;
      if (j == 5) max_offset_pair = std::max(max_offset_pair, expected);
    }
  }
  EXPECT_GT(max_offset_pair, 0.5);  // the offset column still correlates with its group mates
}

// Two indicators of complementary halves share no row (raw correlation 0) but their centred
// columns are opposite (x_a + x_b = 1): stepping both at once with the intercept would double
// the step. The centred check refuses the pair; the raw one keeps it.
TEST(DependencyFilter, CentredCheckRefusesColumnsThatShareNoRowButCancelTheIntercept) {
  std::vector<Triplet> triplets;
  for (int i = 0; i < 10; ++i) triplets.push_back({i, i < 5 ? 0 : 1, 1.0});
  const CscMatrix x = *CscFromTriplets(10, 2, triplets);
  std::vector<std::vector<double>> dense(2, std::vector<double>(10, 0.0));
  for (int i = 0; i < 10; ++i) dense[i < 5 ? 0 : 1][i] = 1.0;
  ColumnCorrelation raw(&x);
  ColumnCorrelation centred(&x, DenseCentring(dense));
  EXPECT_EQ(raw.Get(0, 1), 0.0);
  EXPECT_NEAR(centred.Get(0, 1), 1.0, 1e-12);
  const std::vector<int64_t> candidates = {0, 1};
  std::vector<int64_t> kept;
  DependencyFilter(&raw, 0.5, kGershgorinRowSum).Filter(candidates, 2, &kept);
  EXPECT_THAT(kept, ElementsAre(0, 1));
  DependencyFilter(&centred, 0.5, kGershgorinRowSum).Filter(candidates, 2, &kept);
  EXPECT_THAT(kept, ElementsAre(0));
  DependencyFilter(&centred, 0.5).Filter(candidates, 2, &kept);
  EXPECT_THAT(kept, ElementsAre(0));
}

TEST(DependencyFilter, NeverKeepsACorrelatedPairAndIsGreedyInOrder) {
  for (uint64_t seed : {101u, 102u, 103u}) {
    for (double rho : {0.05, 0.2, 0.5, 0.9}) {
      SCOPED_TRACE(testing::Message() << "seed=" << seed << " rho=" << rho);
      const TestMatrix m = CorrelatedGroups(seed, 150, 6, 6, 3);
      ColumnCorrelation corr(&m.x);
      DependencyFilter filter(&corr, rho);
      std::mt19937_64 rng(seed);
      std::uniform_int_distribution<int64_t> pick(0, m.x.cols - 1);
      std::vector<int64_t> candidates(30);
      for (auto& c : candidates) c = pick(rng);
      std::vector<int64_t> kept;
      filter.Filter(candidates, /*max_keep=*/1000, &kept);

      for (size_t a = 0; a < kept.size(); ++a) {
        for (size_t b = a + 1; b < kept.size(); ++b) {
          EXPECT_NE(kept[a], kept[b]);
          EXPECT_LT(DenseCorrelation(m.dense[kept[a]], m.dense[kept[b]]), rho)
              << kept[a] << " and " << kept[b];
        }
      }
      // Replay the greedy rule against the brute force: same set, same order.
      std::vector<int64_t> expected;
      for (int64_t c : candidates) {
        bool ok = std::find(expected.begin(), expected.end(), c) == expected.end();
        for (int64_t k : expected) {
          if (ok && DenseCorrelation(m.dense[c], m.dense[k]) >= rho - 1e-6) ok = false;
        }
        if (ok) expected.push_back(c);
      }
      EXPECT_EQ(kept, expected);
    }
  }
}

TEST(DependencyFilter, HonoursMaxKeep) {
  const TestMatrix m = CorrelatedGroups(5, 100, 10, 1, 0);  // one column per group
  ColumnCorrelation corr(&m.x);
  DependencyFilter filter(&corr, 1.0);
  const std::vector<int64_t> candidates = {9, 8, 7, 6, 5, 4};
  std::vector<int64_t> kept = {42};  // cleared first
  filter.Filter(candidates, 3, &kept);
  EXPECT_THAT(kept, ElementsAre(9, 8, 7));
  filter.Filter(candidates, 0, &kept);
  EXPECT_TRUE(kept.empty());
}

TEST(DependencyFilter, KeepsEveryUncorrelatedCandidateOnceInOrder) {
  // Disjoint row supports: every pair has correlation exactly 0. Column 5 is all zeros.
  std::vector<Triplet> t;
  for (int j = 0; j < 5; ++j) {
    t.push_back({2 * j, j, 1.0 + j});
    t.push_back({2 * j + 1, j, -1.0});
  }
  const CscMatrix x = *CscFromTriplets(10, 6, t);
  ColumnCorrelation corr(&x);
  DependencyFilter filter(&corr, 0.01);
  std::vector<int64_t> kept;
  filter.Filter(std::vector<int64_t>{3, 1, 5, 3, 4, 5, 0, 2, 1}, 100, &kept);
  EXPECT_THAT(kept, ElementsAre(3, 1, 5, 4, 0, 2));
}

TEST(DependencyFilter, RejectsIdenticalAndNegativelyCorrelatedColumns) {
  const CscMatrix x =
      *CscFromTriplets(3, 3, {{0, 0, 1}, {1, 0, 2}, {0, 1, -2}, {1, 1, -4}, {2, 2, 1}});
  ColumnCorrelation corr(&x);
  DependencyFilter filter(&corr, 0.99);
  std::vector<int64_t> kept;
  filter.Filter(std::vector<int64_t>{0, 1, 2}, 10, &kept);
  EXPECT_THAT(kept, ElementsAre(0, 2));  // |corr(0, 1)| = 1
}

TEST(DependencyFilter, SteadyStateFilteringDoesNotAllocate) {
  const TestMatrix m = CorrelatedGroups(6, 100, 5, 4, 0);
  ColumnCorrelation corr(&m.x);
  DependencyFilter filter(&corr, 0.3);
  std::vector<int64_t> candidates(m.x.cols);
  for (int64_t j = 0; j < m.x.cols; ++j) candidates[j] = j;
  std::vector<int64_t> kept;
  filter.Filter(candidates, 100, &kept);  // grows the scratch space and `kept`
  const std::vector<int64_t> first = kept;
  const int64_t before = testing_internal::AllocationCount();
  for (int t = 0; t < 10; ++t) filter.Filter(candidates, 100, &kept);
  EXPECT_EQ(testing_internal::AllocationCount() - before, 0);
  EXPECT_EQ(kept, first);  // the scratch space was fully reset between calls
}

TEST(DependencyFilter, KeepsExactlyWhatThePairwiseGreedyRuleKeeps) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(::testing::Message() << "seed=" << seed);
    const TestMatrix m = CorrelatedGroups(8, 60, 6, 5, seed);
    ColumnCorrelation corr(&m.x);
    ColumnCorrelation reference_corr(&m.x);
    DependencyFilter filter(&corr, 0.4);
    std::mt19937_64 rng(seed);
    std::vector<int64_t> candidates(m.x.cols);
    for (int64_t j = 0; j < m.x.cols; ++j) candidates[j] = j;
    // Many rounds on one filter: what it remembers of earlier rounds (which column blocked which)
    // must never change a later round's answer.
    for (int round = 0; round < 50; ++round) {
      SCOPED_TRACE(::testing::Message() << "round=" << round);
      std::shuffle(candidates.begin(), candidates.end(), rng);
      const int64_t count = std::uniform_int_distribution<int64_t>(1, m.x.cols)(rng);
      const std::span<const int64_t> drawn(candidates.data(), static_cast<size_t>(count));
      const int64_t max_keep = std::uniform_int_distribution<int64_t>(1, 12)(rng);
      std::vector<int64_t> kept;
      filter.Filter(drawn, max_keep, &kept);
      std::vector<int64_t> expected;
      for (int64_t c : drawn) {
        if (static_cast<int64_t>(expected.size()) >= max_keep) break;
        bool keep = true;
        for (int64_t k : expected) keep = keep && reference_corr.Get(c, k) < 0.4;
        if (keep) expected.push_back(c);
      }
      ASSERT_EQ(kept, expected);
    }
  }
}

// Non-negative, non-centred columns (like counts or one-hot features): every pair correlates
// mildly, which is what a pairwise check alone cannot see.
CscMatrix MildlyCorrelatedColumns(uint64_t seed, int rows, int cols) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> frequency(0.05, 0.5);
  std::uniform_real_distribution<double> value(0.5, 2.0);
  std::vector<Triplet> triplets;
  for (int j = 0; j < cols; ++j) {
    std::bernoulli_distribution present(frequency(rng));
    for (int i = 0; i < rows; ++i) {
      if (present(rng)) triplets.push_back({i, j, value(rng)});
    }
  }
  return *CscFromTriplets(rows, cols, triplets);
}

// The largest eigenvalue of the kept columns' normalised Gram (symmetric, positive
// semi-definite), by power iteration.
double SpectralRadius(ColumnCorrelation& corr, const CscMatrix& x,
                      const std::vector<int64_t>& kept) {
  const size_t n = kept.size();
  std::vector<std::vector<double>> c(n, std::vector<double>(n));
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = 0; b < n; ++b) {
      // Signed cosine: |corr| would only bound it, and the test wants the true radius.
      double dot = 0;
      auto rows_a = x.ColRows(kept[a]);
      auto values_a = x.ColValues(kept[a]);
      auto rows_b = x.ColRows(kept[b]);
      auto values_b = x.ColValues(kept[b]);
      for (size_t i = 0, k = 0; i < rows_a.size() && k < rows_b.size();) {
        if (rows_a[i] < rows_b[k]) {
          ++i;
        } else if (rows_a[i] > rows_b[k]) {
          ++k;
        } else {
          dot += values_a[i++] * values_b[k++];
        }
      }
      c[a][b] = dot * corr.inv_norm(kept[a]) * corr.inv_norm(kept[b]);
    }
  }
  std::vector<double> v(n, 1.0), w(n);
  double radius = 0;
  for (int iteration = 0; iteration < 500; ++iteration) {
    double norm = 0;
    for (size_t a = 0; a < n; ++a) {
      w[a] = 0;
      for (size_t b = 0; b < n; ++b) w[a] += c[a][b] * v[b];
      norm += w[a] * w[a];
    }
    norm = std::sqrt(norm);
    radius = norm / std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0));
    for (size_t a = 0; a < n; ++a) v[a] = w[a] / norm;
  }
  return radius;
}

// Pipelined rounds: a batch is checked against the batches still in flight (already kept), so
// the bounds hold for their union, which is what the workers' stale pushes effectively step on.
TEST(DependencyFilter, AlreadyKeptColumnsBoundTheUnionAndAreNotReturned) {
  const TestMatrix groups = CorrelatedGroups(11, 400, 30, 8, 0);
  const CscMatrix& x = groups.x;
  ColumnCorrelation corr(&x);
  ColumnCorrelation reference_corr(&x);
  std::vector<int64_t> candidates(x.cols);
  for (int64_t j = 0; j < x.cols; ++j) candidates[j] = j;
  std::mt19937_64 rng(4);
  DependencyFilter filter(&corr, 0.3, kGershgorinRowSum);
  std::vector<int64_t> in_flight;  // the union of the last 3 batches
  std::vector<std::vector<int64_t>> batches;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(::testing::Message() << "round=" << round);
    std::shuffle(candidates.begin(), candidates.end(), rng);
    std::vector<int64_t> kept;
    filter.Filter(candidates, 6, in_flight, &kept);
    ASSERT_FALSE(kept.empty());
    ASSERT_LE(kept.size(), 6u);
    for (int64_t k : kept) {
      EXPECT_EQ(std::count(in_flight.begin(), in_flight.end(), k), 0) << "in flight: " << k;
    }
    // Every row sum of the union, in-flight columns' included, stays under 1.
    std::vector<int64_t> both = in_flight;
    both.insert(both.end(), kept.begin(), kept.end());
    for (size_t a = 0; a < both.size(); ++a) {
      double sum = 0;
      for (size_t b = 0; b < both.size(); ++b) {
        if (a != b) sum += reference_corr.Get(both[a], both[b]);
      }
      EXPECT_LT(sum, 1.0) << "column " << both[a];
    }
    EXPECT_LT(SpectralRadius(reference_corr, x, both), 2.0);
    batches.push_back(kept);
    if (batches.size() > 3) batches.erase(batches.begin());
    in_flight.clear();
    for (const std::vector<int64_t>& batch : batches) {
      in_flight.insert(in_flight.end(), batch.begin(), batch.end());
    }
  }
  // Without the in-flight columns the same candidates give a different, larger batch: the seeds
  // really constrain it.
  std::vector<int64_t> alone, seeded;
  filter.Filter(candidates, 64, &alone);
  filter.Filter(candidates, 64, in_flight, &seeded);
  EXPECT_GT(alone.size(), seeded.size());
}

TEST(DependencyFilter, GershgorinBoundKeepsTheBatchRadiusBelowTwo) {
  const CscMatrix x = MildlyCorrelatedColumns(5, 300, 200);
  ColumnCorrelation corr(&x);
  ColumnCorrelation reference_corr(&x);
  std::vector<int64_t> candidates(x.cols);
  for (int64_t j = 0; j < x.cols; ++j) candidates[j] = j;
  std::mt19937_64 rng(9);
  DependencyFilter bounded(&corr, 0.3, kGershgorinRowSum);
  DependencyFilter pairwise(&corr, 0.3);
  double worst_pairwise_radius = 0;
  for (int round = 0; round < 30; ++round) {
    SCOPED_TRACE(::testing::Message() << "round=" << round);
    std::shuffle(candidates.begin(), candidates.end(), rng);
    std::vector<int64_t> kept;
    bounded.Filter(candidates, 64, &kept);
    ASSERT_GE(kept.size(), 2u);  // the bound must not degrade to one column
    // Greedy by hand: a candidate joins when every pair stays under rho and every row sum,
    // its own and each kept column's with it, stays under 1.
    std::vector<int64_t> expected;
    std::vector<double> row_sum;
    for (int64_t c : candidates) {
      if (expected.size() == 64) break;
      double own = 0;
      bool keep = true;
      for (size_t k = 0; k < expected.size() && keep; ++k) {
        const double r = reference_corr.Get(c, expected[k]);
        own += r;
        keep = r < 0.3 && row_sum[k] + r < 1.0;
      }
      if (!keep || own >= 1.0) continue;
      for (size_t k = 0; k < expected.size(); ++k) row_sum[k] += reference_corr.Get(c, expected[k]);
      expected.push_back(c);
      row_sum.push_back(own);
    }
    ASSERT_EQ(kept, expected);
    EXPECT_LT(SpectralRadius(reference_corr, x, kept), 2.0);

    std::vector<int64_t> pairwise_kept;
    pairwise.Filter(candidates, 64, &pairwise_kept);
    worst_pairwise_radius =
        std::max(worst_pairwise_radius, SpectralRadius(reference_corr, x, pairwise_kept));
  }
  // The same candidates under the pairwise check alone: batches whose parallel step can raise F.
  EXPECT_GT(worst_pairwise_radius, 2.0);
}

// With centring, every kept batch's centred correlation row sums (computed densely) stay below
// 1, so the parallel step on centred columns lowers F, on non-negative columns far from zero
// whose raw correlations are all near 1.
TEST(DependencyFilter, CentredGershgorinBoundHoldsForTheCentredColumns) {
  const uint64_t seed = 12;
  SCOPED_TRACE(testing::Message() << "seed=" << seed);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::bernoulli_distribution shared_row(0.3);
  const int rows = 150, cols = 60;
  std::vector<double> base(rows);
  for (double& v : base) v = normal(rng);
  std::vector<std::vector<double>> dense(cols, std::vector<double>(rows));
  std::vector<Triplet> triplets;
  for (int j = 0; j < cols; ++j) {
    const double offset = j % 3 == 0 ? 100.0 * (j + 1) : 0.0;
    for (int i = 0; i < rows; ++i) {
      dense[j][i] = offset + (shared_row(rng) ? base[i] : 0.0) + 0.5 * normal(rng);
      triplets.push_back({i, j, dense[j][i]});
    }
  }
  const CscMatrix x = *CscFromTriplets(rows, cols, triplets);
  ColumnCorrelation corr(&x, DenseCentring(dense));
  DependencyFilter filter(&corr, 0.5, kGershgorinRowSum);
  std::vector<int64_t> candidates(cols);
  for (int64_t j = 0; j < cols; ++j) candidates[j] = j;
  int64_t most_kept = 0;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(::testing::Message() << "round=" << round);
    std::shuffle(candidates.begin(), candidates.end(), rng);
    std::vector<int64_t> kept;
    const std::vector<int64_t> in_flight = {candidates.back()};
    filter.Filter(std::span(candidates).first(cols - 1), 32, in_flight, &kept);
    kept.push_back(in_flight[0]);  // the bound covers the union with the columns in flight
    most_kept = std::max<int64_t>(most_kept, static_cast<int64_t>(kept.size()));
    for (int64_t a : kept) {
      double row_sum = 0;
      for (int64_t b : kept) {
        if (a != b) row_sum += DenseCorrelation(Centred(dense[a]), Centred(dense[b]));
      }
      EXPECT_LT(row_sum, 1.0) << "column " << a;
    }
  }
  EXPECT_GE(most_kept, 3);  // the bound does not degrade to one column
}

}  // namespace
}  // namespace strads::core
