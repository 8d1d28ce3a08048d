// The scheduler process in one object: job manager, worker pool, shard catalogue and the gRPC
// server carrying JobService, WorkerService, health and reflection. Used by strads-scheduler, by
// `strads run` (in-process local cluster) and by integration tests.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/server.h"
#include "scheduler_service/data_uploads.h"
#include "scheduler_service/job_manager.h"
#include "scheduler_service/job_service_impl.h"
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
  // Cancels running jobs, closes streams, stops serving. Idempotent.
  void Shutdown();

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
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace strads::scheduler
