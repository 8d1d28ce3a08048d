// The HTTP port both strads-scheduler and strads-worker open with --http-listen: binds
// HOST:PORT, serves on a thread of its own with cpp-httplib, and stops cleanly. The routes are
// the caller's (scheduler_service/http, worker_service/http); this only listens.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "httplib.h"

namespace strads::ops {

class HttpListener {
 public:
  HttpListener();
  ~HttpListener();

  // Routes are added here before Listen.
  httplib::Server& server() { return *server_; }
  // Binds `address` (HOST:PORT; port 0 picks a free one) and serves in the background.
  // InvalidArgument for a malformed address, Unavailable when it cannot be bound.
  absl::Status Listen(const std::string& what, const std::string& address);
  int port() const { return port_; }
  // Stops serving and joins the thread. Idempotent.
  void Stop();

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// The one-line JSON error body of the API and probes: {"error": message}.
std::string ErrorJson(const std::string& message);

}  // namespace strads::ops
