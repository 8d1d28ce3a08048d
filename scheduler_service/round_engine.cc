#include "scheduler_service/round_engine.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "scheduler_service/job_event_log.h"
#include "spdlog/spdlog.h"

namespace strads::scheduler {

RoundEngine::RoundEngine(std::string job_id, const core::JobSpec& spec, core::SchedulerApp* app,
                         WorkerPool* pool, const std::atomic<bool>* cancel, ProgressSink* sink,
                         EngineOptions options, EngineStart start)
    : job_id_(std::move(job_id)),
      spec_(spec),
      app_(app),
      pool_(pool),
      cancel_(cancel),
      sink_(sink),
      options_(options),
      start_seconds_(start) {}

absl::StatusOr<EngineResult> RoundEngine::Run() {
  absl::Cleanup release = [this] { ReleaseWorkers(); };
  for (int shard = 0; shard < app_->num_shards(); ++shard) unplaced_.push_back(shard);
  if (absl::Status status = AcquireWorkers(std::max(1, spec_.workers)); !status.ok()) {
    return status;
  }
  if (absl::Status status = PlaceShards(); !status.ok()) return status;
  sink_->OnState(JobState::kRunning, "");
  start_ = absl::Now();

  EngineResult result;
  const int depth = PipelineDepth();
  const int batch = std::max(1, depth / 2);
  // Without pipelining, round t+1 is planned while round t is in flight and sent after its Pull.
  const bool schedule_ahead = depth == 1 && app_->schedule_ahead();
  // The rounds in flight, oldest first, in a ring of `depth` slots whose plans are reused.
  std::vector<InFlightRound> ring(static_cast<size_t>(depth));
  size_t head = 0;
  int in_flight = 0;
  core::RoundPlan ahead;
  bool have_ahead = false;
  bool restore_wanted = false;
  int64_t round = start_seconds_.first_round;  // the next round to pull
  int64_t next = round;                        // the next round to send
  while (true) {
    if (cancel_->load()) {
      result.cancelled = true;
      result.stop_reason = "cancelled";
      sink_->OnRoundBoundary(round, Elapsed(), /*interrupted=*/true);
      break;
    }
    if (spec_.max_seconds > 0 && Elapsed() >= spec_.max_seconds) {
      result.stop_reason = "max_seconds";
      break;
    }
    // Fill the pipeline once `batch` slots are free, so that the tasks of `batch` consecutive
    // rounds go to each worker in one message (and come back in one): at depth D the rounds in
    // flight alternate between two such batches, one computed while the other travels. Every live
    // worker gets each task and the pending cache update, even if an earlier send failed, so the
    // survivors stay consistent with the model.
    std::string lost;
    auto note_lost = [&lost](std::string worker) {
      if (lost.empty()) lost = std::move(worker);
    };
    if (depth - in_flight >= batch) {
      int queued = 0;
      while (lost.empty() && in_flight < depth) {
        if (in_flight > 0) {
          if (restore_wanted || app_->RoundRunsAlone(next)) break;
          if (app_->RoundRunsAlone(ring[(head + in_flight - 1) % depth].plan.number)) break;
          if (spec_.max_rounds > 0 && next >= spec_.max_rounds + app_->extra_rounds()) break;
        }
        InFlightRound& slot = ring[(head + in_flight) % depth];
        if (have_ahead && ahead.number == next) {
          std::swap(slot.plan, ahead);
        } else {
          slot.plan.stale_by = in_flight;
          PlanRound(next, &slot.plan);
        }
        have_ahead = false;
        if (absl::Status status = CheckMessageSizes(next, slot.plan); !status.ok()) return status;
        slot.sequence = ++task_sequence_;
        slot.sent = absl::Now();
        if (in_flight == 0) {
          pool_->ExpectReplies(workers_, slot.sequence);
        } else {
          pool_->ExpectAnotherReply(workers_, slot.sequence);
        }
        note_lost(QueueTasks(slot.sequence, &slot.plan));
        ++in_flight;
        ++next;
        if (++queued % batch == 0) note_lost(SendQueued());
      }
      note_lost(SendQueued());  // even after a loss, so that the survivors see every update
    }
    InFlightRound& oldest = ring[head];
    WorkerPool::WaitOutcome outcome;
    if (lost.empty()) {
      if (schedule_ahead) {
        ahead.stale_by = 0;
        PlanRound(next, &ahead);
        have_ahead = true;
      }
      outcome = pool_->AwaitPartials(job_id_, oldest.sequence, workers_,
                                     std::span<core::Partial>(partials_),
                                     absl::Now() + options_.round_timeout, cancel_);
    } else {
      outcome.result = WorkerPool::WaitResult::kWorkerLost;
      outcome.worker_id = lost;
    }
    switch (outcome.result) {
      case WorkerPool::WaitResult::kDone:
        break;
      case WorkerPool::WaitResult::kInterrupted:
        continue;  // the loop head sees the cancellation
      case WorkerPool::WaitResult::kWorkerError:
        return absl::FailedPreconditionError(
            absl::StrCat("worker ", outcome.worker_id, " failed: ", outcome.message));
      case WorkerPool::WaitResult::kWorkerLost:
      case WorkerPool::WaitResult::kTimeout: {
        const bool late = outcome.result == WorkerPool::WaitResult::kTimeout;
        if (late) {
          MarkLate(
              outcome.worker_id,
              absl::StrCat("the round timeout of ", absl::FormatDuration(options_.round_timeout),
                           " (raise the scheduler's --round-timeout, or give the job "
                           "more or faster workers)"));
        }
        const char* why = late ? "no reply in time" : "lost";
        if (options_.observer != nullptr)
          options_.observer->OnWorkerDropped(late ? "timeout" : "lost");
        if (absl::Status status = DropWorker(outcome.worker_id, why); !status.ok()) return status;
        if (absl::Status status = PlaceShards(); !status.ok()) return status;
        // Every round in flight is repeated for the new placement.
        in_flight = 0;
        next = round;
        have_ahead = false;
        continue;
      }
    }
    if (!pending_update_.empty()) {
      // The last Pull's update has not gone out (the pipeline was not refilled since): it goes
      // apply-only, ahead of the next round's tasks and in the same message, as this Pull is
      // about to replace it.
      QueueTasks(++task_sequence_, /*plan=*/nullptr);
    }
    absl::StatusOr<core::RoundOutcome> pulled =
        app_->Pull(oldest.plan, partials_, &pending_update_);
    if (!pulled.ok()) {
      // The job's record then shows the rounds done and the metrics that made the app stop
      // (e.g. the objective that diverged), not the last throttled snapshot.
      Publish(round, /*force=*/true);
      return pulled.status();
    }
    if (options_.observer != nullptr) {
      options_.observer->OnRound(spec_.app, absl::ToDoubleSeconds(absl::Now() - oldest.sent));
    }
    head = (head + 1) % static_cast<size_t>(depth);
    --in_flight;
    for (size_t i = 0; i < workers_.size(); ++i) {
      views_[i].last_busy_seconds = partials_[i].busy_seconds;
      views_[i].last_work_units = partials_[i].work_units;
    }
    ++round;
    if (app_->TakeInFlightInvalidated() && in_flight > 0) {
      // Their replies are abandoned with the next send (ExpectReplies).
      in_flight = 0;
      next = round;
    }
    // Rounds 1, 2, 4, 8, ... always report, so that even a job of a fraction of a second has a
    // convergence curve (core/convergence_history.h) with its early shape; later reports come every
    // publish_interval.
    Publish(round, /*force=*/(round & (round - 1)) == 0);
    sink_->OnRoundBoundary(round, Elapsed(), /*interrupted=*/false);
    if (*pulled == core::RoundOutcome::kConverged) {
      result.converged = true;
      result.stop_reason = "converged";
      break;
    }
    if (*pulled == core::RoundOutcome::kStopped) {
      result.stop_reason = "the app's round limit";
      break;
    }
    if (spec_.max_rounds > 0 && round >= spec_.max_rounds + app_->extra_rounds()) {
      result.stop_reason = "max_rounds";
      break;
    }
    // Bringing in workers changes the task order, so the rounds in flight finish first.
    restore_wanted =
        static_cast<int>(workers_.size()) < spec_.workers && pool_->IdleCount(timed_out_) > 0;
    if (restore_wanted && in_flight == 0) {
      restore_wanted = false;
      const size_t before = workers_.size();
      if (absl::Status status = RestoreCapacity(); !status.ok()) return status;
      // A plan made for the old placement is replaced; planning a round twice would make a
      // position-keeping schedule (static, cyclic) skip a block.
      if (workers_.size() != before) have_ahead = false;
    }
  }
  result.rounds = round;
  result.seconds = Elapsed();
  Publish(round, /*force=*/true);
  spdlog::info(
      "event=job_rounds_done job={} rounds={} seconds={:.3f} rounds_per_second={:.1f} "
      "stop={}",
      job_id_, round, result.seconds,
      result.seconds > 0 ? static_cast<double>(round) / result.seconds : 0.0, result.stop_reason);
  return result;
}

void RoundEngine::AdoptWorkers(std::vector<std::string> claimed) {
  for (std::string& id : claimed) AddWorker(std::move(id));
}

absl::Status RoundEngine::AcquireWorkers(int count) {
  bool announced = false;
  while (static_cast<int>(workers_.size()) < count) {
    if (cancel_->load()) return absl::CancelledError("cancelled while waiting for workers");
    for (std::string& id :
         pool_->ClaimIdle(job_id_, count - static_cast<int>(workers_.size()), timed_out_)) {
      AddWorker(std::move(id));
    }
    if (static_cast<int>(workers_.size()) >= count) break;
    std::string message = absl::StrCat("waiting for workers: ", workers_.size(), " of ", count,
                                       " claimed", count < spec_.workers ? " to go on" : "");
    if (count < spec_.workers)
      absl::StrAppend(&message, " (the job asked for ", spec_.workers, ")");
    absl::StrAppend(&message, "; ", pool_->ConnectedCount(), " connected to this scheduler");
    if (!timed_out_.empty()) {
      absl::StrAppend(&message, "; ", timed_out_.size(),
                      " dropped from this job for missing the round timeout");
    }
    sink_->OnState(JobState::kWaitingForWorkers, message);
    if (!announced) {
      spdlog::info("event=job_waiting job={} {}", job_id_, message);
      announced = true;
    }
    pool_->AwaitIdle(1, absl::Now() + absl::Seconds(1), cancel_, timed_out_);
  }
  views_.resize(workers_.size());
  partials_.resize(workers_.size());
  return absl::OkStatus();
}

absl::Status RoundEngine::PlaceShards() {
  while (!unplaced_.empty()) {
    // Least-loaded first, so a replacement worker takes a lost worker's shards.
    std::vector<std::vector<ShardGrant>> grants(workers_.size());
    for (int shard : unplaced_) {
      size_t target = 0;
      for (size_t i = 1; i < workers_.size(); ++i) {
        if (placed_[i].size() + grants[i].size() < placed_[target].size() + grants[target].size()) {
          target = i;
        }
      }
      ShardGrant grant;
      grant.shard = shard;
      app_->ShardInit(shard, &grant.init);
      grants[target].push_back(std::move(grant));
    }
    unplaced_.clear();
    std::string lost;
    for (size_t i = 0; i < workers_.size(); ++i) {
      for (const ShardGrant& grant : grants[i]) placed_[i].push_back(grant.shard);
      if (grants[i].empty()) continue;
      std::shared_ptr<WorkerLink> link = pool_->Link(workers_[i]);
      if (link == nullptr || !link->SendAssign(job_id_, spec_, grants[i], {})) lost = workers_[i];
    }
    std::vector<int> expected;
    for (const std::vector<int>& shards : placed_) {
      expected.push_back(static_cast<int>(shards.size()));
    }
    WorkerPool::WaitOutcome outcome;
    if (lost.empty()) {
      outcome = pool_->AwaitReady(job_id_, workers_, expected, absl::Now() + options_.shard_timeout,
                                  cancel_);
    } else {
      outcome.result = WorkerPool::WaitResult::kWorkerLost;
      outcome.worker_id = lost;
    }
    switch (outcome.result) {
      case WorkerPool::WaitResult::kDone:
        break;
      case WorkerPool::WaitResult::kInterrupted:
        return absl::CancelledError("cancelled while placing shards");
      case WorkerPool::WaitResult::kWorkerError:
        return absl::FailedPreconditionError(absl::StrCat(
            "worker ", outcome.worker_id, " could not load its shards: ", outcome.message));
      case WorkerPool::WaitResult::kWorkerLost:
      case WorkerPool::WaitResult::kTimeout:
        if (outcome.result == WorkerPool::WaitResult::kTimeout) {
          MarkLate(outcome.worker_id, absl::StrCat("the shard-loading timeout of ",
                                                   absl::FormatDuration(options_.shard_timeout),
                                                   " (check the workers' network and memory)"));
        }
        if (options_.observer != nullptr) {
          options_.observer->OnWorkerDropped(
              outcome.result == WorkerPool::WaitResult::kTimeout ? "timeout" : "lost");
        }
        if (absl::Status status = DropWorker(outcome.worker_id, "lost while loading shards");
            !status.ok()) {
          return status;
        }
        break;
    }
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    views_[i].member = members_[i];
    views_[i].shards = placed_[i];
  }
  sink_->OnEvent(PlacementEvent(workers_, placed_));
  return absl::OkStatus();
}

void RoundEngine::MarkLate(const std::string& worker_id, std::string limit) {
  timed_out_.insert(worker_id);
  last_timeout_ = std::move(limit);
}

absl::Status RoundEngine::DropWorker(const std::string& worker_id, const std::string& why) {
  auto it = std::find(workers_.begin(), workers_.end(), worker_id);
  if (it == workers_.end()) return absl::OkStatus();
  const size_t index = static_cast<size_t>(it - workers_.begin());
  spdlog::warn("event=worker_dropped job={} worker={} why=\"{}\" shards={}", job_id_, worker_id,
               why, placed_[index].size());
  sink_->OnEvent(absl::StrCat("worker ", worker_id, " lost (", why, "); its shards move"));
  if (std::shared_ptr<WorkerLink> link = pool_->Link(worker_id)) link->SendRelease(job_id_);
  pool_->Release(worker_id, job_id_);
  unplaced_.insert(unplaced_.end(), placed_[index].begin(), placed_[index].end());
  workers_.erase(workers_.begin() + index);
  members_.erase(members_.begin() + index);
  placed_.erase(placed_.begin() + index);
  // Keep the survivors' last busy times with them.
  if (index < views_.size()) views_.erase(views_.begin() + static_cast<std::ptrdiff_t>(index));
  const int wanted = static_cast<int>(workers_.size()) + 1;
  for (std::string& id : pool_->ClaimIdle(job_id_, 1, timed_out_)) AddWorker(std::move(id));
  if (workers_.empty() && timed_out_.contains(worker_id)) {
    // Every worker the job had was too late and none is left to try: a round takes longer than
    // the timeout allows, and waiting for more workers would only repeat that.
    return absl::DeadlineExceededError(absl::StrCat(
        timed_out_.size(), timed_out_.size() == 1 ? " worker was" : " workers were",
        " too late for this job and no other worker is idle; the last missed ", last_timeout_));
  }
  if (workers_.empty()) {
    if (absl::Status status = AcquireWorkers(1); !status.ok()) return status;
    sink_->OnState(JobState::kRunning, "");
  }
  views_.resize(workers_.size());
  partials_.resize(workers_.size());
  spdlog::info("event=job_workers job={} workers={} wanted={}", job_id_, workers_.size(), wanted);
  return absl::OkStatus();
}

absl::Status RoundEngine::RestoreCapacity() {
  std::vector<std::string> claimed =
      pool_->ClaimIdle(job_id_, spec_.workers - static_cast<int>(workers_.size()), timed_out_);
  if (claimed.empty()) return absl::OkStatus();
  // The current holders (only they) apply the last update now, so that shards moved to a
  // newcomer (which start from the current model) and shards that stay agree on the model
  // version.
  if (!pending_update_.empty()) QueueTasks(++task_sequence_, /*plan=*/nullptr);
  SendQueued();
  for (std::string& id : claimed) AddWorker(std::move(id));
  // Take shards from the most loaded workers until no worker holds two more than another.
  while (true) {
    size_t most = 0, least = 0;
    for (size_t i = 1; i < workers_.size(); ++i) {
      if (placed_[i].size() > placed_[most].size()) most = i;
      if (placed_[i].size() < placed_[least].size()) least = i;
    }
    if (placed_[most].size() <= placed_[least].size() + 1) break;
    const int shard = placed_[most].back();
    placed_[most].pop_back();
    placed_[least].push_back(-1);  // reserved; PlaceShards fills it
    unplaced_.push_back(shard);
    const int drop[] = {shard};
    if (std::shared_ptr<WorkerLink> link = pool_->Link(workers_[most])) {
      link->SendAssign(job_id_, spec_, {}, drop);
    }
  }
  for (std::vector<int>& shards : placed_) std::erase(shards, -1);
  views_.resize(workers_.size());
  partials_.resize(workers_.size());
  spdlog::info("event=job_capacity_restored job={} workers={} moved_shards={}", job_id_,
               workers_.size(), unplaced_.size());
  sink_->OnEvent(
      absl::StrCat("back to ", workers_.size(), " workers; ", unplaced_.size(), " shards move"));
  return PlaceShards();
}

void RoundEngine::AddWorker(std::string worker_id) {
  workers_.push_back(std::move(worker_id));
  members_.push_back(next_member_++);
  placed_.emplace_back();
}

void RoundEngine::ReleaseWorkers() {
  for (const std::string& id : workers_) {
    if (std::shared_ptr<WorkerLink> link = pool_->Link(id)) link->SendRelease(job_id_);
    pool_->Release(id, job_id_);
  }
  workers_.clear();
  members_.clear();
}

std::string RoundEngine::QueueTasks(int64_t sequence, const core::RoundPlan* plan) {
  std::string lost;
  if (queued_count_ > 0 && QueuedWireBytes() + core::PayloadWireBytes(pending_update_) +
                                   (plan != nullptr ? LargestTaskWireBytes(*plan) : 0) >
                               options_.max_message_bytes) {
    lost = SendQueued();  // a message must stay within the limit
  }
  if (queued_count_ == queued_.size()) queued_.emplace_back();
  QueuedTasks& entry = queued_[queued_count_++];
  entry.sequence = sequence;
  entry.plan = plan;
  // The entry's old buffer becomes the next update's, so neither allocates once warm.
  std::swap(entry.apply, pending_update_);
  pending_update_.clear();
  return lost;
}

std::string RoundEngine::SendQueued() {
  std::string lost;
  for (size_t i = 0; i < workers_.size() && queued_count_ > 0; ++i) {
    outgoing_.clear();
    for (size_t k = 0; k < queued_count_; ++k) {
      const QueuedTasks& entry = queued_[k];
      outgoing_.push_back({.sequence = entry.sequence,
                           .apply = &entry.apply,
                           .push = entry.plan != nullptr ? &entry.plan->tasks[i] : nullptr,
                           .reply = entry.plan != nullptr});
    }
    std::shared_ptr<WorkerLink> link = pool_->Link(workers_[i]);
    if (link == nullptr || !link->SendTasks(job_id_, outgoing_)) lost = workers_[i];
  }
  queued_count_ = 0;
  return lost;
}

int64_t RoundEngine::QueuedWireBytes() const {
  int64_t bytes = 0;
  for (size_t k = 0; k < queued_count_; ++k) {
    bytes += core::PayloadWireBytes(queued_[k].apply);
    if (queued_[k].plan != nullptr) bytes += LargestTaskWireBytes(*queued_[k].plan);
  }
  return bytes;
}

int64_t RoundEngine::LargestTaskWireBytes(const core::RoundPlan& plan) {
  int64_t largest = 0;
  for (const core::Payload& task : plan.tasks) {
    largest = std::max(largest, core::PayloadWireBytes(task));
  }
  return largest;
}

absl::Status RoundEngine::CheckMessageSizes(int64_t round, const core::RoundPlan& plan) const {
  const int64_t update = core::PayloadWireBytes(pending_update_);
  for (size_t i = 0; i < plan.tasks.size(); ++i) {
    const int64_t bytes = update + core::PayloadWireBytes(plan.tasks[i]);
    if (bytes > options_.max_message_bytes) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "round %d: the task for worker %d would be %s, over the %s message limit; run the "
          "job on more workers or with a smaller model (e.g. a lower rank)",
          round, i, core::HumanBytes(bytes), core::HumanBytes(options_.max_message_bytes)));
    }
  }
  return absl::OkStatus();
}

int RoundEngine::PipelineDepth() const {
  // The depth the job manager resolved at submission (0, from a job that did not pass there, runs
  // one round at a time); the instance's own limit still holds, should its parameters allow less.
  const int asked = spec_.pipeline > 0 ? spec_.pipeline : 1;
  return std::clamp(std::min(asked, app_->max_pipeline_depth()), 1, core::kMaxPipelineDepth);
}

void RoundEngine::PlanRound(int64_t number, core::RoundPlan* plan) {
  plan->number = number;
  plan->tasks.resize(workers_.size());
  for (core::Payload& task : plan->tasks) task.clear();
  app_->Schedule(views_, plan);
}

void RoundEngine::Publish(int64_t round, bool force) {
  absl::Time now = absl::Now();
  if (!force && now - last_publish_ < options_.publish_interval) return;
  last_publish_ = now;
  metrics_.clear();
  app_->Metrics(&metrics_);
  sink_->OnProgress(round, Elapsed(), metrics_, static_cast<int>(workers_.size()));
}

}  // namespace strads::scheduler
