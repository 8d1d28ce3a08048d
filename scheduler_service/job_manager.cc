#include "scheduler_service/job_manager.h"

#include <algorithm>
#include <sstream>
#include <utility>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/registry.h"
#include "core/user_text.h"
#include "spdlog/spdlog.h"

namespace strads::scheduler {
namespace {

constexpr int kMaxPriority = 1000;

int64_t NowUnixMs() { return absl::ToUnixMillis(absl::Now()); }

// Progress milestones worth a line in the job's log: rounds 1, 2, 5, 10, 20, 50, 100, ... The
// first milestone above `round`; progress comes at intervals, so a line is written for the first
// report at or past it.
int64_t NextMilestoneRound(int64_t round) {
  for (int64_t scale = 1;; scale *= 10) {
    for (int64_t step : {1, 2, 5}) {
      if (step * scale > round) return step * scale;
    }
  }
}

// Metrics shown on a milestone line, when the app reports them.
constexpr const char* kMilestoneMetrics[] = {"objective", "relative_gap", "nnz", "train_rmse",
                                             "test_rmse"};

// A user's job name: short, and safe in a table and a shell script.
absl::Status CheckJobName(const std::string& name) {
  if (name.size() > 63) {
    return absl::InvalidArgumentError(
        absl::StrCat("--name must be at most 63 characters, got ", name.size()));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return absl::InvalidArgumentError(absl::StrCat(
          "--name '", core::ValidUtf8(name), "': use letters, digits, '-', '_' and '.' only"));
    }
  }
  return absl::OkStatus();
}

std::string Plural(int64_t count, const char* one, const char* many) {
  return absl::StrCat(count, " ", count == 1 ? one : many);
}

// The metrics a job's convergence history keeps: those its app draws (apps::CurvesOf).
std::vector<core::Metric> CurveMetrics(const std::string& app,
                                       const std::vector<core::Metric>& metrics) {
  std::vector<core::Metric> kept;
  for (const apps::ConvergenceCurve& curve : apps::CurvesOf(app)) {
    for (const core::Metric& metric : metrics) {
      if (metric.name == curve.metric) kept.push_back(metric);
    }
  }
  return kept;
}

}  // namespace

// Forwards the engine's reports into the job's snapshot, and takes checkpoints between rounds.
class JobManager::Sink : public ProgressSink {
 public:
  Sink(JobManager* manager, Job* job, const core::SchedulerApp* app)
      : manager_(manager), job_(job), app_(app), last_checkpoint_(absl::Now()) {}

