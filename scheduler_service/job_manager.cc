#include "scheduler_service/job_manager.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "apps/registry.h"
#include "scheduler_service/job_record_json.h"
#include "spdlog/spdlog.h"

namespace strads::scheduler {
namespace fs = std::filesystem;

namespace {

constexpr char kJobPrefix[] = "job-";

int64_t NowUnixMs() { return absl::ToUnixMillis(absl::Now()); }

// Writes `text` to `path` through a temporary file and a rename, so readers never see half a file.
absl::Status WriteFileAtomically(const fs::path& path, const std::string& text) {
  fs::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return absl::InternalError(absl::StrCat("cannot write '", temporary.string(), "'"));
    out << text;
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

}  // namespace

// Forwards the engine's reports into the job's snapshot.
class JobManager::Sink : public ProgressSink {
 public:
  Sink(JobManager* manager, Job* job) : manager_(manager), job_(job) {}
  void OnState(JobState state, const std::string& message) override {
    manager_->Update(job_, [&](JobSnapshot& s) {
      s.state = state;
      s.message = message;
    });
  }
  void OnProgress(int64_t round, double seconds, const std::vector<core::Metric>& metrics,
                  int live_workers) override {
    manager_->Update(job_, [&](JobSnapshot& s) {
      s.round = round;
      s.seconds = seconds;
      s.live_workers = live_workers;
      for (const core::Metric& metric : metrics) s.metrics[metric.name] = metric.value;
    });
  }

 private:
  JobManager* manager_;
  Job* job_;
};

JobManager::JobManager(WorkerPool* pool, ShardCatalogue* catalogue, JobManagerOptions options)
    : pool_(pool), catalogue_(catalogue), options_(std::move(options)) {}

JobManager::~JobManager() { Stop(); }

absl::Status JobManager::Start() {
  std::error_code error;
  fs::create_directories(fs::path(options_.data_dir) / "jobs", error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory '", options_.data_dir, "': ", error.message()));
  }
  if (absl::Status status = LoadFinishedJobs(); !status.ok()) return status;
  runner_ = std::thread([this] { RunnerLoop(); });
  return absl::OkStatus();
}

void JobManager::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !runner_.joinable()) return;
    stopping_ = true;
    for (auto& job : jobs_) {
      if (!IsTerminal(job->snapshot.state)) job->cancel = true;
    }
  }
  pool_->Wake();
  if (runner_.joinable()) runner_.join();
}

absl::StatusOr<std::string> JobManager::Submit(const core::JobSpec& spec) {
  const apps::AppDefinition* app = apps::FindApp(spec.app);
  if (app == nullptr) {
    std::string known;
    for (std::string_view name : apps::AppNames()) {
      absl::StrAppend(&known, known.empty() ? "" : ", ", std::string(name));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown app '", spec.app, "'; known apps: ", known));
  }
  if (spec.workers < 1 || spec.workers > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("workers must be between 1 and 4096, got ", spec.workers));
  }
  if (spec.max_rounds < 0 || spec.tolerance < 0 || spec.max_seconds < 0) {
    return absl::InvalidArgumentError("max_rounds, tolerance and max_seconds must be >= 0");
  }
  if (absl::Status status = app->validate(spec); !status.ok()) return status;
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("the scheduler is shutting down");
  auto job = std::make_unique<Job>();
  job->snapshot.job_id = absl::StrCat(kJobPrefix, next_job_number_++);
  job->snapshot.spec = spec;
  job->snapshot.created_unix_ms = NowUnixMs();
  job->snapshot.message = "queued";
  job->snapshot.version = 1;
  std::string id = job->snapshot.job_id;
  spdlog::info("event=job_submitted job={} app={} data={} workers={}", id, spec.app, spec.data_path,
               spec.workers);
  queue_.push_back(job.get());
  jobs_.push_back(std::move(job));
  return id;
}

std::vector<JobSnapshot> JobManager::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<JobSnapshot> out;
  for (const auto& job : jobs_) out.push_back(job->snapshot);
  return out;
}

absl::StatusOr<JobSnapshot> JobManager::Get(const std::string& job_id) const {
  absl::MutexLock lock(&mu_);
  Job* job = Find(job_id);
  if (job == nullptr) return absl::NotFoundError(absl::StrCat("no job '", job_id, "'"));
  return job->snapshot;
}

absl::StatusOr<JobSnapshot> JobManager::Cancel(const std::string& job_id) {
  {
    absl::MutexLock lock(&mu_);
    Job* job = Find(job_id);
    if (job == nullptr) return absl::NotFoundError(absl::StrCat("no job '", job_id, "'"));
    if (IsTerminal(job->snapshot.state)) return job->snapshot;
    job->cancel = true;
    if (job->snapshot.state == JobState::kQueued) {
      std::erase(queue_, job);
      job->snapshot.state = JobState::kCancelled;
      job->snapshot.message = "cancelled before it started";
      ++job->snapshot.version;
    }
    spdlog::info("event=job_cancel_requested job={}", job_id);
  }
  pool_->Wake();
  return Get(job_id);
}

absl::StatusOr<JobSnapshot> JobManager::AwaitChange(const std::string& job_id,
                                                    int64_t after_version,
                                                    absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  Job* job = Find(job_id);
  if (job == nullptr) return absl::NotFoundError(absl::StrCat("no job '", job_id, "'"));
  auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return job->snapshot.version > after_version || stopping_;
  };
  mu_.AwaitWithDeadline(absl::Condition(&changed), deadline);
  return job->snapshot;
}

void JobManager::RunnerLoop() {
  while (true) {
    Job* job = nullptr;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      job = queue_.front();
      queue_.pop_front();
    }
    RunJob(job);
  }
}

