#include "client/convergence_plot.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apps/registry.h"
#include "client/model_files.h"
#include "core/file_text.h"
#include "core/svg_chart.h"

namespace strads::client {
namespace {

std::string JoinSet(std::initializer_list<std::string> parts) {
  std::vector<std::string> set;
  for (const std::string& part : parts) {
    if (!part.empty()) set.push_back(part);
  }
  return absl::StrJoin(set, " ");
}

}  // namespace

std::vector<core::ConvergencePoint> HistoryFromProto(const v1::JobStatus& status) {
  std::vector<core::ConvergencePoint> points;
  points.reserve(status.history_size());
  for (const v1::ConvergencePoint& point : status.history()) {
    core::ConvergencePoint added{point.round(), point.seconds(), {}};
    // A protobuf map has no order; sorted names keep the output stable.
    std::map<std::string, double> sorted(point.metrics().begin(), point.metrics().end());
    for (const auto& [name, value] : sorted) added.metrics.push_back({name, value});
    points.push_back(std::move(added));
  }
  return points;
}

PlotSource SourceFromStatus(const v1::JobStatus& status) {
  auto scheduler = status.spec().params().find("scheduler");
  return {JoinSet({status.job_id(), status.spec().name(),
                   scheduler != status.spec().params().end() ? scheduler->second : ""}),
          status.spec().app(), HistoryFromProto(status)};
}

absl::StatusOr<PlotSource> SourceFromSummary(const nlohmann::json& summary,
                                             const std::string& path) {
  if (!summary.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a summary (a JSON object)"));
  }
  auto text = [&](const char* key) {
    return summary.contains(key) && summary[key].is_string() ? summary[key].get<std::string>()
                                                             : std::string();
  };
  if (!summary.contains("history")) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": has no convergence history (\"history\"); summaries from "
                     "--summary-json of this version have one"));
  }
  absl::StatusOr<std::vector<core::ConvergencePoint>> history =
      core::HistoryFromJson(summary["history"]);
  if (!history.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", history.status().message()));
  }
  const std::string file = std::filesystem::path(path).filename().string();
  return PlotSource{JoinSet({file + ":", text("name"), text("scheduler")}), text("app"),
                    *std::move(history)};
}

absl::StatusOr<PlotSource> ReadSummarySource(const std::string& path) {
  absl::StatusOr<std::string> text = core::ReadWholeFile(path);
  if (!text.ok()) return text.status();
  nlohmann::json summary = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (summary.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON"));
  }
  return SourceFromSummary(summary, path);
}

absl::StatusOr<std::string> ConvergencePlotSvg(std::vector<PlotSource> sources,
                                               const std::string& title) {
  if (sources.empty()) return absl::InvalidArgumentError("nothing to plot");
  std::vector<std::string> without;
  std::map<std::string, int> seen;
  for (PlotSource& source : sources) {
    if (source.history.empty()) without.push_back(source.label);
    const int count = ++seen[source.label];
    if (count > 1) absl::StrAppend(&source.label, " #", count);
  }
  if (!without.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no convergence history for ", absl::StrJoin(without, ", "),
                     " (it ran no round, or its scheduler keeps no history)"));
  }
  // The curves of every app in the picture, each metric once, in the apps' order.
  std::vector<apps::ConvergenceCurve> curves;
  for (const PlotSource& source : sources) {
    for (const apps::ConvergenceCurve& curve : apps::CurvesOf(source.app)) {
      if (std::none_of(curves.begin(), curves.end(),
                       [&](const auto& c) { return c.metric == curve.metric; })) {
        curves.push_back(curve);
      }
    }
  }
  std::vector<core::ChartPanel> panels;
  for (const apps::ConvergenceCurve& curve : curves) {
    const std::string metric(curve.metric);
    double best = std::numeric_limits<double>::infinity();
    for (const PlotSource& source : sources) {
      for (const core::ConvergencePoint& point : source.history) {
        std::optional<double> value = point.Find(metric);
        if (value.has_value() && std::isfinite(*value)) best = std::min(best, *value);
      }
    }
    if (!std::isfinite(best)) continue;  // no source reports this metric
    const core::AxisScale scale =
        curve.log_scale ? core::AxisScale::kLog : core::AxisScale::kLinear;
    core::ChartPanel by_round{absl::StrCat(std::string(curve.label), " by round"),
                              "round",
                              std::string(curve.label),
                              scale,
                              {}};
    core::ChartPanel by_time{absl::StrCat(std::string(curve.label), " by time"),
                             "seconds",
                             std::string(curve.label),
                             scale,
                             {}};
    for (const PlotSource& source : sources) {
      core::ChartSeries rounds{source.label, {}, {}};
      core::ChartSeries seconds{source.label, {}, {}};
      for (const core::ConvergencePoint& point : source.history) {
        std::optional<double> value = point.Find(metric);
        if (!value.has_value()) continue;
        const double y = curve.minus_best ? *value - best : *value;
        rounds.x.push_back(static_cast<double>(point.round));
        rounds.y.push_back(y);
        seconds.x.push_back(point.seconds);
        seconds.y.push_back(y);
      }
      by_round.series.push_back(std::move(rounds));
      by_time.series.push_back(std::move(seconds));
    }
    panels.push_back(std::move(by_round));
    panels.push_back(std::move(by_time));
  }
  if (panels.empty()) {
    return absl::FailedPreconditionError(
        "the histories hold none of the metrics their apps draw; nothing to plot");
  }
  return core::RenderChartSvg(panels, {.title = title, .columns = 2});
}

absl::Status WriteConvergencePlot(const std::vector<PlotSource>& sources, const std::string& title,
                                  const std::string& path) {
  absl::StatusOr<std::string> svg = ConvergencePlotSvg(sources, title);
  if (!svg.ok()) return svg.status();
  std::ofstream out(path, std::ios::trunc);
  if (!out) return WriteError(path, errno);
  out << *svg;
  out.close();
  if (!out) return WriteError(path, errno);
  return absl::OkStatus();
}

}  // namespace strads::client