  void OnState(JobState state, const std::string& message) override {
    if (state != last_state_ || message != last_message_) {
      Event(job_, message.empty() ? std::string(JobStateName(state))
                                  : absl::StrCat(JobStateName(state), ": ", message));
      last_state_ = state;
      last_message_ = message;
    }
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
      s.history.Add(round, seconds, CurveMetrics(s.spec.app, metrics));
    });
    if (SchedulerObserver* observer = manager_->options_.engine.observer) {
      for (const core::Metric& metric : metrics) {
        if (metric.name != "updates") continue;
        const auto updates = static_cast<int64_t>(metric.value);
        // A resumed job counts from its checkpoint's total, which was counted before.
        if (last_updates_ >= 0 && updates > last_updates_) {
          observer->OnUpdates(job_->snapshot.spec.app, updates - last_updates_);
        }
        last_updates_ = updates;
      }
    }
    if (round >= NextMilestoneRound(last_milestone_)) {
      last_milestone_ = round;
      std::string line = absl::StrCat("round ", round, " after ", absl::StrFormat("%.2f", seconds),
                                      " s on ", Plural(live_workers, "worker", "workers"));
      for (const char* name : kMilestoneMetrics) {
        for (const core::Metric& metric : metrics) {
          if (metric.name == name) absl::StrAppend(&line, ", ", name, " ", metric.value);
        }
      }
      Event(job_, std::move(line));
    }
  }
  void OnEvent(const std::string& text) override { Event(job_, text); }
  void OnRoundBoundary(int64_t next_round, double seconds, bool interrupted) override {
    if (!app_->supports_checkpoints()) return;
    // A cancelled job needs no checkpoint; a job interrupted by a shutdown resumes from this one.
    if (interrupted ? job_->user_cancelled.load()
                    : absl::Now() - last_checkpoint_ < manager_->options_.checkpoint_interval) {
      return;
    }
    if (manager_->options_.before_checkpoint) manager_->options_.before_checkpoint(interrupted);
    last_checkpoint_ = absl::Now();
    absl::Status status =
        manager_->store_.SaveCheckpoint(job_->snapshot.job_id, next_round, seconds, *app_);
    if (SchedulerObserver* observer = manager_->options_.engine.observer; status.ok() && observer) {
      observer->OnCheckpoint(absl::ToDoubleSeconds(absl::Now() - last_checkpoint_));
    }
    if (status.ok()) {
      spdlog::info("event=checkpoint job={} next_round={}", job_->snapshot.job_id, next_round);
      Event(job_, absl::StrCat("checkpoint before round ", next_round,
                               interrupted ? " (scheduler shutting down)" : ""));
    } else {
      spdlog::warn("event=checkpoint_failed job={} error=\"{}\"", job_->snapshot.job_id,
                   std::string(status.message()));
    }
  }

 private:
  JobManager* manager_;
  Job* job_;
  const core::SchedulerApp* app_;
  absl::Time last_checkpoint_;
  JobState last_state_ = JobState::kQueued;
  std::string last_message_;
  int64_t last_milestone_ = 0;
  int64_t last_updates_ = -1;  // the app's "updates" total at the last report; -1 before one
};

JobManager::JobManager(WorkerPool* pool, ShardCatalogue* catalogue, JobManagerOptions options)
    : pool_(pool), catalogue_(catalogue), options_(std::move(options)), store_(options_.data_dir) {}

JobManager::~JobManager() { Stop(); }

absl::Status JobManager::Start() {
  if (absl::Status status = store_.Init(); !status.ok()) return status;
  if (!data_dir_lock_.has_value()) {
    absl::StatusOr<DataDirLock> lock = DataDirLock::Acquire(store_.data_dir());
    if (!lock.ok()) return lock.status();
    data_dir_lock_.emplace(*std::move(lock));
  }
  LoadJobs();
  ApplyRetention();
  dispatcher_ = std::thread([this] { DispatchLoop(); });
  return absl::OkStatus();
}

void JobManager::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& job : jobs_) {
      if (!IsTerminal(job->snapshot.state)) job->interrupt = true;
    }
  }
  pool_->Wake();
  if (dispatcher_.joinable()) dispatcher_.join();
  // The dispatcher is gone, so no runner starts any more; each running job checkpoints and ends.
  std::vector<std::unique_ptr<Runner>> runners;
  {
    absl::MutexLock lock(&mu_);
    runners.swap(runners_);
  }
  for (auto& runner : runners) runner->thread.join();
}

