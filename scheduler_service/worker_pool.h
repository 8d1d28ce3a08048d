// The workers connected to this scheduler, and the mailbox between their session threads and the
// round engine. Session adapter threads report arrivals, departures, ready shards and partial
// results; the engine thread claims workers for a job and waits for their replies.
// Thread-safety: every method may be called from any thread; state is guarded by one mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/app.h"
#include "scheduler_service/worker_link.h"

namespace strads::scheduler {

// Lets a thread that waits for workers' messages read them itself. A transport whose messages
// are read by whoever polls (the gRPC Session streams' completion queue) implements it; the
// round engine's waits then poll instead of sleeping until another thread hands a reply over,
// which saves the context switches that dominate a round on loopback.
class MessagePump {
 public:
  virtual ~MessagePump() = default;
  // Takes the right to poll; false while another thread has it (that thread delivers to the
  // pool, and calls WorkerPool::PumpReleased when it lets go).
  virtual bool TryAcquire() = 0;
  // With the right: handles at most one arrival, waiting for it until `deadline`.
  virtual void PollOnce(absl::Time deadline) = 0;
  virtual void Release() = 0;
  // Makes the thread in PollOnce return soon even with nothing arrived (WorkerPool::Wake: an
  // interrupt flag was set), so polls need no short slices to see one.
  virtual void Kick() = 0;
};

class WorkerPool {
 public:
  // The transport the engine's waits poll; null (the default) means they sleep until woken.
  // Set before any engine waits, cleared after the last one is done.
  void SetPump(MessagePump* pump);
  // The pump was released: a wait that found it taken may now poll.
  void PumpReleased();

  // Issues an id for a worker that will open a session with it.
  std::string Register(const std::string& name);
  // A session opened with `worker_id`; fails for an id that was never issued or is connected.
  absl::Status Attach(const std::string& worker_id, std::shared_ptr<WorkerLink> link);
  // The session ended: the worker is gone, and any job waiting on it is woken.
  void Detach(const std::string& worker_id);

  void OnShardsReady(const std::string& worker_id, const std::string& job_id,
                     std::span<const int> shards);
  void OnPartial(const std::string& worker_id, const std::string& job_id, int64_t sequence,
                 std::span<const double> values, double busy_seconds, int64_t work_units);
  void OnWorkerError(const std::string& worker_id, const std::string& job_id,
                     const std::string& message);

  // Ends every session (scheduler shutdown), so their handler threads return at once.
  void DisconnectAll();

  struct WorkerSummary {
    std::string id;
    std::string name;
    std::string job_id;  // empty while idle
    int64_t connected_unix_ms = 0;
    int shards_loaded = 0;  // shards it reported ready for its job since it was claimed
  };
  // The connected workers, ordered by id.
  std::vector<WorkerSummary> Connected() const;
  int ConnectedCount() const;

  // --- For the engine of `job_id` (one engine per job). ---

  // Claims up to `max_count` idle workers for the job, longest-registered first, and returns
  // their ids. Workers in `exclude` are passed over.
  std::vector<std::string> ClaimIdle(const std::string& job_id, int max_count,
                                     const absl::flat_hash_set<std::string>& exclude = {});
  // Gang claim: all `count` workers at once, longest-registered first, or none (empty) when
  // fewer are idle. Atomic, so two jobs never split the idle workers between them.
  std::vector<std::string> ClaimAll(const std::string& job_id, int count);
  // Returns a worker to the idle set (if still connected).
  void Release(const std::string& worker_id, const std::string& job_id);
  std::shared_ptr<WorkerLink> Link(const std::string& worker_id) const;
  // Prepares the mailbox of each worker for the reply to task `sequence` (unique per task the
  // engine sends, so a late reply to an abandoned attempt of a round is never taken for a
  // repeat's). Replies still awaited from earlier tasks are abandoned.
  void ExpectReplies(std::span<const std::string> worker_ids, int64_t sequence);
  // The same, keeping the replies already awaited (pipelined rounds: several tasks in flight).
  void ExpectAnotherReply(std::span<const std::string> worker_ids, int64_t sequence);

  enum class WaitResult { kDone, kWorkerLost, kWorkerError, kTimeout, kInterrupted };
  struct WaitOutcome {
    WaitResult result = WaitResult::kDone;
    std::string worker_id;  // the lost / failing / late worker, if any
    std::string message;    // its error message, for kWorkerError
  };

  // Waits until each worker has reported `expected[i]` shards ready since it was claimed.
  WaitOutcome AwaitReady(const std::string& job_id, std::span<const std::string> worker_ids,
                         std::span<const int> expected, absl::Time deadline,
                         const std::atomic<bool>* interrupt);
  // Waits for every worker's partial to task `sequence`, then swaps them into `partials` (same
  // order), which keeps buffers cycling between pool and engine with no allocation. Replies
  // awaited from tasks sent before `sequence` are abandoned.
  WaitOutcome AwaitPartials(const std::string& job_id, int64_t sequence,
                            std::span<const std::string> worker_ids,
                            std::span<core::Partial> partials, absl::Time deadline,
                            const std::atomic<bool>* interrupt);
  // Waits until at least `count` workers outside `exclude` are idle (or interrupt/deadline);
  // true if they are.
  bool AwaitIdle(int count, absl::Time deadline, const std::atomic<bool>* interrupt,
                 const absl::flat_hash_set<std::string>& exclude = {});
  // Idle workers outside `exclude`: those ClaimIdle would hand out.
  int IdleCount(const absl::flat_hash_set<std::string>& exclude = {}) const;

  // Re-evaluates waits, e.g. after an interrupt flag was set (a wait polling the pump is kicked).
  void Wake();

  // --- For the job dispatcher. ---

  // A number that grows whenever a worker connects, leaves or is released, and on Wake: what
  // the dispatcher read before deciding, to wait for the next change without missing one.
  int64_t ChangeEpoch() const;
  // Waits until the epoch passes `seen` (or the deadline).
  void AwaitChange(int64_t seen, absl::Time deadline) const;

 private:
  struct Worker {
    std::string id;
    int64_t number = 0;  // registration order
    std::string name;
    std::shared_ptr<WorkerLink> link;
    bool connected = false;
    int64_t connected_unix_ms = 0;
    std::string job_id;  // empty while idle
    int ready_shards = 0;
    // Replies awaited, in the order their tasks were sent: slots [0, awaited) are in use; the
    // others keep their buffers for reuse.
    struct Reply {
      int64_t sequence = -1;
      bool arrived = false;
      core::Partial partial;
    };
    std::vector<Reply> replies;
    size_t awaited = 0;
    std::string error;
  };
  // The slot awaiting the reply to `sequence`, or null. Requires mu_.
  static Worker::Reply* Awaiting(Worker& worker, int64_t sequence);
  static void Expect(Worker& worker, int64_t sequence, bool keep_earlier);

  // Waits, with mu_ held, until `settled` or the deadline, polling the pump while it is free.
  template <typename Settled>
  void AwaitPolling(Settled& settled, absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Null when unknown. Requires mu_.
  Worker* Find(const std::string& worker_id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int IdleCountLocked(const absl::flat_hash_set<std::string>& exclude) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::string> ClaimLocked(const std::string& job_id, int max_count,
                                       const absl::flat_hash_set<std::string>& exclude)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t wake_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  MessagePump* pump_ ABSL_GUARDED_BY(mu_) = nullptr;
  int64_t pump_releases_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, std::unique_ptr<Worker>> workers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strads::scheduler
