#include "core/svg_chart.h"

#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace {

// A small XML checker: every tag closes in order, attributes are quoted, '&' starts a known
// entity, and there is one root element. Enough to catch what a string-built SVG gets wrong.
std::string WellFormedError(const std::string& xml) {
  std::vector<std::string> open;
  size_t i = 0;
  int roots = 0;
  if (xml.rfind("<?xml", 0) == 0) i = xml.find("?>") + 2;
  while (i < xml.size()) {
    if (xml[i] == '&') {
      size_t end = xml.find(';', i);
      if (end == std::string::npos) return "unterminated entity";
      std::string entity = xml.substr(i, end - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&apos;") {
        return "unknown entity " + entity;
      }
      i = end + 1;
      continue;
    }
    if (xml[i] == '>') return "stray '>' at " + std::to_string(i);
    if (xml[i] != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(xml[i]))) {
        return "text outside the root";
      }
      ++i;
      continue;
    }
    size_t end = i + 1;
    char quote = 0;
    for (; end < xml.size(); ++end) {
      if (quote != 0) {
        if (xml[end] == quote) quote = 0;
        if (xml[end] == '<') return "'<' inside an attribute";
      } else if (xml[end] == '"' || xml[end] == '\'') {
        quote = xml[end];
      } else if (xml[end] == '>') {
        break;
      }
    }
    if (end >= xml.size()) return "unterminated tag";
    std::string tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.front() == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return "mismatched </" + tag.substr(1);
      open.pop_back();
      continue;
    }
    const bool self_closing = tag.back() == '/';
    std::string name = tag.substr(0, tag.find_first_of(" /"));
    // Attributes: name="value" pairs only.
    std::string rest = tag.substr(name.size(), tag.size() - name.size() - (self_closing ? 1 : 0));
    static const std::regex kAttributes(R"((\s+[A-Za-z_:][-A-Za-z0-9_:.]*="[^"<]*")*\s*)");
    if (!std::regex_match(rest, kAttributes)) return "bad attributes in <" + name;
    if (open.empty()) ++roots;
    if (!self_closing) open.push_back(name);
  }
  if (!open.empty()) return "unclosed <" + open.back();
  if (roots != 1) return "expected one root element, got " + std::to_string(roots);
  return "";
}

// The points of every <polyline> of the series labelled `label`, in order.
std::vector<std::pair<double, double>> SeriesPoints(const std::string& svg,
                                                    const std::string& label, int panel = 0) {
  std::vector<std::pair<double, double>> points;
  size_t at = 0;
  for (int skip = 0; skip <= panel; ++skip) {
    at = svg.find("data-label=\"" + label + "\"", at + 1);
    if (at == std::string::npos) return points;
  }
  const size_t end = svg.find("</g>", at);
  static const std::regex kPolyline("points=\"([^\"]*)\"");
  std::string group = svg.substr(at, end - at);
  for (std::sregex_iterator it(group.begin(), group.end(), kPolyline), last; it != last; ++it) {
    const std::string text = (*it)[1].str();
    for (absl::string_view pair : absl::StrSplit(text, ' ')) {
      std::pair<absl::string_view, absl::string_view> xy = absl::StrSplit(pair, ',');
      double x = 0, y = 0;
      EXPECT_TRUE(absl::SimpleAtod(xy.first, &x) && absl::SimpleAtod(xy.second, &y)) << pair;
      points.push_back({x, y});
    }
  }
  return points;
}

ChartPanel Decreasing(AxisScale scale) {
  ChartPanel panel{"gap <vs> rounds", "round", "duality gap & more", scale, {}};
  ChartSeries a{"dynamic \"STRADS\"", {}, {}};
  ChartSeries b{"random", {}, {}};
  for (int round = 1; round <= 50; ++round) {
    a.x.push_back(round);
    a.y.push_back(std::pow(10.0, -0.1 * round));
    b.x.push_back(round);
    b.y.push_back(2 * std::pow(10.0, -0.05 * round));
  }
  panel.series = {a, b};
  return panel;
}

TEST(SvgChart, IsWellFormedXmlWithEscapedText) {
  std::string svg = RenderChartSvg({Decreasing(AxisScale::kLog), Decreasing(AxisScale::kLinear)},
                                   {.title = "job-1 & job-2 <lasso>"});
  EXPECT_EQ(WellFormedError(svg), "") << svg;
  EXPECT_NE(svg.find("job-1 &amp; job-2 &lt;lasso&gt;"), std::string::npos);
  EXPECT_NE(svg.find("dynamic &quot;STRADS&quot;"), std::string::npos);
  EXPECT_EQ(svg.find("<lasso>"), std::string::npos);
}

TEST(SvgChart, TheCheckerCatchesBrokenXml) {
  EXPECT_NE(WellFormedError("<svg><g></svg>"), "");
  EXPECT_NE(WellFormedError("<svg><text>a & b</text></svg>"), "");
  EXPECT_NE(WellFormedError("<svg x=1></svg>"), "");
  EXPECT_EQ(WellFormedError("<svg x=\"1\"><g/></svg>"), "");
}

