// The scheduler's job queue: accepts jobs, starts them concurrently, each on workers of its own
// (gang allocation, priority, bounded backfill: see dispatch_policy.h), runs each through a
// RoundEngine on a runner thread of its own, and publishes their progress to watchers. Through
// the JobStore every job is on disk from submission on: finished jobs keep their model and
// summary, and queued or running jobs are queued again when the scheduler restarts, running ones
// from their last checkpoint (taken every `checkpoint_interval`, and when the scheduler shuts
// down).
// Each job has an event log (JobEventLog) beside its files; finished jobs beyond the retention
// limits are deleted, oldest first, at start, on every submission and whenever a job ends.
// A finished job's convergence history (up to 256 points of metrics, tens of KiB for a long job)
// stays in its summary on disk and is read back when one job is asked for (Get, AwaitChange):
// what a scheduler keeps per finished job is the record a listing shows, so its memory grows by
// a few KiB per job kept, not by each job's curve.
// Owns: all job records. Threads: public methods may be called from any thread; the dispatcher
// thread starts jobs (claims their workers) and joins finished runners; a job's runner thread is
// the only one that runs its app.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/job_spec.h"
#include "scheduler_service/data_dir_lock.h"
#include "scheduler_service/dispatch_policy.h"
#include "scheduler_service/job_event_log.h"
#include "scheduler_service/job_snapshot.h"
#include "scheduler_service/job_store.h"
#include "scheduler_service/round_engine.h"
#include "scheduler_service/shard_catalogue.h"
#include "scheduler_service/worker_pool.h"

namespace strads::scheduler {

struct JobManagerOptions {
  std::string data_dir = "strads-data";
  EngineOptions engine;
  absl::Duration checkpoint_interval = absl::Seconds(30);
  // How many later jobs may start ahead of a job that waits for workers (see dispatch_policy.h).
  int max_backfill_passes = kDefaultMaxBackfillPasses;
  // Finished jobs kept: at most `retain_jobs` (0 = no limit), none that ended longer than
  // `retain_for` ago (absl::InfiniteDuration() = no limit).
  int retain_jobs = 0;
  absl::Duration retain_for = absl::InfiniteDuration();
  // Test-only: called on the job's runner thread before each checkpoint is written
  // (`interrupted`: the one a shutdown takes), so a test can hold the scheduler mid-drain.
  std::function<void(bool interrupted)> before_checkpoint;
};

class JobManager {
 public:
  JobManager(WorkerPool* pool, ShardCatalogue* catalogue, JobManagerOptions options);
  ~JobManager();

  // Loads the jobs of the data directory (finished ones for listing, unfinished ones queued
  // again) and starts the dispatcher thread.
  absl::Status Start();
  // Interrupts every running job (checkpointing each, so the next start resumes it), stops the
  // dispatcher and joins it and every runner. Idempotent.
  void Stop();
  // Lets another scheduler take the data directory. Call after Stop, once nothing (no RPC
  // either) can write to the directory any more; until then a second scheduler is refused.
  void ReleaseDataDir();

  // Validates the spec with its app (InvalidArgument / NotFound for the user) and queues it.
  // Refuses (AlreadyExists) a spec whose name is used by a queued or running job.
  absl::StatusOr<std::string> Submit(const core::JobSpec& spec);
  // Without their convergence histories (the listing shows none).
  std::vector<JobSnapshot> List(const JobListFilter& filter = {}) const;
  // With its convergence history (read from the job's summary once it has ended).
  absl::StatusOr<JobSnapshot> Get(const std::string& job_id) const;
  // Cancels a queued or running job; a finished job is returned unchanged.
  absl::StatusOr<JobSnapshot> Cancel(const std::string& job_id);
  // Removes a finished job and its files (model, checkpoint, log, the uploads no other job
  // names); FailedPrecondition for a job that has not ended. Returns the paths removed.
  absl::StatusOr<std::vector<std::string>> Delete(const std::string& job_id);
  // The job's event log, to read or follow.
  absl::StatusOr<std::shared_ptr<const JobEventLog>> Log(const std::string& job_id) const;
  // Returns once the job's version passes `after_version`, it is terminal, or the deadline passes.
  // With its convergence history, as Get.
  absl::StatusOr<JobSnapshot> AwaitChange(const std::string& job_id, int64_t after_version,
                                          absl::Time deadline) const;
  // Convergence points held in memory over all jobs (those of running jobs; finished jobs' are on
  // disk). For tests and diagnostics.
  int64_t HistoryPointsInMemory() const;

 private:
  struct Job {
    JobSnapshot snapshot;
    int64_t number = 0;                       // submission order (the N of job-N)
    int backfill_passes = 0;                  // guarded by mu_; see dispatch_policy.h
    std::atomic<bool> interrupt{false};       // stops the engine: cancel or shutdown
    std::atomic<bool> user_cancelled{false};  // a cancel, as opposed to a shutdown
    std::shared_ptr<JobEventLog> log;         // set at creation, never replaced
    // Guarded by mu_: the snapshot's history was dropped from memory; the summary has it.
    bool history_on_disk = false;
  };
  struct Runner {
    Job* job = nullptr;
    std::thread thread;
    bool done = false;  // set by the runner as its last step; then it may be joined
  };
  class Sink;

  void DispatchLoop();
  // Starts every queued job the policy lets start (claiming its workers), and says in the
  // others' status why they wait. Returns the runners that have finished, to be joined.
  std::vector<std::thread> DispatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs a job on the workers claimed for it; releases them when it ends.
  void RunJob(Job* job, std::vector<std::string> claimed);
  void SetWaitingLocked(Job* job, JobState state, std::string message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Restores the app from the job's checkpoint, if it has one; returns where to start.
  EngineStart Resume(Job* job, core::SchedulerApp* app);
  void LoadJobs();
  // Logs `text` in the job's event log.
  static void Event(Job* job, std::string text) { job->log->Append(std::move(text)); }
  // Deletes the finished jobs beyond the retention limits, oldest first.
  void ApplyRetention();
  // Takes a finished job out of the list; returns it, with the uploads only it used.
  std::unique_ptr<Job> TakeFinished(Job* job, std::vector<std::string>* owned_uploads)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveFiles(std::unique_ptr<Job> job, const std::vector<std::string>& owned_uploads,
                   std::vector<std::string>* removed);
  bool stopping() const {
    absl::MutexLock lock(&mu_);
    return stopping_;
  }
  void Update(Job* job, const std::function<void(JobSnapshot&)>& change);
  // Drops a finished job's history from memory, once its summary (which holds it) is written.
  void ReleaseHistoryLocked(Job* job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `snapshot` of a job whose history is on disk, with that history (without one, and a warning
  // in the log, when the summary cannot be read). Reads a file: call without holding mu_.
  JobSnapshot WithStoredHistory(JobSnapshot snapshot) const;
  Job* Find(const std::string& job_id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  WorkerPool* pool_;
  ShardCatalogue* catalogue_;
  JobManagerOptions options_;
  JobStore store_;
  std::optional<DataDirLock> data_dir_lock_;  // held from Start to ReleaseDataDir

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Job>> jobs_ ABSL_GUARDED_BY(mu_);  // in submission order
  std::vector<Job*> queue_ ABSL_GUARDED_BY(mu_);  // not started yet, in submission order
  std::vector<std::unique_ptr<Runner>> runners_ ABSL_GUARDED_BY(mu_);  // started, not joined
  int64_t next_job_number_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread dispatcher_;
};

}  // namespace strads::scheduler
