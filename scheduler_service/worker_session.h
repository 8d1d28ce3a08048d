// One worker's Session stream on the scheduler side, over gRPC's async API: the SessionQueue
// hands it each completion of its stream (on whichever thread polls the queue, one at a time),
// it delivers what the worker sends into the WorkerPool, and it is the WorkerLink the engine
// writes through.
// Ownership: the SessionQueue keeps a session until its call is over (every operation completed
// and gRPC said the call is done); the WorkerPool may hold the link (this object) longer, so it
// is shared, and once the call is over every Send returns false without touching it.
// Threads: reactions run on the polling thread, Send*/Disconnect on any thread; state under mu_.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/async_stream.h"
#include "scheduler_service/access_policy.h"
#include "scheduler_service/worker_link.h"
#include "scheduler_service/worker_pool.h"
#include "strads/v1/strads.grpc.pb.h"

namespace strads::scheduler {

class WorkerSession final : public WorkerLink, public std::enable_shared_from_this<WorkerSession> {
 public:
  using Stream = grpc::ServerAsyncReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>;

  // What a completion on the queue stands for; its tag is the address of one of these.
  struct Event {
    enum Kind { kAccepted, kRead, kWritten, kFinished, kDone };
    WorkerSession* session = nullptr;
    Kind kind = kAccepted;
  };

  WorkerSession(WorkerPool* pool, const AccessPolicy* access);

  // The call this session is offered for (RequestSession's arguments), before it is accepted.
  grpc::ServerContext* offered_context() { return &offered_->context; }
  Stream* offered_stream() { return &offered_->stream; }
  void* accepted_tag() { return &events_[Event::kAccepted]; }

  // A completion of this session's call. Returns true once the call is over: nothing of it is
  // pending, and the queue may let the session go.
  bool React(Event::Kind kind, bool ok);

  // WorkerLink. Messages are queued and written one at a time, in the order of the calls; a
  // call returns once its message is queued, not once it is written.
  bool SendAssign(const std::string& job_id, const core::JobSpec& spec,
                  std::span<const ShardGrant> add, std::span<const int> drop) override;
  // Several tasks go in one TaskBatch to a worker that said it takes batches.
  bool SendTasks(const std::string& job_id, std::span<const OutgoingTask> tasks) override;
  bool SendRelease(const std::string& job_id) override;
  void Disconnect() override;

  // Messages a session holds unwritten at most: a worker with more does not read (a healthy one
  // has at most a pipeline's worth of tasks unanswered, kMaxPipelineDepth), and the next send
  // ends its session instead of queueing.
  static constexpr size_t kMaxQueuedMessages = 1024;

 private:
  struct Call {
    grpc::ServerContext context;
    Stream stream{&context};
  };

  void OnAccepted();
  void OnRead(bool ok);
  void OnWritten(bool ok);
  // Fills a message (a spare one, whose fields keep their capacity) and queues it.
  template <typename Fill>
  bool Send(Fill fill);
  void StartReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Keeps a written message for reuse, up to a few.
  void RecycleLocked(std::unique_ptr<v1::SchedulerMessage> message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Refuses sends from now on; the stream finishes with `status` once no write is in flight.
  void EndLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands one message after the Hello to the pool.
  void Deliver(const v1::WorkerMessage& message);
  void DeliverPartial(const v1::PartialResult& partial);

  WorkerPool* const pool_;
  const AccessPolicy* const access_;
  Event events_[5];

  // Touched only by the reactions, which run one at a time.
  v1::WorkerMessage incoming_;
  std::string worker_id_;  // set by an accepted Hello: the session is attached to the pool
  std::vector<int> shards_;
  bool accepted_ = false;
  // From the Hello; read by senders.
  std::atomic<bool> takes_task_batches_ = false;

  absl::Mutex mu_;
  std::unique_ptr<Call> call_ ABSL_GUARDED_BY(mu_);  // null once the call is over
  Call* const offered_;                              // call_ as it was made
  bool open_ ABSL_GUARDED_BY(mu_) = true;            // sends are accepted
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_due_ ABSL_GUARDED_BY(mu_) = false;  // Finish waits for the write in flight
  bool finished_ ABSL_GUARDED_BY(mu_) = false;    // Finish was called
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;   // ... and has not completed
  bool done_ ABSL_GUARDED_BY(mu_) = false;        // gRPC said the call is done
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
  // Messages accepted and not yet written; the front one is being written while writing_.
  std::deque<std::unique_ptr<v1::SchedulerMessage>> outbox_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<v1::SchedulerMessage>> spare_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strads::scheduler
