// Drives one job's rounds: claims workers, hands out shards, and then, round after round, sends
// every worker its task (with the previous round's cache update), waits for the partials and
// pulls them into the model. Scheduling of round t+1 overlaps round t when the app allows it;
// with a pipeline depth D > 1 (and an app that allows it), up to D rounds are in flight at once,
// refilled D/2 at a time with their tasks in one message per worker.
// A worker lost mid-job costs a repeated round, never correctness: its shards go to another
// worker, rebuilt from the scheduler's model, and the round is planned again.
// Owns: the job's worker list and shard placement. Runs on the job runner's thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/app.h"
#include "core/job_spec.h"
#include "core/limits.h"
#include "scheduler_service/job_snapshot.h"
#include "scheduler_service/scheduler_observer.h"
#include "scheduler_service/worker_pool.h"

namespace strads::scheduler {

struct EngineOptions {
  absl::Duration round_timeout = absl::Seconds(120);  // a worker this late counts as lost
  absl::Duration shard_timeout = absl::Seconds(300);  // fetching and decoding shards
  absl::Duration publish_interval = absl::Milliseconds(100);
  // A round whose task (with its cache update) would be larger fails the job with a clear
  // message instead of breaking the worker's stream.
  int64_t max_message_bytes = core::kMaxMessageBytes;
  // Counts rounds, their duration and worker drops for operators; may be null. Not owned.
  SchedulerObserver* observer = nullptr;
};

// Where a run starts: round 0, or the round after the last checkpoint of a resumed job.
struct EngineStart {
  int64_t first_round = 0;
  double seconds_before = 0;  // running time before the resume, added to reported seconds
};

struct EngineResult {
  int64_t rounds = 0;
  double seconds = 0;
  bool cancelled = false;
  bool converged = false;
  // "converged", "max_rounds", "max_seconds", "cancelled", "the app's round limit"
  std::string stop_reason;
};

class RoundEngine {
 public:
  // Everything passed must outlive the engine. `cancel` may be set from any thread; the caller
  // then calls pool->Wake().
  RoundEngine(std::string job_id, const core::JobSpec& spec, core::SchedulerApp* app,
              WorkerPool* pool, const std::atomic<bool>* cancel, ProgressSink* sink,
              EngineOptions options = {}, EngineStart start = {});

  // Hands the engine workers already claimed for this job (the dispatcher's gang claim), before
  // Run; Run then waits only for those it still lacks. They are released when Run ends.
  void AdoptWorkers(std::vector<std::string> claimed);

  absl::StatusOr<EngineResult> Run();

 private:
  // Claims workers until the job has `count`, waiting (and saying so) while there are too few.
  absl::Status AcquireWorkers(int count);
  // Gives every unplaced shard to a worker of the job and waits until all report ready.
  absl::Status PlaceShards();
  // Drops `worker_id` from the job after it was lost or was too late: its shards become unplaced
  // and an idle worker, if any, takes its place. Waits for a worker when none is left.
  absl::Status DropWorker(const std::string& worker_id, const std::string& why);
  // Keeps `worker_id` (still connected, but past `limit`, which the job's message will name) out
  // of this job from now on.
  void MarkLate(const std::string& worker_id, std::string limit);
  // After a loss left the job short of workers, brings in idle workers that have connected since
  // and moves shards to them (between rounds, after flushing the pending cache update).
  absl::Status RestoreCapacity();
  void ReleaseWorkers();
  // Appends a newly claimed worker to the job.
  void AddWorker(std::string worker_id);
  // A round sent and not yet pulled.
  struct InFlightRound {
    core::RoundPlan plan;
    int64_t sequence = 0;  // of its tasks
    absl::Time sent;       // for the round-duration metric
  };
  // Rounds in flight at most: the job's pipeline depth within what the app allows.
  int PipelineDepth() const;
  void PlanRound(int64_t number, core::RoundPlan* plan);
  // Queues for every worker the task of `plan` (null: apply-only) under `sequence`, carrying the
  // pending cache update, which it takes. Sends the queue first if the task would take a
  // message past the limit; returns, as SendQueued, a worker lost in that send, or "".
  std::string QueueTasks(int64_t sequence, const core::RoundPlan* plan);
  // Sends the queued tasks to every worker of the job, one message each, and empties the queue;
  // returns a worker whose stream has closed, or "".
  std::string SendQueued();
  // A bound on the wire size of one worker's share of the queue.
  int64_t QueuedWireBytes() const;
  static int64_t LargestTaskWireBytes(const core::RoundPlan& plan);
  // ResourceExhausted if a task of `plan` (with the pending cache update) is over the limit.
  absl::Status CheckMessageSizes(int64_t round, const core::RoundPlan& plan) const;
  void Publish(int64_t round, bool force);
  double Elapsed() const {
    return start_seconds_.seconds_before + absl::ToDoubleSeconds(absl::Now() - start_);
  }

  const std::string job_id_;
  const core::JobSpec& spec_;
  core::SchedulerApp* app_;
  WorkerPool* pool_;
  const std::atomic<bool>* cancel_;
  ProgressSink* sink_;
  EngineOptions options_;
  EngineStart start_seconds_;

  std::vector<std::string> workers_;  // this job's workers, in task order
  // Workers dropped for missing the round timeout while still connected: not claimed again for
  // this job, or a stuck or too slow worker would be dropped and re-claimed forever.
  absl::flat_hash_set<std::string> timed_out_;
  std::string last_timeout_;       // which limit the last of them missed, for the job's message
  std::vector<uint64_t> members_;  // their WorkerView::member numbers
  uint64_t next_member_ = 1;
  int64_t task_sequence_ = 0;             // numbers every task sent, so replies match their attempt
  std::vector<std::vector<int>> placed_;  // shards each worker holds
  std::vector<int> unplaced_;             // shards nobody holds
  std::vector<core::WorkerView> views_;
  std::vector<core::Partial> partials_;
  core::Payload pending_update_;  // from the last Pull, not yet queued
  // Tasks queued and not yet sent, oldest first: [0, queued_count_) are in use, the rest keep
  // their buffers. Plans are the ring's, which outlive the queue (it is sent before any wait).
  struct QueuedTasks {
    int64_t sequence = 0;
    const core::RoundPlan* plan = nullptr;  // null: apply-only
    core::Payload apply;
  };
  std::vector<QueuedTasks> queued_;
  size_t queued_count_ = 0;
  std::vector<OutgoingTask> outgoing_;  // one worker's share of the queue, being sent
  std::vector<core::Metric> metrics_;
  absl::Time start_;
  absl::Time last_publish_ = absl::InfinitePast();
};

}  // namespace strads::scheduler
