// Who may read the scheduler's HTTP port. The status page and the JSON API show the same job data
// as the CLI, so they take the client token: an "Authorization: Bearer <token>" header (scripts),
// or the cookie the login form sets (browsers). /metrics is open, or takes a token of its own so
// a Prometheus server needs no client token. Probes (/healthz, /readyz) are always open.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "scheduler_service/access_policy.h"

namespace strads::scheduler {

inline constexpr char kTokenCookie[] = "strads_token";

// The request's credentials as an Authorization value ("Bearer <token>"): the header when it is
// there, otherwise the token of the login cookie; empty when neither.
std::string HttpAuthorization(absl::string_view authorization_header,
                              absl::string_view cookie_header);
// The Set-Cookie value that carries `token` (hex-encoded: a token file may hold any bytes).
std::string TokenCookie(absl::string_view token);

}  // namespace strads::scheduler
