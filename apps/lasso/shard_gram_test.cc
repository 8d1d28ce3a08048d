#include "apps/lasso/shard_gram.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

// Columns of random density in [min_density, max_density].
core::CscMatrix RandomMatrix(uint64_t seed, int rows, int cols, double min_density,
                             double max_density) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> density(min_density, max_density);
  std::normal_distribution<double> value;
  std::vector<core::Triplet> triplets;
  for (int j = 0; j < cols; ++j) {
    std::bernoulli_distribution present(density(rng));
    for (int i = 0; i < rows; ++i) {
      if (present(rng)) triplets.push_back({i, j, value(rng)});
    }
  }
  return *core::CscFromTriplets(rows, cols, triplets);
}

double NaiveDot(const core::CscMatrix& x, int64_t a, int64_t b) {
  std::vector<double> dense(x.rows, 0.0);
  for (size_t k = 0; k < x.ColRows(a).size(); ++k) dense[x.ColRows(a)[k]] = x.ColValues(a)[k];
  double dot = 0;
  for (size_t k = 0; k < x.ColRows(b).size(); ++k)
    dot += dense[x.ColRows(b)[k]] * x.ColValues(b)[k];
  return dot;
}

TEST(GramValueIndex, LaysOutEveryNewColumnsDotsOnceInOrder) {
  for (int64_t num_old : {0, 1, 5}) {
    const int64_t size = 9;
    int64_t expected = 0;
    for (int64_t a = num_old; a < size; ++a) {
      for (int64_t s = 0; s <= a; ++s) EXPECT_EQ(GramValueIndex(a, s, num_old), expected++);
    }
    EXPECT_EQ(GramValueCount(size, num_old), expected);
  }
}

// The sparse (row-wise) and dense (Eigen) paths both equal dot products done by hand, for a
// fresh working set and for one that extends a known one.
TEST(ShardGram, SparseAndDenseShardsMatchNaiveDotProducts) {
  struct Case {
    double min_density, max_density;
  };
  for (Case c : {Case{0.01, 0.1}, Case{0.5, 1.0}, Case{0.0, 1.0}}) {
    const core::CscMatrix x = RandomMatrix(3, 80, 40, c.min_density, c.max_density);
    const std::vector<int64_t> keys = {7, 2, 39, 11, 0, 23, 5, 18, 30};
    for (int64_t num_old : {0, 4}) {
      SCOPED_TRACE(::testing::Message() << "density " << c.max_density << " num_old " << num_old);
      const int64_t count = GramValueCount(static_cast<int64_t>(keys.size()), num_old);
      std::vector<double> out(count, 1.0);  // accumulates into what is there
      ShardGram gram;
      const int64_t work = gram.Accumulate(x, keys, num_old, out);
      EXPECT_GT(work, 0);
      for (int64_t a = num_old; a < static_cast<int64_t>(keys.size()); ++a) {
        for (int64_t s = 0; s <= a; ++s) {
          EXPECT_NEAR(out[GramValueIndex(a, s, num_old)], 1.0 + NaiveDot(x, keys[a], keys[s]),
                      1e-12)
              << "a=" << a << " s=" << s;
        }
      }
      // The scratch space is reused: a second request on the same object is just as right.
      std::vector<double> again(count, 0.0);
      gram.Accumulate(x, keys, num_old, again);
      for (int64_t i = 0; i < count; ++i) EXPECT_NEAR(again[i] + 1.0, out[i], 1e-12);
    }
  }
}

}  // namespace
}  // namespace strads::lasso