void JobManager::RunJob(Job* job) {
  const core::JobSpec spec = job->snapshot.spec;
  const std::string id = job->snapshot.job_id;
  Update(job, [](JobSnapshot& s) {
    s.state = JobState::kLoading;
    s.message = "loading data";
  });
  const apps::AppDefinition* definition = apps::FindApp(spec.app);
  std::unique_ptr<core::SchedulerApp> app = definition->make_scheduler_app();

  // The model and summary are on disk before the terminal state is published, so a client that
  // sees "succeeded" can always download the result.
  auto finish = [&](JobState state, std::string message) {
    absl::StatusOr<JobSnapshot> current = Get(id);
    JobSnapshot snapshot = current.ok() ? *current : job->snapshot;
    snapshot.state = state;
    snapshot.message = message;
    absl::StatusOr<std::string> saved = SaveResult(snapshot, app.get());
    if (!saved.ok()) {
      spdlog::error("event=job_save_failed job={} error=\"{}\"", id,
                    std::string(saved.status().message()));
    }
    Update(job, [&](JobSnapshot& s) {
      s.state = state;
      s.message = std::move(message);
      if (saved.ok()) s.model_path = *saved;
    });
    spdlog::info("event=job_finished job={} state={} rounds={} seconds={:.3f} message=\"{}\"", id,
                 JobStateName(state), snapshot.round, snapshot.seconds, snapshot.message);
  };

  const int num_shards = std::max(1, spec.workers);
  if (absl::Status status = app->Prepare(spec, num_shards); !status.ok()) {
    app.reset();
    finish(JobState::kFailed, std::string(status.message()));
    return;
  }
  std::vector<std::shared_ptr<const std::string>> shards;
  for (int shard = 0; shard < app->num_shards(); ++shard) {
    absl::StatusOr<std::string> bytes = app->ShardBytes(shard);
    if (!bytes.ok()) {
      app.reset();
      finish(JobState::kFailed, std::string(bytes.status().message()));
      return;
    }
    shards.push_back(std::make_shared<const std::string>(*std::move(bytes)));
  }
  catalogue_->Put(id, std::move(shards));

  Sink sink(this, job);
  RoundEngine engine(id, spec, app.get(), pool_, &job->cancel, &sink, options_.engine);
  absl::StatusOr<EngineResult> result = engine.Run();
  catalogue_->Remove(id);
  if (!result.ok()) {
    if (job->cancel.load()) {
      finish(JobState::kCancelled, "cancelled");
    } else {
      finish(JobState::kFailed, std::string(result.status().message()));
    }
    return;
  }
  if (result->cancelled) {
    finish(JobState::kCancelled, absl::StrCat("cancelled after ", result->rounds, " rounds"));
  } else if (result->converged) {
    finish(JobState::kSucceeded, "converged");
  } else {
    finish(JobState::kSucceeded,
           absl::StrCat("stopped at ", result->stop_reason, " before reaching the tolerance"));
  }
}

absl::StatusOr<std::string> JobManager::SaveResult(const JobSnapshot& snapshot,
                                                   const core::SchedulerApp* app) const {
  fs::path dir = fs::path(options_.data_dir) / "jobs" / snapshot.job_id;
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create '", dir.string(), "': ", error.message()));
  }
  std::string model_path = snapshot.model_path;
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
  if (absl::Status status =
          WriteFileAtomically(dir / "summary.json", SnapshotToJson(saved).dump(2) + "\n");
      !status.ok()) {
    return status;
  }
  return model_path;
}

absl::Status JobManager::LoadFinishedJobs() {
  fs::path jobs_dir = fs::path(options_.data_dir) / "jobs";
  std::vector<std::pair<int64_t, JobSnapshot>> found;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(jobs_dir, error)) {
    const std::string name = entry.path().filename().string();
    int64_t number = 0;
    if (!absl::StartsWith(name, kJobPrefix)) continue;
    const char* digits = name.data() + sizeof(kJobPrefix) - 1;
    if (std::from_chars(digits, name.data() + name.size(), number).ec != std::errc()) continue;
    std::ifstream in(entry.path() / "summary.json");
    if (!in) continue;
    nlohmann::json json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    absl::StatusOr<JobSnapshot> snapshot =
        json.is_discarded() ? absl::DataLossError("not JSON") : SnapshotFromJson(json);
    if (!snapshot.ok() || !IsTerminal(snapshot->state)) {
      spdlog::warn(
          "event=job_record_skipped dir={} reason=\"{}\"", entry.path().string(),
          snapshot.ok() ? std::string("not finished") : std::string(snapshot.status().message()));
      continue;
    }
    found.emplace_back(number, *std::move(snapshot));
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  absl::MutexLock lock(&mu_);
  for (auto& [number, snapshot] : found) {
    auto job = std::make_unique<Job>();
    job->snapshot = std::move(snapshot);
    job->snapshot.version = 1;
    jobs_.push_back(std::move(job));
    next_job_number_ = std::max(next_job_number_, number + 1);
  }
  if (!found.empty()) spdlog::info("event=jobs_loaded count={}", found.size());
  return absl::OkStatus();
}

void JobManager::Update(Job* job, const std::function<void(JobSnapshot&)>& change) {
  absl::MutexLock lock(&mu_);
  change(job->snapshot);
  ++job->snapshot.version;
}

JobManager::Job* JobManager::Find(const std::string& job_id) const {
  for (const auto& job : jobs_) {
    if (job->snapshot.job_id == job_id) return job.get();
  }
  return nullptr;
}

}  // namespace strads::scheduler
