#include "apps/testing/in_process_driver.h"

#include <chrono>
#include <sstream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strads::apps::testing {
namespace {

absl::Status LoadShards(const core::SchedulerApp& scheduler, const core::JobSpec& spec,
                        core::WorkerApp& worker, const std::vector<int>& shards) {
  if (absl::Status status = worker.Configure(spec); !status.ok()) return status;
  core::Payload init;
  for (int shard : shards) {
    absl::StatusOr<std::string> bytes = scheduler.ShardBytes(shard);
    if (!bytes.ok()) return bytes.status();
    scheduler.ShardInit(shard, &init);
    if (absl::Status status = worker.AddShard(shard, *bytes, init); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<double> InProcessResult::Metric(std::string_view name) const {
  for (const core::Metric& metric : metrics) {
    if (metric.name == name) return metric.value;
  }
  return std::nullopt;
}

absl::StatusOr<InProcessResult> RunInProcess(core::SchedulerApp& scheduler,
                                             const WorkerAppFactory& make_worker,
                                             const core::JobSpec& spec,
                                             const InProcessOptions& options) {
  const int k = options.num_workers;
  if (k < 1 || options.shards_per_worker < 1) {
    return absl::InvalidArgumentError(absl::StrCat("need >= 1 worker and shard per worker, got ", k,
                                                   " and ", options.shards_per_worker));
  }
  if (absl::Status status = scheduler.Prepare(spec, k * options.shards_per_worker); !status.ok()) {
    return status;
  }
  if (options.checkpoint.has_value()) {
    std::istringstream state(*options.checkpoint);
    if (absl::Status status = scheduler.RestoreCheckpoint(state); !status.ok()) return status;
  }
  std::vector<core::WorkerView> views(k);
  uint64_t next_member = 1;
  for (core::WorkerView& view : views) view.member = next_member++;
  for (int shard = 0; shard < scheduler.num_shards(); ++shard) {
    views[shard % k].shards.push_back(shard);
  }
  std::vector<std::unique_ptr<core::WorkerApp>> workers;
  for (int w = 0; w < k; ++w) {
    workers.push_back(make_worker());
    if (absl::Status status = LoadShards(scheduler, spec, *workers[w], views[w].shards);
        !status.ok()) {
      return status;
    }
  }

  const bool ahead = scheduler.schedule_ahead();
  auto plan_round = [&](int64_t number, core::RoundPlan* plan) {
    plan->number = number;
    plan->tasks.resize(k);
    for (core::Payload& task : plan->tasks) task.clear();
    scheduler.Schedule(views, plan);
  };
  core::RoundPlan plan;
  core::RoundPlan next;
  core::Payload pending;
  std::vector<core::Partial> partials(k);
  InProcessResult result;
  int64_t round = options.first_round;
  plan_round(round, &plan);
  while (true) {
    if (round == options.replace_worker_at_round) {
      // As in the engine, the loss is noticed after the round's tasks went out: the survivors
      // have applied the pending update and their tasks (whose partials are then discarded).
      for (int w = 1; w < k; ++w) {
        if (absl::Status status = workers[w]->Apply(pending); !status.ok()) return status;
        if (absl::Status status = workers[w]->Push(plan.tasks[w], &partials[w]); !status.ok()) {
          return status;
        }
      }
      pending.clear();
      workers[0] = make_worker();
      views[0].member = next_member++;
      if (absl::Status status = LoadShards(scheduler, spec, *workers[0], views[0].shards);
          !status.ok()) {
        return status;
      }
      plan_round(round, &plan);  // as the engine does: the round is planned again
    }
    for (int w = 0; w < k; ++w) {
      const auto start = std::chrono::steady_clock::now();
      if (absl::Status status = workers[w]->Apply(pending); !status.ok()) return status;
      if (absl::Status status = workers[w]->Push(plan.tasks[w], &partials[w]); !status.ok()) {
        return status;
      }
      partials[w].busy_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    pending.clear();
    if (ahead) plan_round(round + 1, &next);
    absl::StatusOr<core::RoundOutcome> outcome = scheduler.Pull(plan, partials, &pending);
    if (!outcome.ok()) return outcome.status();
    for (int w = 0; w < k; ++w) {
      views[w].last_busy_seconds = partials[w].busy_seconds;
      views[w].last_work_units = partials[w].work_units;
    }
    if (options.on_round) options.on_round(plan, partials);
    ++round;
    if (*outcome != core::RoundOutcome::kContinue) {
      result.outcome = *outcome;
      break;
    }
    if ((spec.max_rounds > 0 && round >= spec.max_rounds + scheduler.extra_rounds()) ||
        (options.max_rounds > 0 && round >= options.max_rounds)) {
      break;
    }
    if (ahead) {
      std::swap(plan, next);
    } else {
      plan_round(round, &plan);
    }
  }
  result.rounds = round;
  scheduler.Metrics(&result.metrics);
  return result;
}

}  // namespace strads::apps::testing
