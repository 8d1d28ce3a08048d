// Checks of HOST:PORT addresses given on command lines (--server, --listen, --scheduler). gRPC
// accepts much that is wrong (no port means 443, port 99999 wraps to 34463), so each program
// checks before it listens or connects.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace strads::core {

inline constexpr int kMaxPort = 65535;

// OK when `address` is HOST:PORT (IPv6 hosts in brackets: [::1]:7070) with a port in
// [min_port, 65535]; min_port 0 is for listening, where port 0 picks a free one. Otherwise a
// message that starts with `what` (the flag or setting the address came from).
inline absl::Status CheckHostPort(absl::string_view what, absl::string_view address, int min_port) {
  auto invalid = [&](absl::string_view problem) {
    return absl::InvalidArgumentError(absl::StrCat(what, " '", address, "': ", problem));
  };
  if (address.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is empty; give HOST:PORT"));
  }
  const size_t colon = address.rfind(':');
  const size_t bracket = address.rfind(']');
  if (colon == absl::string_view::npos || (bracket != absl::string_view::npos && colon < bracket)) {
    return invalid("no port; give HOST:PORT, e.g. 127.0.0.1:7070");
  }
  const absl::string_view host = address.substr(0, colon);
  const absl::string_view port_text = address.substr(colon + 1);
  if (host.empty()) return invalid("no host; give HOST:PORT, e.g. 127.0.0.1:7070");
  const bool bracketed = host.front() == '[' && host.back() == ']' && host.size() > 2;
  if (!bracketed && host.find_first_of(":[]") != absl::string_view::npos) {
    return invalid("an IPv6 host goes in brackets, e.g. [::1]:7070");
  }
  for (char c : host) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '/') {
      return invalid("the host is not a host name or IP address");
    }
  }
  int port = -1;
  const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                      port_text.find_first_not_of("0123456789") == absl::string_view::npos;
  if (!digits || !absl::SimpleAtoi(port_text, &port) || port < min_port || port > kMaxPort) {
    return invalid(absl::StrCat("the port must be a number from ", min_port, " to ", kMaxPort,
                                min_port == 0 ? " (0 picks a free port)" : "", ", got '", port_text,
                                "'"));
  }
  return absl::OkStatus();
}

}  // namespace strads::core
