// Test-only: in-memory workers for a WorkerPool, so the round engine can be driven through its
// worker seam (WorkerLink) with no network and no threads. Each worker runs a real WorkerApp and
// answers synchronously, on the engine's thread, inside SendAssign / SendTask: a reply is in the
// pool's mailbox before the engine waits for it, so every run is deterministic. A script per
// worker makes it misbehave at a chosen task: vanish (Detach), fall silent while still connected
// (the engine's round timeout), or hold one reply back and deliver it later with garbage values
// (a late reply to an abandoned attempt). A hook run before every task lets a test connect a
// worker (a rejoin) at an exact point of the job.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/app.h"
#include "core/job_spec.h"
#include "core/limits.h"
#include "scheduler_service/worker_link.h"
#include "scheduler_service/worker_pool.h"

namespace strads::scheduler::testing {

using WorkerAppFactory = std::function<std::unique_ptr<core::WorkerApp>()>;

// What one scripted worker does; task numbers count the tasks it received (1-based), apply-only
// tasks included.
struct WorkerScript {
  int64_t detach_at_task = 0;      // vanishes (Detach) on receiving this task, before applying it
  int64_t silent_from_task = 0;    // from this task on, applies but never replies
  int64_t hold_reply_of_task = 0;  // replies to this task only with its next task's reply
};

// Counts of what a worker received, for assertions.
struct WorkerRecord {
  int64_t tasks = 0;
  int64_t messages = 0;  // task messages: a batch of tasks counts once
  // Payload wire bytes (core::PayloadWireBytes) of the largest message and of the largest task
  // (its apply and push) received.
  int64_t largest_message_bytes = 0;
  int64_t largest_task_bytes = 0;
  int64_t replies = 0;
  int64_t shards_added = 0;
  int64_t releases = 0;
  bool detached = false;
};

class ScriptedWorkers {
 public:
  // `app` is the job's (prepared) scheduler app: workers fetch shard bytes from it, as real
  // workers fetch them from the scheduler.
  ScriptedWorkers(WorkerPool* pool, const core::SchedulerApp* app, WorkerAppFactory make)
      : pool_(pool), app_(app), make_(std::move(make)) {}

  // Registers and attaches a worker; returns its id.
  std::string Connect(const std::string& name, WorkerScript script = {}) {
    const std::string id = pool_->Register(name);
    auto link = std::make_shared<Link>(this, id, script);
    links_[id] = link;
    absl::Status status = pool_->Attach(id, link);
    if (!status.ok()) std::abort();
    return id;
  }
  const WorkerRecord& record(const std::string& id) const { return links_.at(id)->record; }

  // Runs before every task any worker receives, with that worker's id and task number.
  std::function<void(const std::string& id, int64_t task)> before_task;

 private:
  class Link final : public WorkerLink {
   public:
    Link(ScriptedWorkers* owner, std::string id, WorkerScript script)
        : owner_(owner), id_(std::move(id)), script_(script) {}

    bool SendAssign(const std::string& job_id, const core::JobSpec& spec,
                    std::span<const ShardGrant> add, std::span<const int> drop) override {
      if (record.detached) return false;
      if (app_ == nullptr) {
        app_ = owner_->make_();
        if (absl::Status status = app_->Configure(spec); !status.ok()) {
          return Fail(job_id, status);
        }
      }
      for (int shard : drop) app_->DropShard(shard);
      std::vector<int> ready;
      for (const ShardGrant& grant : add) {
        absl::StatusOr<std::string> bytes = owner_->app_->ShardBytes(grant.shard);
        if (!bytes.ok()) return Fail(job_id, bytes.status());
        if (absl::Status status = app_->AddShard(grant.shard, *bytes, grant.init); !status.ok()) {
          return Fail(job_id, status);
        }
        ready.push_back(grant.shard);
        ++record.shards_added;
      }
      if (!ready.empty()) owner_->pool_->OnShardsReady(id_, job_id, ready);
      return true;
    }

    // Runs the tasks of a batch one by one, as a real worker does; each reply is delivered on
    // its own (how the transport carries them does not matter to the pool).
    bool SendTasks(const std::string& job_id, std::span<const OutgoingTask> tasks) override {
      ++record.messages;
      const core::Payload none;
      int64_t message_bytes = 0;
      for (const OutgoingTask& task : tasks) {
        const int64_t bytes =
            core::PayloadWireBytes(task.apply != nullptr ? *task.apply : none) +
            (task.reply ? core::PayloadWireBytes(task.push != nullptr ? *task.push : none) : 0);
        record.largest_task_bytes = std::max(record.largest_task_bytes, bytes);
        message_bytes += bytes;
      }
      record.largest_message_bytes = std::max(record.largest_message_bytes, message_bytes);
      for (const OutgoingTask& task : tasks) {
        if (!RunTask(job_id, task.sequence, task.apply != nullptr ? *task.apply : none,
                     task.push != nullptr ? *task.push : none, task.reply)) {
          return false;
        }
      }
      return true;
    }

    bool SendRelease(const std::string&) override {
      ++record.releases;
      app_.reset();
      return !record.detached;
    }
    void Disconnect() override {}

    WorkerRecord record;

   private:
    bool RunTask(const std::string& job_id, int64_t sequence, const core::Payload& apply,
                 const core::Payload& push, bool reply) {
      if (record.detached) return false;
      const int64_t task = ++record.tasks;
      if (owner_->before_task) owner_->before_task(id_, task);
      if (task == script_.detach_at_task) {
        record.detached = true;
        owner_->pool_->Detach(id_);
        return false;
      }
      if (app_ == nullptr) return Fail(job_id, absl::InternalError("task before any assign"));
      if (!apply.empty()) {
        if (absl::Status status = app_->Apply(apply); !status.ok()) return Fail(job_id, status);
      }
      if (!reply) return true;
      core::Partial partial;
      if (absl::Status status = app_->Push(push, &partial); !status.ok()) {
        return Fail(job_id, status);
      }
      const bool silent = script_.silent_from_task > 0 && task >= script_.silent_from_task;
      if (silent) return true;
      // A held reply arrives around the next one, with values that would wreck the model if the
      // pool took them for the reply it waits for.
      const bool deliver_held = held_sequence_ >= 0;
      if (deliver_held) DeliverGarbage(job_id, held_sequence_, partial.values.size());
      if (task == script_.hold_reply_of_task) {
        held_sequence_ = sequence;
        return true;
      }
      owner_->pool_->OnPartial(id_, job_id, sequence, partial.values, partial.busy_seconds,
                               partial.work_units);
      ++record.replies;
      if (deliver_held) {
        DeliverGarbage(job_id, held_sequence_, partial.values.size());
        held_sequence_ = -1;
      }
      return true;
    }
    bool Fail(const std::string& job_id, const absl::Status& status) {
      owner_->pool_->OnWorkerError(id_, job_id, std::string(status.message()));
      return true;
    }
    void DeliverGarbage(const std::string& job_id, int64_t sequence, size_t size) {
      const std::vector<double> garbage(size, std::numeric_limits<double>::quiet_NaN());
      owner_->pool_->OnPartial(id_, job_id, sequence, garbage, 0, 0);
    }

    ScriptedWorkers* owner_;
    std::string id_;
    WorkerScript script_;
    std::unique_ptr<core::WorkerApp> app_;
    int64_t held_sequence_ = -1;
  };

  WorkerPool* pool_;
  const core::SchedulerApp* app_;
  WorkerAppFactory make_;
  std::map<std::string, std::shared_ptr<Link>> links_;
};

}  // namespace strads::scheduler::testing
