// strads-worker --http-listen: /healthz (alive), /readyz (registered with the scheduler and its
// session open; 503 otherwise) and /metrics, for probes and Prometheus. A thin adapter over
// WorkerRuntime::Counters. Threads: cpp-httplib's; Start/Stop from one thread.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "ops_http/http_listener.h"
#include "worker_service/http/worker_metrics.h"
#include "worker_service/worker_runtime.h"

namespace strads::worker {

class WorkerHttpServer {
 public:
  // `runtime` must outlive this server.
  WorkerHttpServer(const WorkerRuntime* runtime, std::string listen_address);
  ~WorkerHttpServer() { Stop(); }

  absl::Status Start();
  int port() const { return listener_.port(); }
  void Stop() { listener_.Stop(); }

 private:
  const WorkerRuntime* runtime_;
  std::string listen_address_;
  WorkerMetrics metrics_;
  ops::HttpListener listener_;
};

}  // namespace strads::worker
