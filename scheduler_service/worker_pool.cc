#include "scheduler_service/worker_pool.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace strads::scheduler {

std::string WorkerPool::Register(const std::string& name) {
  absl::MutexLock lock(&mu_);
  std::string id = absl::StrCat("w", next_id_++);
  auto worker = std::make_unique<Worker>();
  worker->id = id;
  worker->number = next_id_ - 1;
  worker->name = name.empty() ? id : name;
  workers_[id] = std::move(worker);
  return id;
}

absl::Status WorkerPool::Attach(const std::string& worker_id, std::shared_ptr<WorkerLink> link) {
  absl::MutexLock lock(&mu_);
  Worker* worker = Find(worker_id);
  if (worker == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("unknown worker id '", worker_id, "'; call Register first"));
  }
  if (worker->connected) {
    return absl::AlreadyExistsError(absl::StrCat("worker '", worker_id, "' is already connected"));
  }
  worker->link = std::move(link);
  worker->connected = true;
  worker->connected_unix_ms = absl::ToUnixMillis(absl::Now());
  ++wake_epoch_;
  spdlog::info("event=worker_connected worker={} name={}", worker->id, worker->name);
  return absl::OkStatus();
}

void WorkerPool::Detach(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  Worker* worker = Find(worker_id);
  if (worker == nullptr) return;
  spdlog::info("event=worker_disconnected worker={} name={} job={}", worker->id, worker->name,
               worker->job_id);
  ++wake_epoch_;
  if (worker->job_id.empty()) {
    workers_.erase(worker_id);
  } else {
    // The job's engine still refers to it; it sees connected == false and releases it.
    worker->connected = false;
    worker->link.reset();
  }
}

void WorkerPool::OnShardsReady(const std::string& worker_id, const std::string& job_id,
                               std::span<const int> shards) {
  absl::MutexLock lock(&mu_);
  Worker* worker = Find(worker_id);
  if (worker == nullptr || worker->job_id != job_id) return;
  worker->ready_shards += static_cast<int>(shards.size());
}

void WorkerPool::OnPartial(const std::string& worker_id, const std::string& job_id,
                           int64_t sequence, std::span<const double> values, double busy_seconds,
                           int64_t work_units) {
  absl::MutexLock lock(&mu_);
  Worker* worker = Find(worker_id);
  if (worker == nullptr || worker->job_id != job_id) return;
  Worker::Reply* reply = Awaiting(*worker, sequence);
  // No slot: a reply to a task that was abandoned (e.g. a round being repeated).
  if (reply == nullptr || reply->arrived) return;
  reply->partial.values.assign(values.begin(), values.end());
  reply->partial.busy_seconds = busy_seconds;
  reply->partial.work_units = work_units;
  reply->arrived = true;
}

WorkerPool::Worker::Reply* WorkerPool::Awaiting(Worker& worker, int64_t sequence) {
  for (size_t i = 0; i < worker.awaited; ++i) {
    if (worker.replies[i].sequence == sequence) return &worker.replies[i];
  }
  return nullptr;
}

void WorkerPool::Expect(Worker& worker, int64_t sequence, bool keep_earlier) {
  if (!keep_earlier) worker.awaited = 0;
  if (worker.awaited == worker.replies.size()) worker.replies.emplace_back();
  Worker::Reply& reply = worker.replies[worker.awaited++];
  reply.sequence = sequence;
  reply.arrived = false;
}

void WorkerPool::OnWorkerError(const std::string& worker_id, const std::string& job_id,
                               const std::string& message) {
  absl::MutexLock lock(&mu_);
  Worker* worker = Find(worker_id);
  if (worker == nullptr || worker->job_id != job_id) return;
  worker->error = message;
}

void WorkerPool::DisconnectAll() {
  std::vector<std::shared_ptr<WorkerLink>> links;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, worker] : workers_) {
      if (worker->link != nullptr) links.push_back(worker->link);
    }
  }
  for (const std::shared_ptr<WorkerLink>& link : links) link->Disconnect();
}

int WorkerPool::ConnectedCount() const {
  absl::MutexLock lock(&mu_);
  int count = 0;
  for (const auto& [id, worker] : workers_) count += worker->connected ? 1 : 0;
  return count;
}

std::vector<WorkerPool::WorkerSummary> WorkerPool::Connected() const {
  std::vector<WorkerSummary> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, worker] : workers_) {
      if (worker->connected) {
        out.push_back({worker->id, worker->name, worker->job_id, worker->connected_unix_ms,
                       worker->ready_shards});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const WorkerSummary& a, const WorkerSummary& b) {
    return a.id.size() != b.id.size() ? a.id.size() < b.id.size() : a.id < b.id;
  });
  return out;
}

std::vector<std::string> WorkerPool::ClaimIdle(const std::string& job_id, int max_count,
                                               const absl::flat_hash_set<std::string>& exclude) {
  absl::MutexLock lock(&mu_);
  return ClaimLocked(job_id, max_count, exclude);
}

