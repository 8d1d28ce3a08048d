#include "apps/lasso/working_set.h"

#include <vector>

#include "apps/lasso/shard_gram.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

using ::testing::ElementsAre;

TEST(ChooseWorkingSet, TakesTheNonZerosThenTheClosestToViolating) {
  // Coordinates 1 and 4 are non-zero; among the zeros, 3 violates (|x'r| > lambda), then 0 is
  // closest (d = (1 - 0.9) / 1), then 5 (d = (1 - 0.5) / 1); 2 is an all-zero column.
  const std::vector<double> b = {0, 0.5, 0, 0, -1, 0};
  const std::vector<double> xtr = {0.9, 0, 3, 1.5, 0, 0.5};
  const std::vector<double> sqnorm = {1, 1, 0, 4, 1, 1};
  const std::vector<double> predicted(6, 0);
  WorkingSetInputs in{.b = b,
                      .xtr = xtr,
                      .col_sqnorm = sqnorm,
                      .predicted = predicted,
                      .lambda = 1.0,
                      .max_size = 4,
                      .min_size = 4};
  std::vector<std::pair<double, int64_t>> scratch;
  std::vector<int64_t> chosen;
  ChooseWorkingSet(in, &scratch, &chosen);
  EXPECT_THAT(chosen, ElementsAre(0, 1, 3, 4));
  in.max_size = 100;
  in.min_size = 100;
  ChooseWorkingSet(in, &scratch, &chosen);
  EXPECT_THAT(chosen, ElementsAre(0, 1, 3, 4, 5));  // never the all-zero column
}

TEST(ChooseWorkingSet, GrowsWithTheSupportAndCapsAtMaxSize) {
  std::vector<double> b(1000, 0.0);
  for (int j = 0; j < 300; ++j) b[j * 3] = 1.0;
  const std::vector<double> xtr(1000, 0.1);
  const std::vector<double> sqnorm(1000, 1.0);
  std::vector<double> predicted(1000, 0.0);
  for (int j = 0; j < 1000; ++j) predicted[j] = j % 7 == 0 ? 0.01 * j : 0.0;
  WorkingSetInputs in{.b = b,
                      .xtr = xtr,
                      .col_sqnorm = sqnorm,
                      .predicted = predicted,
                      .lambda = 1.0,
                      .max_size = 2048,
                      .min_size = 100};
  std::vector<std::pair<double, int64_t>> scratch;
  std::vector<int64_t> chosen;
  ChooseWorkingSet(in, &scratch, &chosen);
  EXPECT_EQ(chosen.size(), 600u);  // 2 x nnz
  // Non-zeros fill max_size: a block of the coordinates that would move most.
  in.max_size = 50;
  ChooseWorkingSet(in, &scratch, &chosen);
  ASSERT_EQ(chosen.size(), 50u);
  for (int64_t j : chosen) EXPECT_GE(std::abs(predicted[j]), 0.01 * (999 - 7 * 50));
}

TEST(WorkingSetGram, KeepsKnownEntriesAndAsksOnlyForNewColumns) {
  // Gram of columns j: G(j, k) = 100 j + k for j <= k (symmetric); FillNew gets exactly the
  // values a worker would send for the layout of GramValueIndex.
  auto entry = [](int64_t j, int64_t k) {
    return static_cast<double>(100 * std::min(j, k) + std::max(j, k));
  };
  auto fill = [&](WorkingSetGram& gram) {
    const int64_t n = gram.size();
    std::vector<double> values(GramValueCount(n, gram.num_old()));
    for (int64_t a = gram.num_old(); a < n; ++a) {
      for (int64_t s = 0; s <= a; ++s) {
        values[GramValueIndex(a, s, gram.num_old())] = entry(gram.keys()[a], gram.keys()[s]);
      }
    }
    gram.FillNew(values);
  };
  auto check = [&](const WorkingSetGram& gram) {
    ASSERT_TRUE(gram.complete());
    const int64_t n = gram.size();
    for (int64_t a = 0; a < n; ++a) {
      for (int64_t s = 0; s < n; ++s) {
        ASSERT_EQ(gram.gram()[a * n + s], entry(gram.keys()[a], gram.keys()[s]));
      }
    }
  };
  WorkingSetGram gram(50);
  const std::vector<int64_t> first = {3, 10, 20};
  EXPECT_EQ(gram.Plan(first), 0);
  fill(gram);
  check(gram);
  const std::vector<int64_t> second = {1, 10, 20, 30, 40};
  EXPECT_EQ(gram.Plan(second), 2);  // 10 and 20 are known
  EXPECT_THAT(gram.keys(), ElementsAre(10, 20, 1, 30, 40));
  // A plan whose Gram never arrived (a lost round): only its known columns are kept.
  const std::vector<int64_t> third = {1, 20, 41};
  EXPECT_EQ(gram.Plan(third), 1);
  EXPECT_THAT(gram.keys(), ElementsAre(20, 1, 41));
  fill(gram);
  check(gram);
  gram.Clear();
  EXPECT_EQ(gram.size(), 0);
  EXPECT_EQ(gram.Plan(first), 0);
}

}  // namespace
}  // namespace strads::lasso
