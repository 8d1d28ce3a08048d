// Who may call what. Clients (the CLI) and workers authenticate with bearer tokens of separate
// roles, so a worker's token cannot submit or read jobs and a client's token cannot pose as a
// worker and receive data. With no tokens configured the scheduler is open (a trusted network or
// loopback). The health service and reflection stay open: they reveal no model or data.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strads::scheduler {

enum class Role { kClient, kWorker };

class AccessPolicy {
 public:
  AccessPolicy() = default;
  AccessPolicy(std::string client_token, std::string worker_token)
      : client_token_(std::move(client_token)), worker_token_(std::move(worker_token)) {}

  bool open() const { return client_token_.empty() && worker_token_.empty(); }

  // `authorization` is the request's "authorization" metadata ("Bearer <token>"), or empty.
  // Unauthenticated when it is missing or malformed, PermissionDenied when the token is not the
  // one of `role`; the message says what to pass.
  absl::Status Check(Role role, std::string_view authorization) const;

 private:
  std::string client_token_;
  std::string worker_token_;
};

// Reads a token file: its first line, trimmed; an error when missing or empty.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

}  // namespace strads::scheduler