std::vector<std::string> WorkerPool::ClaimAll(const std::string& job_id, int count) {
  absl::MutexLock lock(&mu_);
  if (IdleCountLocked({}) < count) return {};
  return ClaimLocked(job_id, count, {});
}

std::vector<std::string> WorkerPool::ClaimLocked(const std::string& job_id, int max_count,
                                                 const absl::flat_hash_set<std::string>& exclude) {
  // Longest-registered first, so a job's task order (and with it which rows each worker gets)
  // does not depend on hash-map order.
  std::vector<Worker*> idle;
  for (auto& [id, worker] : workers_) {
    if (worker->connected && worker->job_id.empty() && !exclude.contains(id)) {
      idle.push_back(worker.get());
    }
  }
  std::sort(idle.begin(), idle.end(),
            [](const Worker* a, const Worker* b) { return a->number < b->number; });
  if (static_cast<int>(idle.size()) > max_count) idle.resize(static_cast<size_t>(max_count));
  std::vector<std::string> claimed;
  for (Worker* worker : idle) {
    worker->job_id = job_id;
    worker->ready_shards = 0;
    worker->awaited = 0;
    worker->error.clear();
    claimed.push_back(worker->id);
  }
  return claimed;
}

void WorkerPool::Release(const std::string& worker_id, const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  Worker* worker = Find(worker_id);
  if (worker == nullptr || worker->job_id != job_id) return;
  worker->job_id.clear();
  worker->error.clear();
  if (!worker->connected) workers_.erase(worker_id);
  ++wake_epoch_;
}

std::shared_ptr<WorkerLink> WorkerPool::Link(const std::string& worker_id) const {
  absl::MutexLock lock(&mu_);
  Worker* worker = Find(worker_id);
  return worker == nullptr ? nullptr : worker->link;
}

void WorkerPool::ExpectReplies(std::span<const std::string> worker_ids, int64_t sequence) {
  absl::MutexLock lock(&mu_);
  for (const std::string& id : worker_ids) {
    if (Worker* worker = Find(id)) Expect(*worker, sequence, /*keep_earlier=*/false);
  }
}

void WorkerPool::ExpectAnotherReply(std::span<const std::string> worker_ids, int64_t sequence) {
  absl::MutexLock lock(&mu_);
  for (const std::string& id : worker_ids) {
    if (Worker* worker = Find(id)) Expect(*worker, sequence, /*keep_earlier=*/true);
  }
}

void WorkerPool::SetPump(MessagePump* pump) {
  absl::MutexLock lock(&mu_);
  pump_ = pump;
  ++pump_releases_;  // a wait sleeping on the old pump's release re-checks
}

void WorkerPool::PumpReleased() {
  absl::MutexLock lock(&mu_);
  ++pump_releases_;
}

template <typename Settled>
void WorkerPool::AwaitPolling(Settled& settled, absl::Time deadline) {
  // A safety net only: an interrupt comes with Wake, which kicks the poll or wakes the sleep,
  // and a released pump wakes the sleep. Short slices would wake a job whose workers are slow
  // ~100 times a second for nothing.
  constexpr absl::Duration kPollSlice = absl::Seconds(1);
  while (!settled()) {
    const absl::Time now = absl::Now();
    if (now >= deadline) return;
    MessagePump* pump = pump_;
    if (pump != nullptr && pump->TryAcquire()) {
      // Polling runs the sessions' reactions, which deliver here: mu_ must be free.
      mu_.Unlock();
      pump->PollOnce(std::min(deadline, now + kPollSlice));
      pump->Release();
      mu_.Lock();
      continue;
    }
    // Sleep: whoever polls delivers here, and wakes this wait when it lets the pump go.
    const int64_t releases = pump_releases_;
    auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return settled() || pump_releases_ != releases;
    };
    mu_.AwaitWithDeadline(absl::Condition(&woken),
                          pump == nullptr ? deadline : std::min(deadline, now + kPollSlice));
  }
}

namespace {

// Shared shape of the engine's waits: first failure wins, then completion.
template <typename IsDone>
WorkerPool::WaitOutcome Classify(bool connected, const std::string& error, IsDone done,
                                 const std::string& id) {
  WorkerPool::WaitOutcome outcome;
  if (!connected) {
    outcome.result = WorkerPool::WaitResult::kWorkerLost;
  } else if (!error.empty()) {
    outcome.result = WorkerPool::WaitResult::kWorkerError;
    outcome.message = error;
  } else if (!done()) {
    outcome.result = WorkerPool::WaitResult::kTimeout;
  }
  outcome.worker_id = id;
  return outcome;
}

}  // namespace

