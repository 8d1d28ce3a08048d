// The stateless worker: registers with the scheduler, keeps one Session stream open, fetches the
// shards it is assigned, and for every task applies the previous round's cache update, runs the
// app's push over its shards and reports the partial. Everything it holds can be rebuilt from the
// scheduler, so losing it costs time, never correctness. When the scheduler goes away it
// reconnects and registers again.
// Threading: Run() serves on the calling thread, which splits the apps' pushes and cache updates
// over a team of options.threads threads (member 0 is the Run thread); Stop() may be called from
// any thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/app.h"
#include "core/limits.h"
#include "core/thread_team.h"
#include "grpcpp/client_context.h"
#include "protos/connection.h"
#include "strads/v1/strads.grpc.pb.h"

namespace strads::worker {

struct WorkerOptions {
  std::string scheduler_address = "127.0.0.1:7070";
  std::string name;  // shown in the scheduler's logs; defaults to the host name
  // Threads for the apps' pushes and cache updates; 0 means the cores this process may use
  // (core::AvailableCoresOfThisProcess: its affinity mask under its container's CPU limit).
  int threads = 0;
  bool reconnect = true;
  absl::Duration reconnect_delay = absl::Seconds(1);
  proto::ConnectionOptions connection;  // TLS and the worker token
  // Test-only: sleep this long per reported work unit, to model a machine slow on the app's
  // work units (e.g. per rating) only.
  double test_delay_ns_per_unit = 0;
  // Test-only: make every apply + push take this many times as long (sleeping the difference),
  // to model a uniformly slower machine.
  double test_slowdown = 1;
  // A partial larger than this is reported as an error instead of being sent (which would break
  // the session); lower only in tests.
  int64_t max_message_bytes = core::kMaxMessageBytes;
};

// What a worker has done since it started, for operators (strads-worker --http-listen).
struct WorkerCounters {
  double busy_seconds = 0;     // applying updates and computing pushes
  int64_t pushes = 0;          // partial results sent
  int64_t bytes_received = 0;  // shard bytes and task messages from the scheduler
  // Registered with the scheduler and its session stream open: it can take work.
  bool ready = false;
};

class WorkerRuntime {
 public:
  explicit WorkerRuntime(WorkerOptions options);
  ~WorkerRuntime();

  // Serves until Stop(), or until the first session ends when reconnect is off.
  absl::Status Run();
  void Stop();
  // Any thread.
  WorkerCounters Counters() const;

 private:
  struct JobContext {
    std::unique_ptr<core::WorkerApp> app;
    core::Payload apply;
    core::Payload push;
    core::Partial partial;
  };
  using Stream = grpc::ClientReaderWriter<v1::WorkerMessage, v1::SchedulerMessage>;

  absl::Status ServeSession();
  // Each returns an error message for the scheduler, or empty on success.
  std::string HandleAssign(const v1::AssignShards& assign, Stream* stream);
  // One task, or a batch of them run in order and answered in one message.
  std::string HandleTask(const v1::Task& task, Stream* stream);
  std::string HandleTaskBatch(const v1::TaskBatch& batch, Stream* stream);
  // Applies and pushes one task; fills `partial` when the task wants a reply.
  std::string RunTask(const v1::Task& task, v1::PartialResult* partial);
  absl::StatusOr<std::string> FetchShard(const std::string& job_id, int shard);

  WorkerOptions options_;
  // Lent to every job's app; only the Run thread starts loops on it.
  std::unique_ptr<core::ThreadTeam> team_;
  std::string worker_id_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::WorkerService::Stub> stub_;
  absl::flat_hash_map<std::string, JobContext> jobs_;  // only the Run thread touches it
  v1::WorkerMessage reply_;                            // reused for every partial
  v1::WorkerMessage batch_reply_;                      // reused for every batch's partials

  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> busy_nanoseconds_{0};
  std::atomic<int64_t> pushes_{0};
  std::atomic<int64_t> bytes_received_{0};
  std::atomic<bool> ready_{false};
  absl::Mutex mu_;
  grpc::ClientContext* session_context_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace strads::worker
