// strads-scheduler --http-listen: one plaintext HTTP port for operators, next to the gRPC port.
//   /healthz   alive (always 200 while the process serves)
//   /readyz    can take work: 200, or 503 with the reason (draining, data directory not writable)
//   /metrics   Prometheus text (open, or --metrics-token-file)
//   /          the status page: jobs, their convergence curves, workers; refreshes itself
//   /login     sets the token cookie for the page when client tokens are on
//   /api/v1/jobs, /api/v1/jobs/ID (with its curve), /api/v1/workers: the page's data as JSON
// Probes stay plaintext when gRPC serves TLS, because kubelet's gRPC probes take no TLS settings.
// A thin adapter: the data comes from the SchedulerServer's job manager and worker pool, the
// JSON from jobs_api.h, the metrics from SchedulerMetrics.
// Threads: cpp-httplib serves requests on its own thread pool; Start/Stop from one thread.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "ops_http/http_listener.h"
#include "scheduler_service/access_policy.h"
#include "scheduler_service/http/scheduler_metrics.h"
#include "scheduler_service/scheduler_server.h"

namespace strads::scheduler {

struct SchedulerHttpOptions {
  std::string listen_address = "127.0.0.1:0";  // port 0 picks a free port
  std::string client_token;                    // the page and the API need it when set
  std::string metrics_token;                   // /metrics needs it when set
};

class SchedulerHttpServer {
 public:
  // `scheduler` and `metrics` must outlive this server.
  SchedulerHttpServer(SchedulerServer* scheduler, SchedulerMetrics* metrics,
                      SchedulerHttpOptions options);
  ~SchedulerHttpServer();

  // Binds and starts serving; Unavailable naming the address when it cannot listen.
  absl::Status Start();
  int port() const { return listener_.port(); }
  // Stops serving and joins the server thread. Idempotent.
  void Stop();

 private:
  void Route();

  SchedulerServer* scheduler_;
  SchedulerMetrics* metrics_;
  SchedulerHttpOptions options_;
  AccessPolicy page_access_;
  AccessPolicy metrics_access_;
  ops::HttpListener listener_;
};

}  // namespace strads::scheduler
