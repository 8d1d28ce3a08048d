#include "apps/lasso/lasso_schedules.h"

#include <algorithm>
#include <set>
#include <vector>

#include "apps/lasso/generator.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

TEST(RandomSchedule, DrawsDistinctCoordinatesCoveringAll) {
  RandomSchedule schedule(50, 7, /*seed=*/3);
  std::vector<int64_t> batch;
  std::set<int64_t> seen;
  for (int round = 0; round < 200; ++round) {
    schedule.Next(&batch);
    ASSERT_EQ(batch.size(), 7u);
    std::set<int64_t> distinct(batch.begin(), batch.end());
    ASSERT_EQ(distinct.size(), 7u) << "round " << round;
    for (int64_t j : batch) {
      ASSERT_GE(j, 0);
      ASSERT_LT(j, 50);
    }
    seen.insert(batch.begin(), batch.end());
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(BlockSchedule, TakesConsecutiveBlocksAndWraps) {
  BlockSchedule schedule(5, 2);
  std::vector<int64_t> batch;
  schedule.Next(&batch);
  EXPECT_EQ(batch, (std::vector<int64_t>{0, 1}));
  schedule.Next(&batch);
  EXPECT_EQ(batch, (std::vector<int64_t>{2, 3}));
  schedule.Next(&batch);
  EXPECT_EQ(batch, (std::vector<int64_t>{4, 0}));
}

class DynamicScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<LassoProblem> problem = GenerateLassoProblem(
        {.samples = 300, .features = 120, .density = 0.2, .correlation = 0.8, .seed = 21});
    ASSERT_TRUE(problem.ok()) << problem.status();
    x_ = problem->data.x;
    sqnorm_ = core::ColumnSquaredNorms(x_);
  }
  core::CscMatrix x_;
  std::vector<double> sqnorm_;
};

TEST_F(DynamicScheduleTest, NeverKeepsACorrelatedPairAndTriesEveryCoordinateEarly) {
  const double rho = 0.3;
  DynamicSchedule schedule(&x_, sqnorm_, /*batch=*/16, rho, /*max_row_sum=*/0, /*eta=*/0.1,
                           /*initial_floor=*/1e-6,
                           /*candidates_factor=*/2.0, /*seed=*/5);
  core::ColumnCorrelation correlation(&x_);
  std::vector<int64_t> batch;
  std::set<int64_t> tried;
  int rounds_to_cover = -1;
  for (int round = 0; round < 200; ++round) {
    schedule.Next(&batch);
    ASSERT_FALSE(batch.empty());
    for (size_t a = 0; a < batch.size(); ++a) {
      for (size_t b = a + 1; b < batch.size(); ++b) {
        ASSERT_LT(correlation.Get(batch[a], batch[b]), rho)
            << "round " << round << ": " << batch[a] << ", " << batch[b];
      }
    }
    for (int64_t j : batch) {
      tried.insert(j);
      schedule.OnUpdated(j, 0.0);
    }
    if (rounds_to_cover < 0 && tried.size() == 120u) rounds_to_cover = round + 1;
  }
  // 12 groups of 10 correlated columns: at most 12 per batch, so >= 10 rounds are needed; the
  // untried-first weights get there soon after.
  ASSERT_GT(rounds_to_cover, 0);
  EXPECT_LE(rounds_to_cover, 40);
}

TEST_F(DynamicScheduleTest, PrefersCoordinatesThatMoved) {
  DynamicSchedule schedule(&x_, sqnorm_, /*batch=*/4, /*rho=*/0.3, /*max_row_sum=*/0, /*eta=*/0.1,
                           /*initial_floor=*/1e-6,
                           /*candidates_factor=*/2.0, /*seed=*/8);
  for (int64_t j = 0; j < x_.cols; ++j) schedule.OnUpdated(j, 0.0);
  const int64_t hot = 17;
  schedule.OnUpdated(hot, 1.0);
  std::vector<int64_t> batch;
  int hits = 0;
  for (int round = 0; round < 50; ++round) {
    schedule.Next(&batch);
    hits += std::count(batch.begin(), batch.end(), hot);
  }
  EXPECT_EQ(hits, 50);
}

// A schedule restored from a checkpoint keeps its priorities: the coordinate that moved is still
// the one drawn, and no coordinate is "untried" again.
TEST_F(DynamicScheduleTest, StateRestoresThePriorities) {
  DynamicSchedule original(&x_, sqnorm_, /*batch=*/4, /*rho=*/0.3, /*max_row_sum=*/0, /*eta=*/0.1,
                           /*initial_floor=*/1e-6, /*candidates_factor=*/2.0, /*seed=*/8);
  for (int64_t j = 0; j < x_.cols; ++j) original.OnUpdated(j, 0.0);
  original.OnUpdated(17, 1.0);

  DynamicSchedule restored(&x_, sqnorm_, 4, 0.3, 0, 0.1, 1e-6, 2.0, /*seed=*/9);
  ASSERT_TRUE(restored.SetState(original.State()).ok());
  EXPECT_EQ(restored.State(), original.State());
  std::vector<int64_t> batch;
  for (int round = 0; round < 20; ++round) {
    restored.Next(&batch);
    EXPECT_EQ(std::count(batch.begin(), batch.end(), 17), 1) << "round " << round;
  }

  std::vector<double> bad = original.State();
  bad[3] = -1;
  EXPECT_EQ(restored.SetState(bad).code(), absl::StatusCode::kDataLoss);
  bad.pop_back();
  EXPECT_EQ(restored.SetState(bad).code(), absl::StatusCode::kDataLoss);
}

TEST(BlockSchedule, StateRestoresThePosition) {
  BlockSchedule original(5, 2);
  std::vector<int64_t> batch;
  original.Next(&batch);
  BlockSchedule restored(5, 2);
  ASSERT_TRUE(restored.SetState(original.State()).ok());
  restored.Next(&batch);
  EXPECT_EQ(batch, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(restored.SetState(std::vector<double>{7}).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace strads::lasso
