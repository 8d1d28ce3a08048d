#include "scheduler_service/job_history.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

std::vector<core::Metric> Objective(double value) {
  return {{"objective", value}, {"nnz", 3}, {"duality_gap", value / 10}};
}

TEST(JobHistory, KeepsEveryReportWhileThereIsRoom) {
  JobHistory history(16);
  for (int round = 1; round <= 10; ++round) history.Add(round, round * 0.5, Objective(100 - round));
  std::vector<CurvePoint> points = history.Points();
  ASSERT_EQ(points.size(), 10u);
  EXPECT_EQ(points.front().round, 1);
  EXPECT_EQ(points.back().round, 10);
  EXPECT_DOUBLE_EQ(points.back().seconds, 5.0);
  EXPECT_DOUBLE_EQ(*points.back().Value("objective"), 90.0);
  EXPECT_DOUBLE_EQ(*points.back().Value("duality_gap"), 9.0);
  // Only the curve's metrics are kept.
  EXPECT_FALSE(points.back().Value("nnz").has_value());
  EXPECT_FALSE(points.back().Value("test_rmse").has_value());
}

TEST(JobHistory, StaysBoundedAndSpreadOverALongRun) {
  constexpr size_t kCapacity = 64;
  constexpr int kReports = 100000;
  JobHistory history(kCapacity);
  for (int round = 0; round < kReports; ++round) history.Add(round, round, Objective(round));
  std::vector<CurvePoint> points = history.Points();
  ASSERT_LE(points.size(), kCapacity);
  ASSERT_GE(points.size(), kCapacity / 2);
  EXPECT_EQ(points.front().round, 0);            // the start of the curve stays
  EXPECT_EQ(points.back().round, kReports - 1);  // and the latest report is always there
  int64_t widest_gap = 0;
  for (size_t i = 1; i < points.size(); ++i) {
    ASSERT_GT(points[i].round, points[i - 1].round);
    widest_gap = std::max(widest_gap, points[i].round - points[i - 1].round);
  }
  // Evenly thinned: no gap much wider than the run over the points kept.
  EXPECT_LE(widest_gap, 8 * kReports / static_cast<int64_t>(kCapacity));
  EXPECT_GT(history.stride(), 1u);
}

TEST(JobHistory, IgnoresRoundsReportedAgainAfterAResume) {
  JobHistory history(16);
  history.Add(5, 1.0, Objective(10));
  history.Add(6, 1.1, Objective(9));
  history.Add(6, 2.0, Objective(1));  // a resumed job reports its checkpoint's round again
  history.Add(4, 2.0, Objective(1));
  std::vector<CurvePoint> points = history.Points();
  ASSERT_EQ(points.size(), 2u);
  EXPECT_DOUBLE_EQ(*points.back().Value("objective"), 9.0);
}

TEST(JobHistory, KeepsReportsWithoutCurveMetrics) {
  JobHistory history;
  history.Add(1, 0.1, {{"nnz", 2}});
  ASSERT_EQ(history.Points().size(), 1u);
  for (const char* name : kCurveMetrics) EXPECT_FALSE(history.Points()[0].Value(name)) << name;
}

}  // namespace
}  // namespace strads::scheduler
