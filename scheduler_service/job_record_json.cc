#include "scheduler_service/job_record_json.h"

#include "absl/strings/str_cat.h"

namespace strads::scheduler {
namespace {

constexpr JobState kAllStates[] = {
    JobState::kQueued,    JobState::kLoading, JobState::kWaitingForWorkers, JobState::kRunning,
    JobState::kSucceeded, JobState::kFailed,  JobState::kCancelled};

}  // namespace

nlohmann::json SnapshotToJson(const JobSnapshot& snapshot) {
  nlohmann::json spec = {
      {"app", snapshot.spec.app},
      {"data_path", snapshot.spec.data_path},
      {"test_path", snapshot.spec.test_path},
      {"labels_path", snapshot.spec.labels_path},
      {"workers", snapshot.spec.workers},
      {"max_rounds", snapshot.spec.max_rounds},
      {"tolerance", snapshot.spec.tolerance},
      {"max_seconds", snapshot.spec.max_seconds},
      {"priority", snapshot.spec.priority},
      {"pipeline", snapshot.spec.pipeline},
      {"params", snapshot.spec.params},
      {"name", snapshot.spec.name},
  };
  return {
      {"job_id", snapshot.job_id},
      {"state", JobStateName(snapshot.state)},
      {"message", snapshot.message},
      {"round", snapshot.round},
      {"seconds", snapshot.seconds},
      {"metrics", snapshot.metrics},
      {"created_unix_ms", snapshot.created_unix_ms},
      {"finished_unix_ms", snapshot.finished_unix_ms},
      {"model_path", snapshot.model_path},
      {"spec", spec},
      {"history", core::HistoryToJson(snapshot.history.Points())},
  };
}

absl::StatusOr<JobSnapshot> SnapshotFromJson(const nlohmann::json& json) {
  try {
    JobSnapshot snapshot;
    snapshot.job_id = json.at("job_id").get<std::string>();
    const std::string state = json.at("state").get<std::string>();
    bool known = false;
    for (JobState candidate : kAllStates) {
      if (state == JobStateName(candidate)) {
        snapshot.state = candidate;
        known = true;
      }
    }
    if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown job state '", state, "'"));
    snapshot.message = json.value("message", "");
    snapshot.round = json.value("round", int64_t{0});
    snapshot.seconds = json.value("seconds", 0.0);
    snapshot.metrics = json.value("metrics", std::map<std::string, double>{});
    snapshot.created_unix_ms = json.value("created_unix_ms", int64_t{0});
    snapshot.finished_unix_ms = json.value("finished_unix_ms", int64_t{0});
    snapshot.model_path = json.value("model_path", "");
    const nlohmann::json& spec = json.at("spec");
    snapshot.spec.app = spec.at("app").get<std::string>();
    snapshot.spec.data_path = spec.value("data_path", "");
    snapshot.spec.test_path = spec.value("test_path", "");
    snapshot.spec.labels_path = spec.value("labels_path", "");
    snapshot.spec.workers = spec.value("workers", 1);
    snapshot.spec.max_rounds = spec.value("max_rounds", int64_t{0});
    snapshot.spec.tolerance = spec.value("tolerance", 0.0);
    snapshot.spec.max_seconds = spec.value("max_seconds", 0.0);
    snapshot.spec.priority = spec.value("priority", 0);
    snapshot.spec.pipeline = spec.value("pipeline", 0);
    snapshot.spec.params = spec.value("params", std::map<std::string, std::string>{});
    snapshot.spec.name = spec.value("name", "");
    if (json.contains("history")) {  // records written before histories were kept have none
      absl::StatusOr<std::vector<core::ConvergencePoint>> history =
          core::HistoryFromJson(json.at("history"));
      if (!history.ok()) {
        return absl::DataLossError(
            absl::StrCat("job summary is malformed: ", history.status().message()));
      }
      for (core::ConvergencePoint& point : *history) snapshot.history.Add(std::move(point));
    }
    return snapshot;
  } catch (const nlohmann::json::exception& error) {
    return absl::DataLossError(absl::StrCat("job summary is malformed: ", error.what()));
  }
}

}  // namespace strads::scheduler
