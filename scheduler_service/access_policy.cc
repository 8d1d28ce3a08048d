#include "scheduler_service/access_policy.h"

#include <algorithm>
#include <fstream>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace strads::scheduler {
namespace {

// Compares in time independent of where the strings differ, so response timing does not leak
// how much of a guessed token was right.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    difference |= static_cast<unsigned char>(x ^ y);
  }
  return difference == 0;
}

}  // namespace

absl::Status AccessPolicy::Check(Role role, std::string_view authorization) const {
  const std::string& expected = role == Role::kClient ? client_token_ : worker_token_;
  const char* who = role == Role::kClient ? "clients" : "workers";
  if (open()) return absl::OkStatus();
  if (expected.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("this scheduler admits no ", who, " (no token configured for them)"));
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) != kBearer) {
    return absl::UnauthenticatedError(
        absl::StrCat("this scheduler requires a token from ", who,
                     "; pass --token-file (or set STRADS_TOKEN_FILE)"));
  }
  if (!ConstantTimeEquals(authorization.substr(kBearer.size()), expected)) {
    return absl::PermissionDeniedError(
        absl::StrCat("the token is not valid for ", who, " of this scheduler"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read token file '", path, "'"));
  std::string line;
  std::getline(in, line);
  std::string token(absl::StripAsciiWhitespace(line));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("token file '", path, "' is empty"));
  }
  return token;
}

}  // namespace strads::scheduler
