#include "scheduler_service/job_store.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "scheduler_service/job_record_json.h"
#include "spdlog/spdlog.h"

namespace strads::scheduler {
namespace fs = std::filesystem;

namespace {

constexpr char kJobPrefix[] = "job-";
constexpr char kIssuedNumberFile[] = "issued-number";
constexpr char kCheckpointMagic[] = "STRADS-CHECKPOINT-1";

absl::Status WriteFileAtomically(const fs::path& path, std::string_view text) {
  fs::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return absl::InternalError(absl::StrCat("cannot write '", temporary.string(), "'"));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("write failed: '", temporary.string(), "'"));
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot rename to '", path.string(), "': ", error.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> ReadJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no '", path.string(), "'"));
  nlohmann::json json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::DataLossError(absl::StrCat("'", path.string(), "' is not JSON"));
  }
  return json;
}

}  // namespace

std::string JobStore::JobId(int64_t number) { return absl::StrCat(kJobPrefix, number); }

std::string JobStore::JobDir(const std::string& job_id) const {
  return (fs::path(data_dir_) / "jobs" / job_id).string();
}

std::string JobStore::EventLogPath(const std::string& job_id) const {
  return (fs::path(JobDir(job_id)) / "events.log").string();
}

std::string JobStore::UploadsDir() const { return (fs::path(data_dir_) / "uploads").string(); }

absl::StatusOr<std::vector<std::string>> JobStore::Delete(
    const std::string& job_id, const std::vector<std::string>& uploads) const {
  std::vector<std::string> removed;
  std::error_code error;
  const fs::path dir = JobDir(job_id);
  if (fs::exists(dir, error)) {
    fs::remove_all(dir, error);
    if (error) {
      return absl::InternalError(
          absl::StrCat("cannot remove '", dir.string(), "': ", error.message()));
    }
    removed.push_back(dir.string());
  }
  const fs::path uploads_dir = fs::weakly_canonical(UploadsDir(), error);
  for (const std::string& upload : uploads) {
    const fs::path path = fs::weakly_canonical(upload, error);
    // Only a file directly in the uploads folder: a job's own data elsewhere is the user's.
    if (error || path.parent_path() != uploads_dir) continue;
    if (fs::remove(path, error)) removed.push_back(path.string());
  }
  return removed;
}

