// Runs an app's scheduler half with K worker halves in one process, with no network, in exactly
// the order the round engine uses: Prepare, shards placed with their ShardInit, then rounds of
// Schedule (round t+1 planned before Pull of round t when the app schedules ahead), every worker
// Apply(pending update) + Push, Pull. Generic over apps, for app tests.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/app.h"
#include "core/job_spec.h"

namespace strads::apps::testing {

struct InProcessOptions {
  int num_workers = 2;
  int shards_per_worker = 1;  // shard s goes to worker s % num_workers
  // Safety stop besides the app's own outcome and spec.max_rounds (0 = none).
  int64_t max_rounds = 0;
  // At this round (if >= 0), worker 0 is lost after the round's tasks went out (the others apply
  // theirs), and replaced by a fresh WorkerApp that gets its shards from ShardBytes + ShardInit
  // (which reflect the pending update); then the round is planned again and run, as the engine
  // does.
  int64_t replace_worker_at_round = -1;
  // When set, restored into the scheduler right after Prepare (as a resumed job), and the first
  // round is numbered `first_round`.
  std::optional<std::string> checkpoint;
  int64_t first_round = 0;
  // Called after Pull of every round with that round's plan and partials.
  std::function<void(const core::RoundPlan&, std::span<const core::Partial>)> on_round;
};

struct InProcessResult {
  int64_t rounds = 0;
  core::RoundOutcome outcome = core::RoundOutcome::kContinue;  // kContinue: stopped by a limit
  std::vector<core::Metric> metrics;

  // The named metric, or nullopt.
  std::optional<double> Metric(std::string_view name) const;
};

using WorkerAppFactory = std::function<std::unique_ptr<core::WorkerApp>()>;

// `scheduler` is used as is (not yet prepared); it can be inspected afterwards. The first error
// from any app call is returned.
absl::StatusOr<InProcessResult> RunInProcess(core::SchedulerApp& scheduler,
                                             const WorkerAppFactory& make_worker,
                                             const core::JobSpec& spec,
                                             const InProcessOptions& options = {});

}  // namespace strads::apps::testing
