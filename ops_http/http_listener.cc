#include "ops_http/http_listener.h"

#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/host_port.h"
#include "nlohmann/json.hpp"

namespace strads::ops {

HttpListener::HttpListener() : server_(std::make_unique<httplib::Server>()) {}

HttpListener::~HttpListener() { Stop(); }

absl::Status HttpListener::Listen(const std::string& what, const std::string& address) {
  if (absl::Status status = core::CheckHostPort(what, address, 0); !status.ok()) return status;
  const size_t colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port)) port = 0;
  const bool bound =
      port == 0 ? (port_ = server_->bind_to_any_port(host)) > 0 : server_->bind_to_port(host, port);
  if (!bound) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " (", what,
                     "): address in use, or not an address of this machine"));
  }
  if (port != 0) port_ = port;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void HttpListener::Stop() {
  if (!thread_.joinable()) return;
  // stop() closes the socket only once the loop runs; before that it would be missed.
  for (int waited = 0; !server_->is_running() && waited < 2000; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_->stop();
  thread_.join();
}

std::string ErrorJson(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump();
}

}  // namespace strads::ops
