// Line charts as standalone SVG text: axes with "nice" ticks, a linear or log-10 y axis, one colour
// per series (the same series label gets the same colour in every panel) and one legend for the
// figure. Plain C++ with no drawing library, so the CLI and the scheduler draw the same curves.
#pragma once

#include <string>
#include <vector>

namespace strads::core {

enum class AxisScale { kLinear, kLog };

struct ChartSeries {
  std::string label;      // legend text; series of one label share a colour across panels
  std::vector<double> x;  // same length as y
  std::vector<double> y;
};

struct ChartPanel {
  std::string title;
  std::string x_label;
  std::string y_label;
  AxisScale y_scale = AxisScale::kLinear;
  std::vector<ChartSeries> series;
};

struct ChartLayout {
  std::string title;  // above every panel; empty = none
  int columns = 2;
  int panel_width = 460;
  int panel_height = 300;
};

// Points that cannot be drawn (NaN or infinite, or <= 0 on a log axis) are left out and break the
// line there. A panel with nothing to draw says so in its plot area. Text is XML-escaped.
std::string RenderChartSvg(const std::vector<ChartPanel>& panels, const ChartLayout& layout = {});

// Tick values for an axis from `low` to `high` (low < high): about `target` round numbers
// (1, 2 or 5 times a power of ten) inside the range on a linear axis; powers of ten (and 2 and 5
// times them when the range spans less than two decades) on a log axis (low > 0).
std::vector<double> AxisTicks(double low, double high, AxisScale scale, int target = 5);

// The colour of the n-th series label (a fixed palette that cycles).
const char* SeriesColour(int index);

}  // namespace strads::core