WorkerPool::WaitOutcome WorkerPool::AwaitReady(const std::string& job_id,
                                               std::span<const std::string> worker_ids,
                                               std::span<const int> expected, absl::Time deadline,
                                               const std::atomic<bool>* interrupt) {
  absl::MutexLock lock(&mu_);
  auto settled = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (interrupt != nullptr && interrupt->load()) return true;
    for (size_t i = 0; i < worker_ids.size(); ++i) {
      Worker* worker = Find(worker_ids[i]);
      if (worker == nullptr || !worker->connected || !worker->error.empty()) return true;
      if (worker->ready_shards < expected[i]) return false;
    }
    return true;
  };
  AwaitPolling(settled, deadline);
  if (interrupt != nullptr && interrupt->load()) return {WaitResult::kInterrupted, "", ""};
  for (size_t i = 0; i < worker_ids.size(); ++i) {
    Worker* worker = Find(worker_ids[i]);
    bool connected = worker != nullptr && worker->connected;
    WaitOutcome outcome = Classify(
        connected, worker ? worker->error : std::string(),
        [&] { return worker->ready_shards >= expected[i]; }, worker_ids[i]);
    if (outcome.result != WaitResult::kDone) return outcome;
  }
  return {};
}

WorkerPool::WaitOutcome WorkerPool::AwaitPartials(const std::string& job_id, int64_t sequence,
                                                  std::span<const std::string> worker_ids,
                                                  std::span<core::Partial> partials,
                                                  absl::Time deadline,
                                                  const std::atomic<bool>* interrupt) {
  absl::MutexLock lock(&mu_);
  auto settled = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (interrupt != nullptr && interrupt->load()) return true;
    for (const std::string& id : worker_ids) {
      Worker* worker = Find(id);
      if (worker == nullptr || !worker->connected || !worker->error.empty()) return true;
      const Worker::Reply* reply = Awaiting(*worker, sequence);
      if (reply == nullptr || !reply->arrived) return false;
    }
    return true;
  };
  AwaitPolling(settled, deadline);
  if (interrupt != nullptr && interrupt->load()) return {WaitResult::kInterrupted, "", ""};
  for (const std::string& id : worker_ids) {
    Worker* worker = Find(id);
    bool connected = worker != nullptr && worker->connected;
    WaitOutcome outcome = Classify(
        connected, worker ? worker->error : std::string(),
        [&] {
          const Worker::Reply* reply = Awaiting(*worker, sequence);
          return reply != nullptr && reply->arrived;
        },
        id);
    if (outcome.result != WaitResult::kDone) return outcome;
  }
  for (size_t i = 0; i < worker_ids.size(); ++i) {
    Worker* worker = Find(worker_ids[i]);
    Worker::Reply* reply = Awaiting(*worker, sequence);
    std::swap(reply->partial.values, partials[i].values);
    partials[i].busy_seconds = reply->partial.busy_seconds;
    partials[i].work_units = reply->partial.work_units;
    // This slot and the ones before it are done; they move behind the awaited ones, buffers
    // and all, so the next replies reuse them.
    const size_t done = static_cast<size_t>(reply - worker->replies.data()) + 1;
    std::rotate(worker->replies.begin(),
                worker->replies.begin() + static_cast<std::ptrdiff_t>(done),
                worker->replies.begin() + static_cast<std::ptrdiff_t>(worker->awaited));
    worker->awaited -= done;
  }
  return {};
}

bool WorkerPool::AwaitIdle(int count, absl::Time deadline, const std::atomic<bool>* interrupt,
                           const absl::flat_hash_set<std::string>& exclude) {
  absl::MutexLock lock(&mu_);
  auto settled = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return (interrupt != nullptr && interrupt->load()) || IdleCountLocked(exclude) >= count;
  };
  mu_.AwaitWithDeadline(absl::Condition(&settled), deadline);
  return IdleCountLocked(exclude) >= count;
}

int WorkerPool::IdleCount(const absl::flat_hash_set<std::string>& exclude) const {
  absl::MutexLock lock(&mu_);
  return IdleCountLocked(exclude);
}

void WorkerPool::Wake() {
  absl::MutexLock lock(&mu_);
  ++wake_epoch_;                        // releasing the mutex re-evaluates every waiter's condition
  if (pump_ != nullptr) pump_->Kick();  // ... and a waiter polling the pump looks again
}

int64_t WorkerPool::ChangeEpoch() const {
  absl::MutexLock lock(&mu_);
  return wake_epoch_;
}

void WorkerPool::AwaitChange(int64_t seen, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_epoch_ > seen; };
  mu_.AwaitWithDeadline(absl::Condition(&changed), deadline);
}

WorkerPool::Worker* WorkerPool::Find(const std::string& worker_id) const {
  auto it = workers_.find(worker_id);
  return it == workers_.end() ? nullptr : it->second.get();
}

int WorkerPool::IdleCountLocked(const absl::flat_hash_set<std::string>& exclude) const {
  int count = 0;
  for (const auto& [id, worker] : workers_) {
    count += (worker->connected && worker->job_id.empty() && !exclude.contains(id)) ? 1 : 0;
  }
  return count;
}

}  // namespace strads::scheduler
