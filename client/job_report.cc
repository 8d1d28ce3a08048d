#include "client/job_report.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/convergence_plot.h"
#include "client/job_client.h"
#include "protos/job_status_json.h"

namespace strads::client {
namespace {

// Metrics shown on a progress line, in this order, when the app reports them.
constexpr const char* kProgressMetrics[] = {"objective",  "relative_gap", "duality_gap",  "nnz",
                                            "train_rmse", "test_rmse",    "round_seconds"};

std::string FormatValue(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value);
  }
  return absl::StrFormat("%.6g", value);
}

}  // namespace

std::string ProgressLine(const v1::JobStatus& status) {
  std::string line = absl::StrFormat("[%7.1fs] %-8s", status.seconds(), StateName(status.state()));
  if (status.state() == v1::JOB_STATE_RUNNING || IsTerminal(status.state())) {
    absl::StrAppend(&line, absl::StrFormat(" round %-7d", status.round()));
    for (const char* name : kProgressMetrics) {
      auto it = status.metrics().find(name);
      if (it != status.metrics().end()) {
        absl::StrAppend(&line, "  ", name, " ", FormatValue(it->second));
      }
    }
  }
  if (!status.message().empty() && status.state() != v1::JOB_STATE_RUNNING) {
    absl::StrAppend(&line, "  (", status.message(), ")");
  }
  return line;
}

std::string FinalReport(const v1::JobStatus& status, const std::string& model_path) {
  std::string out = absl::StrCat("job ", status.job_id(), " ", StateName(status.state()));
  if (!status.message().empty()) absl::StrAppend(&out, ": ", status.message());
  absl::StrAppend(&out, "\n");
  auto row = [&](const std::string& name, const std::string& value) {
    absl::StrAppend(&out, absl::StrFormat("  %-20s %s\n", name, value));
  };
  row("rounds", absl::StrCat(status.round()));
  row("seconds", absl::StrFormat("%.3f", status.seconds()));
  if (status.seconds() > 0) {
    row("rounds_per_second", absl::StrFormat("%.1f", status.round() / status.seconds()));
  }
  row("workers", absl::StrCat(status.spec().workers()));
  row("pipeline", absl::StrCat(std::max(1, status.spec().pipeline())));
  std::vector<std::pair<std::string, double>> metrics(status.metrics().begin(),
                                                      status.metrics().end());
  std::sort(metrics.begin(), metrics.end());
  for (const auto& [name, value] : metrics) {
    if (name == "rounds") continue;
    row(name, absl::StrFormat("%.10g", value));
  }
  if (!model_path.empty()) row("model", model_path);
  return out;
}

std::string JobsTable(const std::vector<v1::JobStatus>& jobs) {
  if (jobs.empty()) return "no jobs\n";
  std::string out = absl::StrFormat("%-10s %-16s %-6s %-20s %4s %8s %9s  %s\n", "JOB", "NAME",
                                    "APP", "STATE", "PRI", "ROUNDS", "SECONDS", "MESSAGE");
  for (const v1::JobStatus& job : jobs) {
    absl::StrAppend(
        &out, absl::StrFormat("%-10s %-16s %-6s %-20s %4d %8d %9.2f  %s\n", job.job_id(),
                              job.spec().name().empty() ? "-" : job.spec().name(), job.spec().app(),
                              StateName(job.state()), job.spec().priority(), job.round(),
                              job.seconds(), job.message()));
  }
  return out;
}

std::string LogLine(const v1::JobLogEvent& event) {
  return absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M:%E3S", absl::FromUnixMillis(event.unix_ms()),
                                       absl::UTCTimeZone()),
                      "  ", event.text());
}

std::string WorkersTable(const std::vector<v1::WorkerInfo>& workers) {
  if (workers.empty()) return "no workers connected\n";
  std::string out = absl::StrFormat("%-8s %-24s %-10s %s\n", "WORKER", "NAME", "JOB", "CONNECTED");
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  for (const v1::WorkerInfo& worker : workers) {
    absl::StrAppend(
        &out, absl::StrFormat("%-8s %-24s %-10s %.0fs ago\n", worker.worker_id(), worker.name(),
                              worker.job_id().empty() ? "(idle)" : worker.job_id(),
                              (now_ms - worker.connected_unix_ms()) / 1000.0));
  }
  return out;
}

nlohmann::json SummaryJson(const v1::JobStatus& status, const std::string& model_path) {
  nlohmann::json json = proto::JobStatusJson(status, model_path);
  // The convergence curve (`strads plot --summary` draws it), when the status carries one.
  if (status.history_size() > 0) json["history"] = core::HistoryToJson(HistoryFromProto(status));
  return json;
}

}  // namespace strads::client
