// The seam between the STRADS services and an ML program ("app"). An app is three functions run
// in rounds:
//   Schedule (scheduler) - picks the variables of the next round and splits the work per worker;
//   Push     (worker)    - computes partial results of the update from the worker's shards alone;
//   Pull     (scheduler) - aggregates the partials, updates the model, and produces the cache
//                          update every worker applies before its next push.
// The services move only the plain numbers below; what they mean is the app's business, so a new
// app is added by implementing these two classes and registering them (apps/registry.h).
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/job_spec.h"
#include "core/thread_team.h"

namespace strads::core {

// App-defined numbers addressed by keys; `op` says what they mean. Reused across rounds: clear()
// keeps capacity, so steady-state rounds allocate nothing.
struct Payload {
  int32_t op = 0;
  std::vector<int64_t> keys;
  std::vector<double> values;

  void clear() {
    op = 0;
    keys.clear();
    values.clear();
  }
  bool empty() const { return keys.empty() && values.empty(); }
};

// What a worker reports for one round.
struct Partial {
  std::vector<double> values;
  double busy_seconds = 0;  // measured by the worker runtime around apply + push
  int64_t work_units = 0;   // app-defined cost, e.g. non-zeros touched
};

// A worker as the scheduler's app sees it when planning a round. Worker i of a round is always
// tasks[i] and partials[i].
struct WorkerView {
  // Unique within the job for each time a worker joins it: a new number is a worker that holds
  // nothing of the job but the shards it was just given (apps that keep per-worker state beyond
  // shards, e.g. rows moved to it, start that state over).
  uint64_t member = 0;
  std::vector<int> shards;       // shards this worker holds
  double last_busy_seconds = 0;  // from its previous partial
  int64_t last_work_units = 0;
};

struct RoundPlan {
  int64_t number = 0;
  // Pipelined rounds: how many earlier rounds will still be in flight (sent, not yet pulled) when
  // this one is sent. Its pushes then miss the cache updates of those rounds' Pulls: they see the
  // model as of `stale_by` Pulls before the one of this round. 0 without pipelining. Set by the
  // engine before Schedule.
  int stale_by = 0;
  std::vector<Payload> tasks;  // one per worker, in WorkerView order
};

// kStopped: the app ended the job at a limit of its own (e.g. its default round budget) without
// meeting its convergence test; the job still succeeds, and says so.
enum class RoundOutcome { kContinue, kConverged, kStopped };

struct Metric {
  std::string name;
  double value;
};

class SchedulerApp {
 public:
  virtual ~SchedulerApp() = default;

  // Reads and validates the job's data and parameters and cuts the data into `num_shards`
  // shards. Errors are for the user ("train.libsvm line 3: ...").
  virtual absl::Status Prepare(const JobSpec& spec, int num_shards) = 0;
  virtual int num_shards() const = 0;
  // The bytes a worker fetches to hold `shard`.
  virtual absl::StatusOr<std::string> ShardBytes(int shard) const = 0;
  // What a fresh holder of `shard` needs, on top of the shard's bytes, to bring its caches to the
  // current model (e.g. the non-zero coefficients, to rebuild residuals).
  virtual void ShardInit(int shard, Payload* init) const = 0;

  // True when Schedule for round t+1 may run before Pull of round t (it then sees the model as of
  // round t-1): the engine overlaps scheduling with the round in flight.
  virtual bool schedule_ahead() const = 0;
  // Pipelined rounds (the job's --pipeline depth): the most rounds this app allows in flight at
  // once. Above 1, the engine sends round t+k before Pull of round t (k < depth), each planned
  // just before it is sent, with RoundPlan::stale_by saying how stale its pushes will be; the app
  // must keep that safe (e.g. check a batch against the batches still in flight).
  virtual int max_pipeline_depth() const { return 1; }
  // With rounds in flight: true when round `number` must run alone, sent only after every
  // earlier round was pulled and followed by none before its own Pull (e.g. a round that
  // measures the exact model).
  virtual bool RoundRunsAlone(int64_t number) const { return false; }
  // Asked after every Pull: true when the rounds still in flight rest on a step that this Pull
  // undid. The engine then drops their replies and plans them again (the same round numbers).
  virtual bool TakeInFlightInvalidated() { return false; }
  // Rounds this app runs on top of the job's max_rounds budget, known after Prepare: rounds that
  // make no model update (e.g. MF with shared data: the index round that reads the data, and the
  // evaluation round that scores the final model), so --max-rounds N means N updates.
  virtual int64_t extra_rounds() const { return 0; }
  // Plans a round: plan->tasks gets one payload per worker (the engine has already resized it).
  virtual void Schedule(std::span<const WorkerView> workers, RoundPlan* plan) = 0;
  // Aggregates one partial per worker, updates the model, and fills the cache update all workers
  // apply before their next push. An error fails the job (e.g. divergence).
  virtual absl::StatusOr<RoundOutcome> Pull(const RoundPlan& plan,
                                            std::span<const Partial> partials,
                                            Payload* cache_update) = 0;

  // Current metrics for progress and the summary (objective, duality_gap, nnz, ...). Called at
  // most a few times per second, so it may allocate.
  virtual void Metrics(std::vector<Metric>* out) const = 0;
  // The model in the app's text format, loadable outside STRADS.
  virtual absl::Status WriteModel(std::ostream& out) const = 0;
  // Read after the last Pull: what the user should know about how the job ended, beyond its
  // stopping rule (e.g. that the data made the answer trivial); shown with the job's final
  // message. Empty for nothing.
  virtual std::string EndNote() const { return {}; }

  // Checkpoints let a restarted scheduler resume a job where it stopped. SaveCheckpoint is called
  // between rounds (after a Pull, before its cache update is sent) and writes what the app needs
  // to continue: the model and its counters. RestoreCheckpoint is called after Prepare on a fresh
  // app, before any shard is placed, so the workers' caches are rebuilt from the restored model
  // (ShardInit). An app without checkpoints keeps these defaults and restarts from scratch.
  virtual bool supports_checkpoints() const { return false; }
  virtual absl::Status SaveCheckpoint(std::ostream& out) const {
    return absl::UnimplementedError("this app does not checkpoint");
  }
  virtual absl::Status RestoreCheckpoint(std::istream& in) {
    return absl::UnimplementedError("this app does not checkpoint");
  }
};

class WorkerApp {
 public:
  virtual ~WorkerApp() = default;

  // Lends the app the worker's threads, before Configure. The team outlives the app and is used
  // only from the thread that calls the app. Apply and Push may split their loops over it, but
  // their results must be bit-identical whatever the team's size (sum partials in a fixed order).
  // An app that ignores it runs on the calling thread.
  virtual void UseThreads(ThreadTeam* team) {}
  // Takes the job's parameters (the same map the scheduler validated).
  virtual absl::Status Configure(const JobSpec& spec) = 0;
  // Starts holding `shard`: decodes its bytes and brings its caches to the model described by
  // `init` (from SchedulerApp::ShardInit).
  virtual absl::Status AddShard(int shard, std::string_view bytes, const Payload& init) = 0;
  virtual void DropShard(int shard) = 0;
  // Applies a cache update from Pull to every held shard.
  virtual absl::Status Apply(const Payload& update) = 0;
  // Computes this worker's partial for `task` over every held shard. `out->values` is cleared
  // and refilled; `out->work_units` is set.
  virtual absl::Status Push(const Payload& task, Partial* out) = 0;
};

}  // namespace strads::core