void JobManager::ReleaseDataDir() { data_dir_lock_.reset(); }

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
  // A file the app would never read is a mistake the user should hear of, not silently ignored.
  if (!spec.labels_path.empty() && app->inputs.labels_help.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", spec.app, " app reads no labels file (got '", spec.labels_path, "')"));
  }
  if (!spec.test_path.empty() && app->inputs.test_help.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", spec.app, " app reads no test file (got '", spec.test_path, "')"));
  }
  if (spec.workers < 1 || spec.workers > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("workers must be between 1 and 4096, got ", spec.workers));
  }
  if (spec.priority < -kMaxPriority || spec.priority > kMaxPriority) {
    return absl::InvalidArgumentError(absl::StrCat("priority must be between ", -kMaxPriority,
                                                   " and ", kMaxPriority, ", got ", spec.priority));
  }
  if (spec.max_rounds < 0 || spec.tolerance < 0 || spec.max_seconds < 0) {
    return absl::InvalidArgumentError("max_rounds, tolerance and max_seconds must be >= 0");
  }
  if (absl::Status status = CheckJobName(spec.name); !status.ok()) return status;
  if (absl::Status status = app->validate(spec); !status.ok()) return status;
  // The job's record names the depth it runs at, also when it took the app's default.
  absl::StatusOr<int> pipeline = apps::ResolvePipelineDepth(*app, spec);
  if (!pipeline.ok()) return pipeline.status();
  ApplyRetention();
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("the scheduler is shutting down");
  if (!spec.name.empty()) {
    for (const auto& other : jobs_) {
      if (other->snapshot.spec.name == spec.name && !IsTerminal(other->snapshot.state)) {
        return absl::AlreadyExistsError(absl::StrCat("a job named '", spec.name, "' is already ",
                                                     JobStateName(other->snapshot.state), ": ",
                                                     other->snapshot.job_id));
      }
    }
  }
  auto job = std::make_unique<Job>();
  job->number = next_job_number_;
  job->snapshot.job_id = JobStore::JobId(next_job_number_);
  job->snapshot.spec = spec;
  job->snapshot.spec.pipeline = *pipeline;
  job->snapshot.created_unix_ms = NowUnixMs();
  job->snapshot.message = "queued";
  job->snapshot.version = 1;
  job->log = std::make_shared<JobEventLog>(store_.EventLogPath(job->snapshot.job_id));
  // On disk before it is acknowledged: an accepted job survives a restart, and its id is never
  // issued again.
  absl::Status status = store_.SaveIssuedNumber(job->number);
  if (status.ok()) status = store_.SaveSubmitted(job->snapshot);
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot record the job in the data directory: ", status.message()));
  }
  ++next_job_number_;
  std::string id = job->snapshot.job_id;
  Event(job.get(), absl::StrCat("submitted: ", spec.app, " on ", spec.data_path, ", ",
                                Plural(spec.workers, "worker", "workers"),
                                *pipeline > 1 ? absl::StrCat(", pipeline ", *pipeline) : "",
                                spec.name.empty() ? "" : absl::StrCat(", name ", spec.name)));
  spdlog::info("event=job_submitted job={} app={} data={} workers={} priority={}", id, spec.app,
               spec.data_path, spec.workers, spec.priority);
  queue_.push_back(job.get());
  jobs_.push_back(std::move(job));
  pool_->Wake();  // the dispatcher looks at the queue again
  return id;
}

std::vector<JobSnapshot> JobManager::List(const JobListFilter& filter) const {
  std::vector<JobSnapshot> out;
  {
    absl::MutexLock lock(&mu_);
    out.reserve(jobs_.size());
    for (const auto& job : jobs_) {
      // Finished jobs hold no history in memory; running ones' is left out of the copy.
      out.push_back(job->snapshot);
      out.back().history = core::ConvergenceHistory(job->snapshot.history.max_points());
    }
  }
  return SelectJobs(std::move(out), filter);
}

int64_t JobManager::HistoryPointsInMemory() const {
  absl::MutexLock lock(&mu_);
  int64_t points = 0;
  for (const auto& job : jobs_) points += job->snapshot.history.Points().size();
  return points;
}

void JobManager::ReleaseHistoryLocked(Job* job) {
  job->snapshot.history = core::ConvergenceHistory(job->snapshot.history.max_points());
  job->history_on_disk = true;
}

JobSnapshot JobManager::WithStoredHistory(JobSnapshot snapshot) const {
  absl::StatusOr<core::ConvergenceHistory> history = store_.LoadHistory(snapshot.job_id);
  if (!history.ok()) {
    spdlog::warn("event=job_history_unreadable job={} error=\"{}\"", snapshot.job_id,
                 std::string(history.status().message()));
    return snapshot;
  }
  snapshot.history = *std::move(history);
  return snapshot;
}

absl::StatusOr<std::shared_ptr<const JobEventLog>> JobManager::Log(
    const std::string& job_id) const {
  absl::MutexLock lock(&mu_);
  Job* job = Find(job_id);
  if (job == nullptr) return absl::NotFoundError(absl::StrCat("no job '", job_id, "'"));
  return std::shared_ptr<const JobEventLog>(job->log);
}

