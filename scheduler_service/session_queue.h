// The completion queue of every worker's Session stream, and who polls it. gRPC's async API
// leaves the polling to us, which is the point: a round engine waiting for partials polls the
// queue itself (MessagePump), so a worker's reply is read, delivered and acted on by one thread,
// with no hand-off. That saves the context switches that made a round cost ~1.5x a bare
// ping-pong on loopback with the callback API (docs/benchmarks.md).
// One thread polls at a time (the right to poll is taken and released), so a session's reactions
// never run concurrently. When no engine polls, a background thread does: it takes over once no
// engine has polled for kQuiet, and gives the queue back as soon as an engine asks for it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/alarm.h"
#include "grpcpp/completion_queue.h"
#include "scheduler_service/access_policy.h"
#include "scheduler_service/worker_pool.h"
#include "scheduler_service/worker_session.h"

namespace strads::scheduler {

class SessionQueue final : public MessagePump {
 public:
  // Offers one call of WorkerService.Session for a session (RequestSession).
  using RequestFn = std::function<void(grpc::ServerContext*, WorkerSession::Stream*,
                                       grpc::ServerCompletionQueue*, void* tag)>;

  SessionQueue(WorkerPool* pool, const AccessPolicy* access) : pool_(pool), access_(access) {}
  ~SessionQueue() override;

  // Once the server is built with `queue`: accepts sessions, polls, and lends the pool the
  // queue for its waits.
  void Start(std::unique_ptr<grpc::ServerCompletionQueue> queue, RequestFn request);
  // After the server has shut down (its calls are over): drains the queue and stops polling.
  void Stop();

  // MessagePump.
  bool TryAcquire() override;
  void PollOnce(absl::Time deadline) override;
  void Release() override;
  void Kick() override;

  // How long no engine must have polled before the background thread takes the queue. It looks
  // after kQuiet, then less and less often (up to kQuietMax) while engines keep polling, so a
  // long job wakes it a few times a second, not a hundred.
  static constexpr absl::Duration kQuiet = absl::Milliseconds(10);
  static constexpr absl::Duration kQuietMax = absl::Milliseconds(200);

 private:
  // Offers the next call to a new session.
  void Offer();
  // Runs the reaction of one completion.
  void Handle(void* tag, bool ok);
  // Handles one completion, waiting for it until `deadline`; false once the queue is shut down
  // and drained.
  bool Next(absl::Time deadline);
  void BackgroundLoop();

  WorkerPool* const pool_;
  const AccessPolicy* const access_;
  std::unique_ptr<grpc::ServerCompletionQueue> queue_;
  RequestFn request_;
  // Sessions whose calls are not over, by address; touched only by the polling thread.
  absl::flat_hash_map<WorkerSession*, std::shared_ptr<WorkerSession>> sessions_;
  std::thread background_;
  // Set by a waiter that found the queue taken; read by the background poller between events.
  std::atomic<bool> wanted_ = false;
  // The thread with the right to poll (none while nobody has it): Handle checks it is the caller.
  std::atomic<std::thread::id> poller_;

  absl::Mutex mu_;
  bool polling_ ABSL_GUARDED_BY(mu_) = false;  // someone has the right to poll
  bool drained_ ABSL_GUARDED_BY(mu_) = false;  // the queue is shut down and empty
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Accepted calls not over yet: the queue may shut down only at none, since a call that is not
  // over still starts operations on it (its Finish, after the server cancelled it).
  int open_calls_ ABSL_GUARDED_BY(mu_) = 0;
  // A kick is an alarm due at once; one at a time, and none once the queue is shutting down.
  std::unique_ptr<grpc::Alarm> kick_ ABSL_GUARDED_BY(mu_);
  bool kick_pending_ ABSL_GUARDED_BY(mu_) = false;
  // The kick's tag: an event of no session.
  WorkerSession::Event kick_event_;
  absl::Time last_engine_poll_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace strads::scheduler
