#include "protos/job_status_json.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"

namespace strads::proto {
namespace {

// Metrics travel as doubles; counts (nnz, updates, rounds, converged) are written as JSON
// integers, and every other value with the shortest text that reads back as the same double.
nlohmann::json MetricJson(double value) {
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53: doubles are exact below it
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < kExactIntegers) {
    return static_cast<int64_t>(value);
  }
  return value;
}

}  // namespace

std::string JobStateName(v1::JobState state) {
  std::string name = v1::JobState_Name(state);
  constexpr std::string_view kPrefix = "JOB_STATE_";
  if (name.rfind(kPrefix, 0) == 0) name.erase(0, kPrefix.size());
  absl::AsciiStrToLower(&name);
  return name;
}

nlohmann::json JobStatusJson(const v1::JobStatus& status, const std::string& model_path) {
  nlohmann::json json;
  for (const auto& [name, value] : status.metrics()) json[name] = MetricJson(value);
  // Per-worker metrics ("busy_seconds_worker_<i>") also as one array, in worker order.
  constexpr std::string_view kBusyPrefix = "busy_seconds_worker_";
  std::vector<std::pair<int, double>> busy;
  for (const auto& [name, value] : status.metrics()) {
    if (name.rfind(kBusyPrefix, 0) == 0) {
      busy.emplace_back(std::atoi(name.c_str() + kBusyPrefix.size()), value);
    }
  }
  if (!busy.empty()) {
    std::sort(busy.begin(), busy.end());
    nlohmann::json per_worker = nlohmann::json::array();
    for (const auto& [worker, seconds] : busy) per_worker.push_back(seconds);
    json["busy_seconds_per_worker"] = per_worker;
  }
  json["job_id"] = status.job_id();
  if (!status.spec().name().empty()) json["name"] = status.spec().name();
  json["app"] = status.spec().app();
  json["state"] = JobStateName(status.state());
  json["message"] = status.message();
  json["rounds"] = status.round();
  json["seconds"] = status.seconds();
  json["workers"] = status.spec().workers();
  json["priority"] = status.spec().priority();
  // Rounds in flight at once, as the scheduler resolved it (0 from a scheduler without pipelining).
  json["pipeline"] = std::max(1, status.spec().pipeline());
  auto scheduler = status.spec().params().find("scheduler");
  if (scheduler != status.spec().params().end()) json["scheduler"] = scheduler->second;
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [key, value] : status.spec().params()) params[key] = value;
  json["params"] = params;
  json["data"] = status.spec().data_path();
  if (!status.spec().labels_path().empty()) json["labels"] = status.spec().labels_path();
  if (!model_path.empty()) json["model"] = model_path;
  return json;
}

}  // namespace strads::proto