std::unique_ptr<JobManager::Job> JobManager::TakeFinished(Job* job,
                                                          std::vector<std::string>* owned_uploads) {
  auto it = std::find_if(jobs_.begin(), jobs_.end(),
                         [job](const std::unique_ptr<Job>& j) { return j.get() == job; });
  std::unique_ptr<Job> taken = std::move(*it);
  jobs_.erase(it);
  // An upload is the job's own when no job left in the list reads it.
  const core::JobSpec& spec = taken->snapshot.spec;
  for (const std::string* path : {&spec.data_path, &spec.test_path, &spec.labels_path}) {
    if (path->empty()) continue;
    bool shared = std::any_of(jobs_.begin(), jobs_.end(), [&](const std::unique_ptr<Job>& j) {
      const core::JobSpec& other = j->snapshot.spec;
      return other.data_path == *path || other.test_path == *path || other.labels_path == *path;
    });
    if (!shared) owned_uploads->push_back(*path);
  }
  return taken;
}

void JobManager::RemoveFiles(std::unique_ptr<Job> job,
                             const std::vector<std::string>& owned_uploads,
                             std::vector<std::string>* removed) {
  job->log->Close();  // followers of the log stop
  absl::StatusOr<std::vector<std::string>> gone =
      store_.Delete(job->snapshot.job_id, owned_uploads);
  if (!gone.ok()) {
    spdlog::warn("event=job_delete_incomplete job={} error=\"{}\"", job->snapshot.job_id,
                 std::string(gone.status().message()));
    return;
  }
  removed->insert(removed->end(), gone->begin(), gone->end());
}

absl::StatusOr<std::vector<std::string>> JobManager::Delete(const std::string& job_id) {
  std::unique_ptr<Job> taken;
  std::vector<std::string> owned_uploads;
  {
    absl::MutexLock lock(&mu_);
    Job* job = Find(job_id);
    if (job == nullptr) return absl::NotFoundError(absl::StrCat("no job '", job_id, "'"));
    if (!IsTerminal(job->snapshot.state)) {
      return absl::FailedPreconditionError(
          absl::StrCat("job ", job_id, " is ", JobStateName(job->snapshot.state),
                       "; only a finished job can be deleted (strads cancel ", job_id, " first)"));
    }
    taken = TakeFinished(job, &owned_uploads);
  }
  std::vector<std::string> removed;
  RemoveFiles(std::move(taken), owned_uploads, &removed);
  spdlog::info("event=job_deleted job={} removed={}", job_id, removed.size());
  return removed;
}

void JobManager::ApplyRetention() {
  if (options_.retain_jobs <= 0 && options_.retain_for == absl::InfiniteDuration()) return;
  std::vector<std::pair<std::unique_ptr<Job>, std::vector<std::string>>> expired;
  {
    absl::MutexLock lock(&mu_);
    std::vector<Job*> finished;
    for (const auto& job : jobs_) {
      if (IsTerminal(job->snapshot.state)) finished.push_back(job.get());
    }
    // Oldest first: by when they ended (a record from before that was kept: when submitted).
    auto ended = [](const Job* job) {
      return job->snapshot.finished_unix_ms > 0 ? job->snapshot.finished_unix_ms
                                                : job->snapshot.created_unix_ms;
    };
    std::stable_sort(finished.begin(), finished.end(),
                     [&](const Job* a, const Job* b) { return ended(a) < ended(b); });
    const int64_t now_ms = NowUnixMs();
    size_t excess = options_.retain_jobs > 0 && finished.size() > size_t(options_.retain_jobs)
                        ? finished.size() - static_cast<size_t>(options_.retain_jobs)
                        : 0;
    for (size_t i = 0; i < finished.size(); ++i) {
      const bool too_old = options_.retain_for != absl::InfiniteDuration() &&
                           absl::Milliseconds(now_ms - ended(finished[i])) > options_.retain_for;
      if (i >= excess && !too_old) continue;
      std::vector<std::string> owned_uploads;
      expired.emplace_back(TakeFinished(finished[i], &owned_uploads), std::move(owned_uploads));
    }
  }
  for (auto& [job, owned_uploads] : expired) {
    const std::string id = job->snapshot.job_id;
    std::vector<std::string> removed;
    RemoveFiles(std::move(job), owned_uploads, &removed);
    spdlog::info("event=job_expired job={} removed={}", id, removed.size());
  }
}

