#include "scheduler_service/job_manager.h"

#include <algorithm>
#include <sstream>

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <utility>

#include "absl/strings/str_cat.h"
#include "apps/registry.h"
#include "core/user_text.h"
#include "spdlog/spdlog.h"

namespace strads::scheduler {
namespace {

constexpr int kMaxPriority = 1000;

int64_t NowUnixMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

// Forwards the engine's reports into the job's snapshot, and takes checkpoints between rounds.
class JobManager::Sink : public ProgressSink {
 public:
  Sink(JobManager* manager, Job* job, const core::SchedulerApp* app)
      : manager_(manager), job_(job), app_(app), last_checkpoint_(absl::Now()) {}

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
  void OnRoundBoundary(int64_t next_round, double seconds, bool interrupted) override {
    if (!app_->supports_checkpoints()) return;
    // A cancelled job needs no checkpoint; a job interrupted by a shutdown resumes from this one.
    if (interrupted ? job_->user_cancelled.load()
                    : absl::Now() - last_checkpoint_ < manager_->options_.checkpoint_interval) {
      return;
    }
    last_checkpoint_ = absl::Now();
    absl::Status status =
        manager_->store_.SaveCheckpoint(job_->snapshot.job_id, next_round, seconds, *app_);
    if (status.ok()) {
      spdlog::info("event=checkpoint job={} next_round={}", job_->snapshot.job_id, next_round);
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
  if (absl::Status status = app->validate(spec); !status.ok()) return status;
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("the scheduler is shutting down");
  auto job = std::make_unique<Job>();
  job->number = next_job_number_;
  job->snapshot.job_id = JobStore::JobId(next_job_number_);
  job->snapshot.spec = spec;
  job->snapshot.created_unix_ms = NowUnixMs();
  job->snapshot.message = "queued";
  job->snapshot.version = 1;
  // On disk before it is acknowledged: an accepted job survives a restart.
  if (absl::Status status = store_.SaveSubmitted(job->snapshot); !status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot record the job in the data directory: ", status.message()));
  }
  ++next_job_number_;
  std::string id = job->snapshot.job_id;
  spdlog::info("event=job_submitted job={} app={} data={} workers={} priority={}", id, spec.app,
               spec.data_path, spec.workers, spec.priority);
  queue_.push_back(job.get());
  jobs_.push_back(std::move(job));
  pool_->Wake();  // the dispatcher looks at the queue again
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
  bool was_queued = false;
  JobSnapshot cancelled;
  {
    absl::MutexLock lock(&mu_);
    Job* job = Find(job_id);
    if (job == nullptr) return absl::NotFoundError(absl::StrCat("no job '", job_id, "'"));
    if (IsTerminal(job->snapshot.state)) return job->snapshot;
    job->user_cancelled = true;
    job->interrupt = true;
    if (std::find(queue_.begin(), queue_.end(), job) != queue_.end()) {
      // Not started (queued, or waiting for its workers): it never held any.
      std::erase(queue_, job);
      job->snapshot.state = JobState::kCancelled;
      job->snapshot.message = "cancelled before it started";
      ++job->snapshot.version;
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
  absl::MutexLock lock(&mu_);
  Job* job = Find(job_id);
  if (job == nullptr) return absl::NotFoundError(absl::StrCat("no job '", job_id, "'"));
  auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return job->snapshot.version > after_version || stopping_;
  };
  mu_.AwaitWithDeadline(absl::Condition(&changed), deadline);
  return job->snapshot;
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
    // A finished job's data was allocated in its runner thread's malloc arena, which glibc keeps
    // once the thread is gone; a long-running scheduler gives that memory back to the system.
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
    absl::StatusOr<std::string> saved =
        store_.SaveResult(snapshot, with_model ? app.get() : nullptr);
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
  } else if (result->converged) {
    finish(JobState::kSucceeded, "converged", /*with_model=*/true);
  } else {
    finish(JobState::kSucceeded,
           absl::StrCat("stopped at ", result->stop_reason, " before reaching the tolerance"),
           /*with_model=*/true);
  }
}

void JobManager::LoadJobs() {
  std::vector<StoredJob> stored = store_.LoadAll();
  int requeued = 0;
  absl::MutexLock lock(&mu_);
  for (StoredJob& record : stored) {
    auto job = std::make_unique<Job>();
    job->snapshot = std::move(record.snapshot);
    job->snapshot.version = 1;
    job->number = record.number;
    next_job_number_ = std::max(next_job_number_, record.number + 1);
    if (!record.finished && record.cancel_requested) {
      // Cancelled while it ran, and the scheduler stopped before the job wound down.
      job->snapshot.state = JobState::kCancelled;
      job->snapshot.message = "cancelled (the scheduler restarted before the job wound down)";
      store_.SaveResult(job->snapshot, nullptr).IgnoreError();
    } else if (!record.finished) {
      job->snapshot.state = JobState::kQueued;
      job->snapshot.message = "queued again after a scheduler restart";
      queue_.push_back(job.get());
      ++requeued;
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
