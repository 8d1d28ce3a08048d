#include "core/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace strads::core {
namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

// Inside a panel: room for the title above, tick labels on the left and below.
constexpr double kMarginLeft = 72;
constexpr double kMarginRight = 16;
constexpr double kMarginTop = 30;
constexpr double kMarginBottom = 46;
constexpr double kTitleHeight = 30;
constexpr double kLegendRowHeight = 22;
// Below this many drawn points a series also gets a dot per point (a short job's few rounds).
constexpr int kMarkersUpTo = 40;

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters are not allowed in XML 1.0 text.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

bool Drawable(double x, double y, AxisScale scale) {
  return std::isfinite(x) && std::isfinite(y) && (scale == AxisScale::kLinear || y > 0);
}

double NiceStep(double raw) {
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / power;
  if (fraction <= 1) return power;
  if (fraction <= 2) return 2 * power;
  if (fraction <= 5) return 5 * power;
  return 10 * power;
}

std::string TickLabel(double value, AxisScale scale) {
  if (value == 0) return "0";
  const double magnitude = std::fabs(value);
  if (scale == AxisScale::kLog || magnitude >= 1e5 || magnitude < 1e-3) {
    return absl::StrFormat("%.3g", value);
  }
  return absl::StrFormat("%.4g", value);
}

// The drawn range of one axis, after widening a degenerate one and rounding to ticks.
struct AxisRange {
  double low = 0;
  double high = 1;
  AxisScale scale = AxisScale::kLinear;
  std::vector<double> ticks;
  double Fraction(double value) const {
    if (scale == AxisScale::kLog) {
      return (std::log10(value) - std::log10(low)) / (std::log10(high) - std::log10(low));
    }
    return (value - low) / (high - low);
  }
};

AxisRange MakeRange(double low, double high, AxisScale scale) {
  AxisRange range;
  range.scale = scale;
  if (scale == AxisScale::kLog) {
    if (!(high > low)) {
      low /= 2;
      high *= 2;
    }
    range.low = std::pow(10.0, std::floor(std::log10(low)));
    range.high = std::pow(10.0, std::ceil(std::log10(high)));
    if (range.high <= range.low) range.high = range.low * 10;
  } else {
    if (!(high > low)) {
      const double pad = low == 0 ? 1 : std::fabs(low) * 0.1;
      low -= pad;
      high += pad;
    }
    const double step = NiceStep((high - low) / 5);
    range.low = std::floor(low / step) * step;
    range.high = std::ceil(high / step) * step;
  }
  range.ticks = AxisTicks(range.low, range.high, scale);
  return range;
}

}  // namespace

const char* SeriesColour(int index) {
  return kPalette[((index % kPaletteSize) + kPaletteSize) % kPaletteSize];
}

std::vector<double> AxisTicks(double low, double high, AxisScale scale, int target) {
  std::vector<double> ticks;
  if (!(high > low) || !std::isfinite(low) || !std::isfinite(high)) return ticks;
  if (scale == AxisScale::kLog) {
    if (low <= 0) return ticks;
    const int first = static_cast<int>(std::ceil(std::log10(low) - 1e-9));
    const int last = static_cast<int>(std::floor(std::log10(high) + 1e-9));
    const int decades = last - first;
    if (decades < 2) {
      for (int e = first - 1; e <= last; ++e) {
        for (double m : {1.0, 2.0, 5.0}) {
          const double value = m * std::pow(10.0, e);
          if (value >= low * (1 - 1e-9) && value <= high * (1 + 1e-9)) ticks.push_back(value);
        }
      }
    } else {
      const int every = std::max(1, (decades + target - 1) / target);
      for (int e = first; e <= last; e += every) ticks.push_back(std::pow(10.0, e));
    }
    return ticks;
  }
  const double step = NiceStep((high - low) / std::max(target, 1));
  for (double value = std::ceil(low / step - 1e-9) * step; value <= high + step * 1e-9;
       value += step) {
    ticks.push_back(std::fabs(value) < step * 1e-9 ? 0.0 : value);
  }
  return ticks;
}

