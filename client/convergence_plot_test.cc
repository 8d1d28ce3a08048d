#include "client/convergence_plot.h"

#include <cmath>

#include "gtest/gtest.h"

namespace strads::client {
namespace {

std::vector<core::ConvergencePoint> LassoHistory(double rate, int rounds) {
  std::vector<core::ConvergencePoint> points;
  for (int round = 1; round <= rounds; ++round) {
    points.push_back(
        {round,
         0.1 * round,
         {{"objective", 10 + std::pow(rate, round)}, {"duality_gap", std::pow(rate, round)}}});
  }
  return points;
}

int Count(const std::string& text, const std::string& what) {
  int count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

TEST(ConvergencePlot, DrawsTheAppsCurvesByRoundAndByTime) {
  absl::StatusOr<std::string> svg =
      ConvergencePlotSvg({{"job-1 working-set", "lasso", LassoHistory(0.5, 8)}}, "job-1");
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_EQ(Count(*svg, "class=\"panel\""), 4);
  EXPECT_NE(svg->find("objective - best by round"), std::string::npos);
  EXPECT_NE(svg->find("duality gap by time"), std::string::npos);
  EXPECT_EQ(Count(*svg, "data-label=\"job-1 working-set\""), 4);
}

TEST(ConvergencePlot, SeveralSourcesAreSeveralSeriesAndRepeatedLabelsStayApart) {
  absl::StatusOr<std::string> svg =
      ConvergencePlotSvg({{"a.json: dynamic", "lasso", LassoHistory(0.5, 8)},
                          {"a.json: dynamic", "lasso", LassoHistory(0.9, 30)}},
                         "");
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_EQ(Count(*svg, "data-label=\"a.json: dynamic\""), 4);
  EXPECT_EQ(Count(*svg, "data-label=\"a.json: dynamic #2\""), 4);
}

TEST(ConvergencePlot, ObjectiveMinusBestUsesTheBestOfEverySource) {
  // The slower source never reaches the faster one's best, so all its points are above 0 and
  // drawn on the log scale; the faster one's best point (0 after subtracting) is left out.
  absl::StatusOr<std::string> svg = ConvergencePlotSvg(
      {{"fast", "lasso", LassoHistory(0.1, 5)}, {"slow", "lasso", LassoHistory(0.9, 5)}}, "");
  ASSERT_TRUE(svg.ok()) << svg.status();
  const size_t slow = svg->find("data-label=\"slow\"");
  const std::string slow_group = svg->substr(slow, svg->find("</g>", slow) - slow);
  EXPECT_EQ(Count(slow_group, "<circle"), 5);
  const size_t fast = svg->find("data-label=\"fast\"");
  const std::string fast_group = svg->substr(fast, svg->find("</g>", fast) - fast);
  EXPECT_EQ(Count(fast_group, "<circle"), 4);
}

TEST(ConvergencePlot, AnUnknownAppDrawsItsObjective) {
  std::vector<core::ConvergencePoint> history = {{1, 1, {{"objective", 3}}},
                                                 {2, 2, {{"objective", 2}}}};
  absl::StatusOr<std::string> svg = ConvergencePlotSvg({{"x", "app-from-the-future", history}}, "");
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_NE(svg->find("objective by round"), std::string::npos);
}

TEST(ConvergencePlot, RefusesNothingToDraw) {
  EXPECT_FALSE(ConvergencePlotSvg({}, "").ok());
  absl::StatusOr<std::string> empty = ConvergencePlotSvg({{"job-4", "lasso", {}}}, "");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("job-4"), std::string::npos);
  std::vector<core::ConvergencePoint> other = {{1, 1, {{"nnz", 3}}}};
  EXPECT_FALSE(ConvergencePlotSvg({{"job-5", "lasso", other}}, "").ok());
}

TEST(ConvergencePlot, ReadsTheHistoryOfASummary) {
  nlohmann::json summary = {{"job_id", "job-1"},
                            {"app", "lasso"},
                            {"scheduler", "dynamic"},
                            {"history", core::HistoryToJson(LassoHistory(0.5, 3))}};
  absl::StatusOr<PlotSource> source = SourceFromSummary(summary, "/tmp/runs/a.json");
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(source->label, "a.json: dynamic");
  EXPECT_EQ(source->app, "lasso");
  EXPECT_EQ(source->history.size(), 3u);

  summary.erase("history");
  absl::StatusOr<PlotSource> old = SourceFromSummary(summary, "old.json");
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("old.json"), std::string::npos);
  EXPECT_FALSE(SourceFromSummary(nlohmann::json::array(), "x.json").ok());
}

TEST(ConvergencePlot, ReadsTheHistoryOfAJobStatus) {
  v1::JobStatus status;
  status.set_job_id("job-2");
  status.mutable_spec()->set_app("lasso");
  (*status.mutable_spec()->mutable_params())["scheduler"] = "working-set";
  v1::ConvergencePoint* point = status.add_history();
  point->set_round(3);
  point->set_seconds(0.75);
  (*point->mutable_metrics())["objective"] = 5;
  PlotSource source = SourceFromStatus(status);
  EXPECT_EQ(source.label, "job-2 working-set");
  ASSERT_EQ(source.history.size(), 1u);
  EXPECT_EQ(source.history[0].round, 3);
  EXPECT_DOUBLE_EQ(*source.history[0].Find("objective"), 5);
}

}  // namespace
}  // namespace strads::client