absl::StatusOr<JobSnapshot> JobManager::Get(const std::string& job_id) const {
  JobSnapshot snapshot;
  {
    absl::MutexLock lock(&mu_);
    Job* job = Find(job_id);
    if (job == nullptr) return absl::NotFoundError(absl::StrCat("no job '", job_id, "'"));
    if (!job->history_on_disk) return job->snapshot;
    snapshot = job->snapshot;
  }
  return WithStoredHistory(std::move(snapshot));
}

absl::StatusOr<JobSnapshot> JobManager::Cancel(const std::string& job_id) {
  bool was_queued = false;
  JobSnapshot cancelled;
  {
    absl::MutexLock lock(&mu_);
    Job* job = Find(job_id);
    if (job == nullptr) return absl::NotFoundError(absl::StrCat("no job '", job_id, "'"));
    if (IsTerminal(job->snapshot.state)) return job->snapshot;
    job->user_cancelled = true;
    job->interrupt = true;
    Event(job, "cancel requested");
    if (std::find(queue_.begin(), queue_.end(), job) != queue_.end()) {
      // Not started (queued, or waiting for its workers): it never held any.
      std::erase(queue_, job);
      job->snapshot.state = JobState::kCancelled;
      job->snapshot.message = "cancelled before it started";
      job->snapshot.finished_unix_ms = NowUnixMs();
      ++job->snapshot.version;
      Event(job, "cancelled before it started");
      job->log->Close();
      was_queued = true;
      cancelled = job->snapshot;
    }
    spdlog::info("event=job_cancel_requested job={}", job_id);
  }
  if (was_queued) {
    store_.SaveCancelRequest(job_id).IgnoreError();
    store_.SaveResult(cancelled, nullptr).IgnoreError();
  } else if (absl::Status saved = store_.SaveCancelRequest(job_id); !saved.ok()) {
    spdlog::error("event=job_cancel_not_saved job={} error=\"{}\"", job_id,
                  std::string(saved.message()));
  }
  pool_->Wake();
  return Get(job_id);
}

absl::StatusOr<JobSnapshot> JobManager::AwaitChange(const std::string& job_id,
                                                    int64_t after_version,
                                                    absl::Time deadline) const {
  JobSnapshot snapshot;
  {
    absl::MutexLock lock(&mu_);
    if (Find(job_id) == nullptr) {
      return absl::NotFoundError(absl::StrCat("no job '", job_id, "'"));
    }
    // Found again on every check: a finished job may be deleted while this waits.
    auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      const Job* job = Find(job_id);
      return job == nullptr || job->snapshot.version > after_version || stopping_;
    };
    mu_.AwaitWithDeadline(absl::Condition(&changed), deadline);
    const Job* job = Find(job_id);
    if (job == nullptr) {
      return absl::NotFoundError(absl::StrCat("job '", job_id, "' was deleted"));
    }
    if (!job->history_on_disk) return job->snapshot;
    snapshot = job->snapshot;
  }
  return WithStoredHistory(std::move(snapshot));
}