std::string RenderChartSvg(const std::vector<ChartPanel>& panels, const ChartLayout& layout) {
  // One colour per distinct series label, in order of first appearance.
  std::map<std::string, int> colour_of;
  std::vector<std::string> labels;
  for (const ChartPanel& panel : panels) {
    for (const ChartSeries& series : panel.series) {
      if (colour_of.emplace(series.label, static_cast<int>(labels.size())).second) {
        labels.push_back(series.label);
      }
    }
  }
  const int columns =
      std::max(1, std::min<int>(layout.columns, std::max<size_t>(panels.size(), 1)));
  const int rows = std::max<int>(1, (static_cast<int>(panels.size()) + columns - 1) / columns);
  const double width = columns * layout.panel_width;
  const double title_height = layout.title.empty() ? 0 : kTitleHeight;
  // The legend wraps: about 200 px per entry.
  const int per_row = std::max(1, static_cast<int>(width / 200));
  const int legend_rows =
      labels.empty() ? 0 : (static_cast<int>(labels.size()) + per_row - 1) / per_row;
  const double legend_height = legend_rows * kLegendRowHeight + (legend_rows > 0 ? 6 : 0);
  const double top = title_height + legend_height;
  const double height = top + rows * layout.panel_height;

  std::string svg = absl::StrFormat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
      width, height, width, height, width, height);
  if (!layout.title.empty()) {
    absl::StrAppendFormat(&svg,
                          "<text class=\"title\" x=\"%.1f\" y=\"20\" text-anchor=\"middle\" "
                          "font-size=\"15\" font-weight=\"bold\">%s</text>\n",
                          width / 2, Escape(layout.title));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const double x = 16 + static_cast<double>(i % per_row) * (width - 16) / per_row;
    const double y = title_height + 14 + static_cast<double>(i / per_row) * kLegendRowHeight;
    absl::StrAppendFormat(&svg,
                          "<g class=\"legend\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                          "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/><text x=\"%.1f\" "
                          "y=\"%.1f\">%s</text></g>\n",
                          x, y - 4, x + 24, y - 4, SeriesColour(static_cast<int>(i)), x + 30, y,
                          Escape(labels[i]));
  }

  for (size_t p = 0; p < panels.size(); ++p) {
    const ChartPanel& panel = panels[p];
    const double left = static_cast<double>(p % columns) * layout.panel_width;
    const double panel_top = top + static_cast<double>(p / columns) * layout.panel_height;
    const double plot_left = left + kMarginLeft;
    const double plot_top = panel_top + kMarginTop;
    const double plot_width = layout.panel_width - kMarginLeft - kMarginRight;
    const double plot_height = layout.panel_height - kMarginTop - kMarginBottom;
    absl::StrAppendFormat(&svg, "<g class=\"panel\">\n");
    absl::StrAppendFormat(&svg,
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                          "font-weight=\"bold\">%s</text>\n",
                          plot_left + plot_width / 2, panel_top + 18, Escape(panel.title));

    double x_low = INFINITY, x_high = -INFINITY, y_low = INFINITY, y_high = -INFINITY;
    int drawable_points = 0;
    for (const ChartSeries& series : panel.series) {
      const size_t n = std::min(series.x.size(), series.y.size());
      for (size_t i = 0; i < n; ++i) {
        if (!Drawable(series.x[i], series.y[i], panel.y_scale)) continue;
        ++drawable_points;
        x_low = std::min(x_low, series.x[i]);
        x_high = std::max(x_high, series.x[i]);
        y_low = std::min(y_low, series.y[i]);
        y_high = std::max(y_high, series.y[i]);
      }
    }
    absl::StrAppendFormat(&svg,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                          "fill=\"none\" stroke=\"#444444\"/>\n",
                          plot_left, plot_top, plot_width, plot_height);
    absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                          plot_left + plot_width / 2, plot_top + plot_height + 38,
                          Escape(panel.x_label));
    absl::StrAppendFormat(&svg,
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                          "transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
                          left + 14, plot_top + plot_height / 2, left + 14,
                          plot_top + plot_height / 2, Escape(panel.y_label));
    if (drawable_points == 0) {
      absl::StrAppendFormat(&svg,
                            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                            "fill=\"#888888\">no data</text>\n</g>\n",
                            plot_left + plot_width / 2, plot_top + plot_height / 2);
      continue;
    }
    const AxisRange xs = MakeRange(x_low, x_high, AxisScale::kLinear);
    const AxisRange ys = MakeRange(y_low, y_high, panel.y_scale);
    auto to_x = [&](double x) { return plot_left + xs.Fraction(x) * plot_width; };
    auto to_y = [&](double y) { return plot_top + (1 - ys.Fraction(y)) * plot_height; };
    for (double tick : xs.ticks) {
      const double x = to_x(tick);
      absl::StrAppendFormat(&svg,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                            "stroke=\"#e4e4e4\"/><text x=\"%.1f\" y=\"%.1f\" "
                            "text-anchor=\"middle\">%s</text>\n",
                            x, plot_top, x, plot_top + plot_height, x, plot_top + plot_height + 16,
                            TickLabel(tick, AxisScale::kLinear));
    }
    for (double tick : ys.ticks) {
      const double y = to_y(tick);
      absl::StrAppendFormat(&svg,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                            "stroke=\"#e4e4e4\"/><text x=\"%.1f\" y=\"%.1f\" "
                            "text-anchor=\"end\">%s</text>\n",
                            plot_left, y, plot_left + plot_width, y, plot_left - 6, y + 4,
                            TickLabel(tick, panel.y_scale));
    }
    for (const ChartSeries& series : panel.series) {
      const char* colour = SeriesColour(colour_of[series.label]);
      absl::StrAppendFormat(&svg, "<g class=\"series\" data-label=\"%s\">\n", Escape(series.label));
      const size_t n = std::min(series.x.size(), series.y.size());
      std::string segment;
      int segment_points = 0;
      int series_points = 0;
      std::string dots;
      auto flush = [&] {
        if (segment_points >= 2) {
          absl::StrAppendFormat(&svg,
                                "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                                "points=\"%s\"/>\n",
                                colour, segment);
        }
        segment.clear();
        segment_points = 0;
      };
      for (size_t i = 0; i < n; ++i) {
        if (!Drawable(series.x[i], series.y[i], panel.y_scale)) {
          flush();
          continue;
        }
        const double x = to_x(series.x[i]);
        const double y = to_y(series.y[i]);
        absl::StrAppendFormat(&segment, "%s%.2f,%.2f", segment.empty() ? "" : " ", x, y);
        ++segment_points;
        ++series_points;
        absl::StrAppendFormat(&dots, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"%s\"/>\n", x,
                              y, colour);
      }
      flush();
      if (series_points <= kMarkersUpTo) svg += dots;
      svg += "</g>\n";
    }
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace strads::core
