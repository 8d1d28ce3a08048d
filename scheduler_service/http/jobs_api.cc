#include "scheduler_service/http/jobs_api.h"

#include <algorithm>
#include <cmath>
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

nlohmann::json CurveJson(const std::vector<CurvePoint>& points) {
  nlohmann::json curve = nlohmann::json::object();
  curve["round"] = nlohmann::json::array();
  curve["seconds"] = nlohmann::json::array();
  for (const CurvePoint& point : points) {
    curve["round"].push_back(point.round);
    curve["seconds"].push_back(point.seconds);
  }
  // A column for every metric some point has.
  for (size_t i = 0; i < kNumCurveMetrics; ++i) {
    const bool reported = std::any_of(points.begin(), points.end(), [i](const CurvePoint& point) {
      return !std::isnan(point.values[i]);
    });
    if (!reported) continue;
    nlohmann::json& column = curve[kCurveMetrics[i]] = nlohmann::json::array();
    for (const CurvePoint& point : points) {
      if (std::isfinite(point.values[i])) {
        column.push_back(point.values[i]);
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