void JobManager::DispatchLoop() {
  while (true) {
    // Read before deciding: any change after this (a worker freed, a job submitted or ended)
    // moves the epoch, so the wait below cannot miss it.
    const int64_t epoch = pool_->ChangeEpoch();
    std::vector<std::thread> finished;
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      finished = DispatchLocked();
      stop = stopping_;
    }
    for (std::thread& thread : finished) thread.join();
#ifdef __GLIBC__
    // A finished job's data is freed, but glibc keeps free pages inside its arenas (only the top
    // of the heap goes back by itself). Trimming after runners end is part of what brings the
    // scheduler's RSS back to its pre-load level; the rest is strads-scheduler's allocator setup
    // (allocator_settings.cc). Measured in docs/benchmarks.md, load-test section.
    if (!finished.empty()) malloc_trim(0);
#endif
    if (stop) return;
    pool_->AwaitChange(epoch, absl::InfiniteFuture());
  }
}

std::vector<std::thread> JobManager::DispatchLocked() {
  std::vector<std::thread> finished;
  for (auto it = runners_.begin(); it != runners_.end();) {
    if ((*it)->done) {
      finished.push_back(std::move((*it)->thread));
      it = runners_.erase(it);
    } else {
      ++it;
    }
  }
  if (stopping_ || queue_.empty()) return finished;

  std::vector<QueuedJob> queued;
  for (const Job* job : queue_) {
    queued.push_back({job->snapshot.spec.workers, job->snapshot.spec.priority, job->number,
                      job->backfill_passes});
  }
  const int idle = pool_->IdleCount();
  const int connected = pool_->ConnectedCount();
  DispatchPlan plan = PlanDispatch(queued, idle, connected, options_.max_backfill_passes);
  for (size_t i = 0; i < queue_.size(); ++i) queue_[i]->backfill_passes = queued[i].passed;

  std::vector<Job*> started;
  for (size_t index : plan.starts) {
    Job* job = queue_[index];
    std::vector<std::string> claimed =
        pool_->ClaimAll(job->snapshot.job_id, job->snapshot.spec.workers);
    // Empty when a running job short of workers took an idle one since the count: the rest
    // waits for the next change of the pool.
    if (claimed.empty()) break;
    spdlog::info("event=job_started job={} workers={} backfill_passes={}", job->snapshot.job_id,
                 claimed.size(), job->backfill_passes);
    SetWaitingLocked(job, JobState::kLoading, "loading data");
    auto runner = std::make_unique<Runner>();
    runner->job = job;
    Runner* raw = runner.get();
    runner->thread = std::thread([this, raw, claimed = std::move(claimed)]() mutable {
      RunJob(raw->job, std::move(claimed));
      {
        absl::MutexLock lock(&mu_);
        raw->done = true;
      }
      pool_->Wake();  // the dispatcher joins this thread
    });
    runners_.push_back(std::move(runner));
    started.push_back(job);
  }
  for (size_t i = 0; i < queue_.size(); ++i) {
    Job* job = queue_[i];
    if (std::find(started.begin(), started.end(), job) != started.end()) continue;
    const int wanted = job->snapshot.spec.workers;
    switch (plan.waits[i]) {
      case JobWait::kStarts:  // its claim lost a race; counted as waiting for workers
      case JobWait::kWorkers:
        SetWaitingLocked(job, JobState::kWaitingForWorkers,
                         absl::StrCat("waiting for workers: ", idle, " of ", wanted,
                                      " idle (it starts when all are free at once); ", connected,
                                      " connected to this scheduler"));
        break;
      case JobWait::kMoreThanConnected:
        SetWaitingLocked(job, JobState::kWaitingForWorkers,
                         absl::StrCat("waiting for workers: ", idle, " of ", wanted, " idle; ",
                                      connected, " connected to this scheduler"));
        break;
      case JobWait::kReserved: {
        const Job* blocker = queue_[plan.blocker[i]];
        SetWaitingLocked(job, JobState::kQueued,
                         absl::StrCat("queued behind ", blocker->snapshot.job_id,
                                      ", which waits for ", blocker->snapshot.spec.workers,
                                      " workers and has been passed as often as it may be"));
        break;
      }
    }
  }
  std::erase_if(queue_, [&](Job* job) {
    return std::find(started.begin(), started.end(), job) != started.end();
  });
  return finished;
}

