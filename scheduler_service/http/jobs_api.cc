#include "scheduler_service/http/jobs_api.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "protos/job_status_json.h"
#include "scheduler_service/job_service_impl.h"

namespace strads::scheduler {

nlohmann::json JobJson(const JobSnapshot& snapshot) {
  v1::JobStatus status;
  ToProto(snapshot, &status);
  nlohmann::json json = proto::JobStatusJson(status, snapshot.model_path);
  if (snapshot.state == JobState::kSucceeded) {
    json["progress"] = 1.0;
  } else if (snapshot.spec.max_rounds > 0) {
    json["progress"] = std::min(
        1.0, static_cast<double>(snapshot.round) / static_cast<double>(snapshot.spec.max_rounds));
  } else {
    json["progress"] = nullptr;
  }
  return json;
}

nlohmann::json CurveJson(const std::vector<core::ConvergencePoint>& points) {
  nlohmann::json curve = nlohmann::json::object();
  curve["round"] = nlohmann::json::array();
  curve["seconds"] = nlohmann::json::array();
  // A column for every metric some point has, in the order they first appear.
  std::vector<std::string> names;
  for (const core::ConvergencePoint& point : points) {
    curve["round"].push_back(point.round);
    curve["seconds"].push_back(point.seconds);
    for (const core::Metric& metric : point.metrics) {
      if (std::find(names.begin(), names.end(), metric.name) == names.end()) {
        names.push_back(metric.name);
      }
    }
  }
  for (const std::string& name : names) {
    nlohmann::json& column = curve[name] = nlohmann::json::array();
    for (const core::ConvergencePoint& point : points) {
      std::optional<double> value = point.Find(name);
      if (value.has_value() && std::isfinite(*value)) {
        column.push_back(*value);
      } else {
        column.push_back(nullptr);
      }
    }
  }
  return curve;
}

nlohmann::json WorkersJson(const std::vector<WorkerPool::WorkerSummary>& workers) {
  nlohmann::json list = nlohmann::json::array();
  for (const WorkerPool::WorkerSummary& worker : workers) {
    list.push_back({{"worker_id", worker.id},
                    {"name", worker.name},
                    {"job_id", worker.job_id},
                    {"connected_unix_ms", worker.connected_unix_ms},
                    {"shards_loaded", worker.shards_loaded}});
  }
  return list;
}

}  // namespace strads::scheduler