TEST(SvgChart, EverySeriesIsDrawnInItsOwnColourWithALegend) {
  std::string svg = RenderChartSvg({Decreasing(AxisScale::kLog)});
  EXPECT_EQ(SeriesPoints(svg, "dynamic &quot;STRADS&quot;").size(), 50u);
  EXPECT_EQ(SeriesPoints(svg, "random").size(), 50u);
  EXPECT_NE(svg.find(std::string("stroke=\"") + SeriesColour(0)), std::string::npos);
  EXPECT_NE(svg.find(std::string("stroke=\"") + SeriesColour(1)), std::string::npos);
  EXPECT_NE(std::string(SeriesColour(0)), std::string(SeriesColour(1)));
  EXPECT_NE(svg.find("class=\"legend\""), std::string::npos);
  EXPECT_NE(svg.find(">random</text>"), std::string::npos);
}

TEST(SvgChart, CoordinatesFollowTheData) {
  for (AxisScale scale : {AxisScale::kLog, AxisScale::kLinear}) {
    std::string svg = RenderChartSvg({Decreasing(scale)});
    std::vector<std::pair<double, double>> points = SeriesPoints(svg, "random");
    ASSERT_EQ(points.size(), 50u);
    for (size_t i = 1; i < points.size(); ++i) {
      EXPECT_GT(points[i].first, points[i - 1].first) << "x grows with the round";
      // SVG's y grows downwards: a falling curve has growing y.
      EXPECT_GT(points[i].second, points[i - 1].second) << "y falls with the gap";
    }
  }
}

TEST(SvgChart, ALogAxisIsEvenInDecades) {
  ChartPanel panel{"", "x", "y", AxisScale::kLog, {{"s", {1, 2, 3}, {1e-6, 1e-4, 1e-2}}}};
  std::vector<std::pair<double, double>> points = SeriesPoints(RenderChartSvg({panel}), "s");
  ASSERT_EQ(points.size(), 3u);
  EXPECT_NEAR(points[0].second - points[1].second, points[1].second - points[2].second, 0.02);
}

TEST(SvgChart, UndrawablePointsBreakTheLine) {
  ChartPanel panel{
      "", "x", "y", AxisScale::kLog, {{"s", {1, 2, 3, 4, 5, 6, 7}, {5, 4, 0, 2, 3, NAN, 1}}}};
  std::string svg = RenderChartSvg({panel});
  EXPECT_EQ(WellFormedError(svg), "");
  // The 0 (on a log axis) and the NaN are left out: lines 5-4 and 2-3, and a lone dot for 1.
  EXPECT_EQ(SeriesPoints(svg, "s").size(), 4u);
  std::string group = svg.substr(svg.find("data-label=\"s\""));
  group = group.substr(0, group.find("</g>"));
  int dots = 0;
  for (size_t at = group.find("<circle"); at != std::string::npos;
       at = group.find("<circle", at + 1)) {
    ++dots;
  }
  EXPECT_EQ(dots, 5);
  EXPECT_NE(group.find("<polyline"), std::string::npos);
  EXPECT_NE(group.find("<polyline", group.find("<polyline") + 1), std::string::npos)
      << "two segments";
}

TEST(SvgChart, APanelWithoutDataSaysSo) {
  ChartPanel empty{"nothing", "x", "y", AxisScale::kLog, {{"s", {1, 2}, {-1, 0}}}};
  std::string svg = RenderChartSvg({empty});
  EXPECT_EQ(WellFormedError(svg), "");
  EXPECT_NE(svg.find("no data"), std::string::npos);
  EXPECT_EQ(WellFormedError(RenderChartSvg({})), "");
}

TEST(SvgChart, ASinglePointOrAFlatLineStillHasAnAxis) {
  ChartPanel flat{"", "x", "y", AxisScale::kLinear, {{"s", {3}, {7}}}};
  std::string svg = RenderChartSvg({flat});
  EXPECT_EQ(WellFormedError(svg), "");
  EXPECT_NE(svg.find("<circle"), std::string::npos);
}

TEST(AxisTicks, LinearTicksAreRoundAndInside) {
  std::vector<double> ticks = AxisTicks(0, 1, AxisScale::kLinear);
  ASSERT_EQ(ticks.size(), 6u);
  EXPECT_DOUBLE_EQ(ticks.front(), 0);
  EXPECT_DOUBLE_EQ(ticks[1], 0.2);
  EXPECT_DOUBLE_EQ(ticks.back(), 1);
  for (double tick : AxisTicks(-3.7, 12.2, AxisScale::kLinear)) {
    EXPECT_GE(tick, -3.7);
    EXPECT_LE(tick, 12.2);
    EXPECT_NEAR(std::remainder(tick, 5.0), 0, 1e-9) << tick;
  }
}

TEST(AxisTicks, LogTicksArePowersOfTen) {
  std::vector<double> ticks = AxisTicks(1e-8, 1e2, AxisScale::kLog);
  ASSERT_FALSE(ticks.empty());
  EXPECT_LE(ticks.size(), 11u);
  for (double tick : ticks) EXPECT_NEAR(std::log10(tick), std::round(std::log10(tick)), 1e-9);
  std::vector<double> narrow = AxisTicks(1, 10, AxisScale::kLog);
  EXPECT_EQ(narrow, (std::vector<double>{1, 2, 5, 10}));
  EXPECT_TRUE(AxisTicks(0, 10, AxisScale::kLog).empty());
}

}  // namespace
}  // namespace strads::core