void JobManager::SetWaitingLocked(Job* job, JobState state, std::string message) {
  if (job->snapshot.state == state && job->snapshot.message == message) return;
  job->snapshot.state = state;
  job->snapshot.message = std::move(message);
  ++job->snapshot.version;
}

EngineStart JobManager::Resume(Job* job, core::SchedulerApp* app) {
  const std::string& id = job->snapshot.job_id;
  if (!app->supports_checkpoints()) return {};
  absl::StatusOr<std::optional<StoredCheckpoint>> checkpoint = store_.LoadCheckpoint(id);
  if (!checkpoint.ok()) {
    spdlog::warn("event=checkpoint_unreadable job={} error=\"{}\"; starting over", id,
                 std::string(checkpoint.status().message()));
    return {};
  }
  if (!checkpoint->has_value()) return {};
  std::istringstream state((*checkpoint)->app_state);
  if (absl::Status status = app->RestoreCheckpoint(state); !status.ok()) {
    spdlog::warn("event=checkpoint_rejected job={} error=\"{}\"; starting over", id,
                 std::string(status.message()));
    return {};
  }
  spdlog::info("event=job_resumed job={} next_round={}", id, (*checkpoint)->next_round);
  Event(job, absl::StrCat("resumed from the checkpoint before round ", (*checkpoint)->next_round));
  return {(*checkpoint)->next_round, (*checkpoint)->seconds};
}

void JobManager::RunJob(Job* job, std::vector<std::string> claimed) {
  const core::JobSpec spec = job->snapshot.spec;
  const std::string id = job->snapshot.job_id;
  // Until the engine owns them: a job that fails while loading gives its workers back.
  auto release_claimed = [&] {
    for (const std::string& worker_id : claimed) pool_->Release(worker_id, id);
    claimed.clear();
  };
  Event(job, "loading data");  // the dispatcher set the state when it claimed the workers
  const apps::AppDefinition* definition = apps::FindApp(spec.app);
  std::unique_ptr<core::SchedulerApp> app = definition->make_scheduler_app();

  // The model and summary are on disk before the terminal state is published, so a client that
  // sees "succeeded" can always download the result.
  auto finish = [&](JobState state, std::string message, bool with_model) {
    // A message may quote a user's file or path; job records (protobuf, JSON) need valid UTF-8.
    message = core::ValidUtf8(message);
    absl::StatusOr<JobSnapshot> current = Get(id);
    JobSnapshot snapshot = current.ok() ? *current : job->snapshot;
    snapshot.state = state;
    snapshot.message = message;
    snapshot.finished_unix_ms = NowUnixMs();
    absl::StatusOr<std::string> saved =
        store_.SaveResult(snapshot, with_model ? app.get() : nullptr);
    if (!saved.ok()) {
      spdlog::error("event=job_save_failed job={} error=\"{}\"", id,
                    std::string(saved.status().message()));
    }
    // The final line is in the log before the terminal state is published, so a follower that
    // sees the job end has read everything.
    Event(job, absl::StrCat(JobStateName(state), ": ", message, " (",
                            Plural(snapshot.round, "round", "rounds"), ", ",
                            absl::StrFormat("%.2f", snapshot.seconds), " s)"));
    job->log->Close();
    Update(job, [&](JobSnapshot& s) {
      s.state = state;
      s.message = std::move(message);
      s.finished_unix_ms = snapshot.finished_unix_ms;
      if (saved.ok()) s.model_path = *saved;
    });
    if (saved.ok()) {  // the summary holds the history now; no round adds to it any more
      absl::MutexLock lock(&mu_);
      ReleaseHistoryLocked(job);
    }
    if (SchedulerObserver* observer = options_.engine.observer) {
      observer->OnJobFinished(spec.app, JobStateName(state));
    }
    spdlog::info("event=job_finished job={} state={} rounds={} seconds={:.3f} message=\"{}\"", id,
                 JobStateName(state), snapshot.round, snapshot.seconds, snapshot.message);
    // The job just ended is the newest finished one, so retention never takes it here.
    ApplyRetention();
  };

  const int num_shards = std::max(1, spec.workers);
  if (absl::Status status = app->Prepare(spec, num_shards); !status.ok()) {
    release_claimed();
    finish(JobState::kFailed, std::string(status.message()), /*with_model=*/false);
    return;
  }
  std::vector<std::shared_ptr<const std::string>> shards;
  for (int shard = 0; shard < app->num_shards(); ++shard) {
    absl::StatusOr<std::string> bytes = app->ShardBytes(shard);
    if (!bytes.ok()) {
      release_claimed();
      finish(JobState::kFailed, std::string(bytes.status().message()), /*with_model=*/false);
      return;
    }
    shards.push_back(std::make_shared<const std::string>(*std::move(bytes)));
  }
  const EngineStart start = Resume(job, app.get());
  catalogue_->Put(id, std::move(shards));

  Sink sink(this, job, app.get());
  RoundEngine engine(id, spec, app.get(), pool_, &job->interrupt, &sink, options_.engine, start);
  engine.AdoptWorkers(std::move(claimed));
  absl::StatusOr<EngineResult> result = engine.Run();
  catalogue_->Remove(id);
  if (job->interrupt.load() && !job->user_cancelled.load() && stopping()) {
    // Shut down, not cancelled: the job stays unfinished on disk and resumes at the next start.
    spdlog::info("event=job_interrupted job={} reason=shutdown", id);
    Event(job, "interrupted by a scheduler shutdown; it resumes when the scheduler starts again");
    return;
  }
  if (!result.ok()) {
    if (job->user_cancelled.load()) {
      finish(JobState::kCancelled, "cancelled", /*with_model=*/false);
    } else {
      finish(JobState::kFailed, std::string(result.status().message()), /*with_model=*/false);
    }
    return;
  }
  if (result->cancelled) {
    finish(JobState::kCancelled, absl::StrCat("cancelled after ", result->rounds, " rounds"),
           /*with_model=*/true);
  } else {
    std::string message = result->converged ? "converged"
                                            : absl::StrCat("stopped at ", result->stop_reason,
                                                           " before reaching the tolerance");
    if (const std::string note = app->EndNote(); !note.empty())
      absl::StrAppend(&message, ": ", note);
    finish(JobState::kSucceeded, message, /*with_model=*/true);
  }
}

