// The scheduler process in one object: job manager, worker pool, shard catalogue and the gRPC
// server carrying JobService, WorkerService, health and reflection. Used by strads-scheduler, by
// `strads run` (in-process local cluster) and by integration tests.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/server.h"
#include "scheduler_service/data_uploads.h"
#include "scheduler_service/job_manager.h"
#include "scheduler_service/job_service_impl.h"
#include "scheduler_service/scheduler_observer.h"
#include "scheduler_service/scheduler_readiness.h"
#include "scheduler_service/shard_catalogue.h"
#include "scheduler_service/worker_pool.h"
#include "scheduler_service/worker_service_impl.h"

namespace strads::scheduler {

struct SchedulerServerOptions {
  std::string listen_address = "127.0.0.1:0";  // port 0 picks a free port
  JobManagerOptions jobs;
  int64_t max_upload_bytes = int64_t{64} << 30;
  // Bearer tokens of the two roles; both empty = no authentication (trusted network).
  std::string client_token;
  std::string worker_token;
  // PEM certificate chain and private key: serve TLS instead of plaintext.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // Counts rounds, drops, checkpoints and shard bytes for operators; may be null. Not owned.
  SchedulerObserver* observer = nullptr;
};

class SchedulerServer {
 public:
  explicit SchedulerServer(SchedulerServerOptions options);
  ~SchedulerServer();

  absl::Status Start();
  // "host:port" actually bound, valid after Start.
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  void Wait();
  // Cancels running jobs, closes streams, stops serving. Idempotent. Drains first: readiness
  // (gRPC health, Ready) says NOT_SERVING from the moment it is called.
  void Shutdown();
  // OK when the scheduler can take work: not draining, data directory writable. The gRPC health
  // service follows it (checked every second, and at once when a drain begins).
  absl::Status Ready() const { return readiness_.Check(); }

  JobManager& jobs() { return jobs_; }
  WorkerPool& pool() { return pool_; }

 private:
  SchedulerServerOptions options_;
  WorkerPool pool_;
  ShardCatalogue catalogue_;
  JobManager jobs_;
  DataUploads uploads_;
  AccessPolicy access_;
  JobServiceImpl job_service_;
  WorkerServiceImpl worker_service_;
  SchedulerReadiness readiness_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  int port_ = 0;
  bool shut_down_ = false;
  // Keeps the gRPC health status in step with readiness_ until Shutdown.
  void FollowReadiness();
  void PublishReadiness();
  absl::Mutex health_mu_;
  bool health_stop_ ABSL_GUARDED_BY(health_mu_) = false;
  std::thread health_thread_;
  std::atomic<int> last_serving_{-1};  // what the log said last: 1 serving, 0 not, -1 nothing
};

}  // namespace strads::scheduler
