#include "core/convergence_history.h"

#include <cmath>

#include "gtest/gtest.h"

namespace strads::core {
namespace {

std::vector<Metric> Objective(double value) { return {{"objective", value}}; }

TEST(ConvergenceHistory, KeepsEveryRoundWhileThereIsRoom) {
  ConvergenceHistory history(16);
  for (int round = 1; round <= 10; ++round)
    history.Add(round, 0.1 * round, Objective(100.0 / round));
  std::vector<ConvergencePoint> points = history.Points();
  ASSERT_EQ(points.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(points[i].round, i + 1);
    EXPECT_DOUBLE_EQ(*points[i].Find("objective"), 100.0 / (i + 1));
  }
  EXPECT_FALSE(points[0].Find("duality_gap").has_value());
}

TEST(ConvergenceHistory, StaysBoundedAndSpreadOverALongRun) {
  ConvergenceHistory history(64);
  const int64_t kRounds = 100000;
  for (int64_t round = 1; round <= kRounds; ++round) {
    history.Add(round, round * 1e-3, Objective(1.0 / round));
    ASSERT_LE(static_cast<int>(history.Points().size()), 64) << "after round " << round;
  }
  std::vector<ConvergencePoint> points = history.Points();
  EXPECT_GE(points.size(), 32u);  // thinning halves at most
  EXPECT_EQ(points.front().round, 1);
  EXPECT_EQ(points.back().round, kRounds);  // the curve ends where the job ended
  for (size_t i = 1; i < points.size(); ++i) {
    EXPECT_GT(points[i].round, points[i - 1].round);
    EXPECT_GT(points[i].seconds, points[i - 1].seconds);
  }
  // Spread: no gap between kept points is more than a few strides, so the middle of the run is
  // not lost to its ends.
  for (size_t i = 1; i + 1 < points.size(); ++i) {
    EXPECT_LE(points[i].round - points[i - 1].round, 2 * history.stride());
  }
}

TEST(ConvergenceHistory, TheNewestPointIsAlwaysLast) {
  ConvergenceHistory history(8);
  for (int64_t round = 1; round <= 1000; ++round) {
    history.Add(round, static_cast<double>(round), Objective(static_cast<double>(-round)));
    std::vector<ConvergencePoint> points = history.Points();
    ASSERT_EQ(points.back().round, round);
    ASSERT_DOUBLE_EQ(*points.back().Find("objective"), static_cast<double>(-round));
  }
}

TEST(ConvergenceHistory, AResumedRunReplacesTheRoundsItRepeats) {
  ConvergenceHistory history(32);
  for (int round = 1; round <= 10; ++round) history.Add(round, round, Objective(10.0 - round));
  // Resumed from a checkpoint taken before round 7: rounds 7.. run again, with other values.
  for (int round = 7; round <= 12; ++round) history.Add(round, round, Objective(100.0 + round));
  std::vector<ConvergencePoint> points = history.Points();
  ASSERT_EQ(points.size(), 12u);
  EXPECT_DOUBLE_EQ(*points[5].Find("objective"), 4.0);    // round 6, from the first run
  EXPECT_DOUBLE_EQ(*points[6].Find("objective"), 107.0);  // round 7, from the resumed run
  for (size_t i = 1; i < points.size(); ++i) EXPECT_GT(points[i].round, points[i - 1].round);
}

TEST(ConvergenceHistory, EmptyUntilTheFirstPoint) {
  ConvergenceHistory history;
  EXPECT_TRUE(history.empty());
  EXPECT_TRUE(history.Points().empty());
  history.Add(0, 0, {});
  EXPECT_FALSE(history.empty());
}

}  // namespace
}  // namespace strads::core

namespace strads::core {
namespace {

TEST(HistoryJson, RoundTripsAndLeavesOutValuesJsonCannotHold) {
  std::vector<ConvergencePoint> points = {
      {1, 0.5, {{"objective", 10}, {"duality_gap", NAN}}},
      {4, 1.25, {{"objective", 2.5}, {"duality_gap", 1e-7}}},
  };
  nlohmann::json json = HistoryToJson(points);
  ASSERT_EQ(json.size(), 2u);
  EXPECT_FALSE(json[0]["metrics"].contains("duality_gap"));
  absl::StatusOr<std::vector<ConvergencePoint>> back =
      HistoryFromJson(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].round, 4);
  EXPECT_DOUBLE_EQ((*back)[1].seconds, 1.25);
  EXPECT_DOUBLE_EQ(*(*back)[1].Find("duality_gap"), 1e-7);
  EXPECT_FALSE((*back)[0].Find("duality_gap").has_value());
}

TEST(HistoryJson, RefusesWhatIsNotAHistory) {
  for (const char* text : {R"({"round": 1})", R"([{"seconds": 1}])", R"([{"round": 1.5}])",
                           R"([{"round": 1, "metrics": {"objective": "low"}}])", R"([3])"}) {
    absl::StatusOr<std::vector<ConvergencePoint>> parsed =
        HistoryFromJson(nlohmann::json::parse(text));
    EXPECT_FALSE(parsed.ok()) << text;
  }
}

}  // namespace
}  // namespace strads::core