absl::Status JobStore::Init() const {
  std::error_code error;
  fs::create_directories(fs::path(data_dir_) / "jobs", error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory '", data_dir_, "': ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status JobStore::SaveSubmitted(const JobSnapshot& snapshot) const {
  std::error_code error;
  fs::create_directories(JobDir(snapshot.job_id), error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create '", JobDir(snapshot.job_id), "': ", error.message()));
  }
  return WriteFileAtomically(
      fs::path(JobDir(snapshot.job_id)) / "job.json",
      SnapshotToJson(snapshot).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
          "\n");
}

absl::Status JobStore::SaveCancelRequest(const std::string& job_id) const {
  return WriteFileAtomically(fs::path(JobDir(job_id)) / "cancel_requested", "");
}

absl::StatusOr<std::string> JobStore::SaveResult(const JobSnapshot& snapshot,
                                                 const core::SchedulerApp* app) const {
  const fs::path dir = JobDir(snapshot.job_id);
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create '", dir.string(), "': ", error.message()));
  }
  std::string model_path;
  if (app != nullptr) {
    std::ostringstream model;
    if (absl::Status status = app->WriteModel(model); !status.ok()) return status;
    model_path = (dir / "model.txt").string();
    if (absl::Status status = WriteFileAtomically(model_path, model.str()); !status.ok()) {
      return status;
    }
  }
  JobSnapshot saved = snapshot;
  saved.model_path = model_path;
  if (absl::Status status = WriteFileAtomically(
          dir / "summary.json",
          SnapshotToJson(saved).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
              "\n");
      !status.ok()) {
    return status;
  }
  fs::remove(dir / "checkpoint.bin", error);
  return model_path;
}

absl::Status JobStore::SaveCheckpoint(const std::string& job_id, int64_t next_round, double seconds,
                                      const core::SchedulerApp& app) const {
  std::ostringstream out;
  out << kCheckpointMagic << "\n" << next_round << " " << absl::StrCat(seconds) << "\n";
  if (absl::Status status = app.SaveCheckpoint(out); !status.ok()) return status;
  return WriteFileAtomically(fs::path(JobDir(job_id)) / "checkpoint.bin", out.str());
}

absl::StatusOr<std::optional<StoredCheckpoint>> JobStore::LoadCheckpoint(
    const std::string& job_id) const {
  const fs::path path = fs::path(JobDir(job_id)) / "checkpoint.bin";
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::optional<StoredCheckpoint>();
  std::string magic;
  StoredCheckpoint checkpoint;
  if (!std::getline(in, magic) || magic != kCheckpointMagic ||
      !(in >> checkpoint.next_round >> checkpoint.seconds) || in.get() != '\n' ||
      checkpoint.next_round < 0) {
    return absl::DataLossError(absl::StrCat("'", path.string(), "' is not a STRADS checkpoint"));
  }
  checkpoint.app_state.assign(std::istreambuf_iterator<char>(in), {});
  return std::optional<StoredCheckpoint>(std::move(checkpoint));
}

absl::Status JobStore::SaveIssuedNumber(int64_t number) const {
  return WriteFileAtomically(fs::path(data_dir_) / "jobs" / kIssuedNumberFile,
                             absl::StrCat(number, "\n"));
}

int64_t JobStore::LoadIssuedNumber() const {
  std::ifstream in(fs::path(data_dir_) / "jobs" / kIssuedNumberFile);
  int64_t number = 0;
  if (!(in >> number) || number < 0) return 0;
  return number;
}

absl::StatusOr<core::ConvergenceHistory> JobStore::LoadHistory(const std::string& job_id) const {
  absl::StatusOr<nlohmann::json> json = ReadJson(fs::path(JobDir(job_id)) / "summary.json");
  if (!json.ok()) return json.status();
  absl::StatusOr<JobSnapshot> snapshot = SnapshotFromJson(*json);
  if (!snapshot.ok()) return snapshot.status();
  return std::move(snapshot->history);
}

std::vector<StoredJob> JobStore::LoadAll() const {
  std::vector<StoredJob> found;
  std::error_code error;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(fs::path(data_dir_) / "jobs", error)) {
    const std::string name = entry.path().filename().string();
    StoredJob job;
    if (!absl::StartsWith(name, kJobPrefix)) continue;
    const char* digits = name.data() + sizeof(kJobPrefix) - 1;
    if (std::from_chars(digits, name.data() + name.size(), job.number).ec != std::errc()) {
      continue;
    }
    absl::StatusOr<nlohmann::json> json = ReadJson(entry.path() / "summary.json");
    job.finished = json.ok();
    if (!json.ok()) json = ReadJson(entry.path() / "job.json");
    absl::StatusOr<JobSnapshot> snapshot =
        json.ok() ? SnapshotFromJson(*json) : absl::StatusOr<JobSnapshot>(json.status());
    if (!snapshot.ok()) {
      spdlog::warn("event=job_record_skipped dir={} reason=\"{}\"", entry.path().string(),
                   std::string(snapshot.status().message()));
      continue;
    }
    job.snapshot = *std::move(snapshot);
    job.finished = job.finished && IsTerminal(job.snapshot.state);
    job.cancel_requested = fs::exists(entry.path() / "cancel_requested", error);
    found.push_back(std::move(job));
  }
  std::sort(found.begin(), found.end(),
            [](const StoredJob& a, const StoredJob& b) { return a.number < b.number; });
  return found;
}

}  // namespace strads::scheduler
