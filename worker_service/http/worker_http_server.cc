#include "worker_service/http/worker_http_server.h"

#include <utility>

namespace strads::worker {

WorkerHttpServer::WorkerHttpServer(const WorkerRuntime* runtime, std::string listen_address)
    : runtime_(runtime), listen_address_(std::move(listen_address)), metrics_(STRADS_VERSION) {}

absl::Status WorkerHttpServer::Start() {
  httplib::Server& server = listener_.server();
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  server.Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    const bool ready = runtime_->Counters().ready;
    response.status = ready ? 200 : 503;
    response.set_content(ready ? "ready\n" : "not registered with the scheduler\n", "text/plain");
  });
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics_.Scrape(runtime_->Counters()),
                         "text/plain; version=0.0.4; charset=utf-8");
  });
  return listener_.Listen("--http-listen", listen_address_);
}

}  // namespace strads::worker
