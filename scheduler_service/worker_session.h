// One worker's Session stream on the scheduler side, as a gRPC callback reactor: it delivers what
// the worker sends into the WorkerPool from gRPC's own thread (OnReadDone), so a partial result
// wakes only the round engine, and it is the WorkerLink the engine writes through.
// Ownership: gRPC drives the reactor from Session() until OnDone; the WorkerPool may hold the
// link (this object) longer, so the object lives until both have let go (shared_ptr), and once
// the session is finishing every Send returns false without touching the stream.
// Threads: reactions run on gRPC's threads, Send*/Disconnect on any thread; state under mu_.
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
#include "grpcpp/support/server_callback.h"
#include "scheduler_service/access_policy.h"
#include "scheduler_service/worker_link.h"
#include "scheduler_service/worker_pool.h"
#include "strads/v1/strads.grpc.pb.h"

namespace strads::scheduler {

class WorkerSession final : public grpc::ServerBidiReactor<v1::WorkerMessage, v1::SchedulerMessage>,
                            public WorkerLink {
 public:
  // Starts serving the stream of `context`; gRPC owns the returned reactor until OnDone.
  static grpc::ServerBidiReactor<v1::WorkerMessage, v1::SchedulerMessage>* Start(
      grpc::CallbackServerContext* context, WorkerPool* pool, const AccessPolicy* access);

  // WorkerLink. Messages are queued and written one at a time, in the order of the calls; a
  // call returns once its message is queued, not once it is written.
  bool SendAssign(const std::string& job_id, const core::JobSpec& spec,
                  std::span<const ShardGrant> add, std::span<const int> drop) override;
  // Several tasks go in one TaskBatch to a worker that said it takes batches.
  bool SendTasks(const std::string& job_id, std::span<const OutgoingTask> tasks) override;
  bool SendRelease(const std::string& job_id) override;
  void Disconnect() override;

  // Reactions, called by gRPC.
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

  WorkerSession(grpc::CallbackServerContext* context, WorkerPool* pool);  // use Start

  // Messages a session holds unwritten at most: a worker with more does not read (a healthy one
  // has at most a pipeline's worth of tasks unanswered, kMaxPipelineDepth), and the next send
  // ends its session instead of queueing.
  static constexpr size_t kMaxQueuedMessages = 1024;

 private:
  // Fills a message (a spare one, whose fields keep their capacity) and queues it.
  template <typename Fill>
  bool Send(Fill fill);
  // Keeps a written message for reuse, up to a few.
  void RecycleLocked(std::unique_ptr<v1::SchedulerMessage> message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Refuses sends from now on; the stream finishes with `status` once no write is in flight.
  void EndLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands one message after the Hello to the pool.
  void Deliver(const v1::WorkerMessage& message);
  void DeliverPartial(const v1::PartialResult& partial);

  WorkerPool* const pool_;
  // Until OnDone, which drops it: the reactor's own reference to itself.
  std::shared_ptr<WorkerSession> self_;

  // Touched only by the read reactions, which gRPC runs one at a time.
  v1::WorkerMessage incoming_;
  std::string worker_id_;  // set by an accepted Hello: the session is attached to the pool
  std::vector<int> shards_;
  // From the Hello; read by senders.
  std::atomic<bool> takes_task_batches_ = false;

  absl::Mutex mu_;
  grpc::CallbackServerContext* context_ ABSL_GUARDED_BY(mu_);  // null from OnDone on
  bool open_ ABSL_GUARDED_BY(mu_) = true;                      // sends are accepted
  bool finish_due_ ABSL_GUARDED_BY(mu_) = false;  // Finish waits for the write in flight
  bool finished_ ABSL_GUARDED_BY(mu_) = false;    // Finish was called
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
  // Messages accepted and not yet written; the front one is being written while writing_.
  std::deque<std::unique_ptr<v1::SchedulerMessage>> outbox_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<v1::SchedulerMessage>> spare_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace strads::scheduler
