#include "core/number_text.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <system_error>

namespace strads::core {

bool ParseDouble(std::string_view s, double* out) {
  const char* b = s.data();
  const char* e = b + s.size();
  if (b != e && *b == '+') {
    ++b;
    if (b != e && (*b == '-' || *b == '+')) return false;
  }
  if (b == e) return false;
  auto [ptr, ec] = std::from_chars(b, e, *out);
  if (ec == std::errc::result_out_of_range && ptr == e) {
    // Underflow is a number, just smaller than a double holds: it reads as strtod rounds it, 0 or
    // a subnormal. Overflow is refused rather than silently saturated.
    const std::string copy(b, e);
    const double value = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(value)) return false;
    *out = value;
    return true;
  }
  return ec == std::errc() && ptr == e;
}

bool ParseInt(std::string_view s, int64_t* out) {
  const char* b = s.data();
  const char* e = b + s.size();
  if (b != e && *b == '+') ++b;
  if (b == e) return false;
  auto [ptr, ec] = std::from_chars(b, e, *out);
  return ec == std::errc() && ptr == e;
}

}  // namespace strads::core
