// `strads plot` and `--plot`: a job's convergence curves (the app's curve metrics against rounds
// and against seconds) as one SVG picture, several jobs or summaries as one series each, so
// schedules compare side by side. Which metrics, and on which scale, comes from apps/registry.h.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/convergence_history.h"
#include "nlohmann/json.hpp"
#include "strads/v1/strads.pb.h"

namespace strads::client {

// One series of the picture: a job's history and what the legend calls it.
struct PlotSource {
  std::string label;
  std::string app;
  std::vector<core::ConvergencePoint> history;
};

std::vector<core::ConvergencePoint> HistoryFromProto(const v1::JobStatus& status);

// A job as the scheduler reports it; labelled "job-3 name scheduler" (what is set).
PlotSource SourceFromStatus(const v1::JobStatus& status);
// A summary JSON written by --summary-json (or `strads result`), read from `path` (named in
// errors); labelled like a job, with the file's name.
absl::StatusOr<PlotSource> SourceFromSummary(const nlohmann::json& summary,
                                             const std::string& path);
absl::StatusOr<PlotSource> ReadSummarySource(const std::string& path);

// Two panels per curve of the sources' apps (by round, by seconds). Refuses sources with no
// history at all, naming them, and a picture where no curve has a point. Series labels that
// repeat get " #2", " #3", ... so each keeps its own colour.
absl::StatusOr<std::string> ConvergencePlotSvg(std::vector<PlotSource> sources,
                                               const std::string& title);

// Writes the picture to `path`.
absl::Status WriteConvergencePlot(const std::vector<PlotSource>& sources, const std::string& title,
                                  const std::string& path);

}  // namespace strads::client
