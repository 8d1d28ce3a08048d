#include "scheduler_service/http/http_access.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace strads::scheduler {

std::string HttpAuthorization(absl::string_view authorization_header,
                              absl::string_view cookie_header) {
  if (!authorization_header.empty()) return std::string(authorization_header);
  for (absl::string_view cookie : absl::StrSplit(cookie_header, ';')) {
    cookie = absl::StripAsciiWhitespace(cookie);
    const size_t equals = cookie.find('=');
    if (equals == absl::string_view::npos || cookie.substr(0, equals) != kTokenCookie) continue;
    const absl::string_view hex = cookie.substr(equals + 1);
    if (hex.empty() || hex.size() % 2 != 0) return "";
    for (char c : hex) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return "";
    }
    return absl::StrCat("Bearer ", absl::HexStringToBytes(hex));
  }
  return "";
}

std::string TokenCookie(absl::string_view token) {
  return absl::StrCat(kTokenCookie, "=", absl::BytesToHexString(token),
                      "; Path=/; HttpOnly; SameSite=Strict");
}

}  // namespace strads::scheduler