void JobManager::LoadJobs() {
  std::vector<StoredJob> stored = store_.LoadAll();
  int requeued = 0;
  absl::MutexLock lock(&mu_);
  next_job_number_ = std::max(next_job_number_, store_.LoadIssuedNumber() + 1);
  for (StoredJob& record : stored) {
    auto job = std::make_unique<Job>();
    job->snapshot = std::move(record.snapshot);
    job->snapshot.version = 1;
    job->number = record.number;
    job->log = std::make_shared<JobEventLog>(store_.EventLogPath(job->snapshot.job_id));
    job->log->Load();
    next_job_number_ = std::max(next_job_number_, record.number + 1);
    if (!record.finished && record.cancel_requested) {
      // Cancelled while it ran, and the scheduler stopped before the job wound down.
      job->snapshot.state = JobState::kCancelled;
      job->snapshot.message = "cancelled (the scheduler restarted before the job wound down)";
      job->snapshot.finished_unix_ms = NowUnixMs();
      if (store_.SaveResult(job->snapshot, nullptr).ok()) ReleaseHistoryLocked(job.get());
      Event(job.get(), job->snapshot.message);
      job->log->Close();
    } else if (!record.finished) {
      job->snapshot.state = JobState::kQueued;
      job->snapshot.message = "queued again after a scheduler restart";
      Event(job.get(), job->snapshot.message);
      queue_.push_back(job.get());
      ++requeued;
    } else {
      job->log->Close();
      ReleaseHistoryLocked(job.get());  // read from its summary, which keeps it
    }
    jobs_.push_back(std::move(job));
  }
  if (!stored.empty()) {
    spdlog::info("event=jobs_loaded count={} requeued={}", stored.size(), requeued);
  }
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
