// Numbers as data files write them, parsed strictly (the whole token, nothing left over), shared
// by the readers so that every format accepts and refuses the same spellings.
#pragma once

#include <cstdint>
#include <string_view>

namespace strads::core {

// All of `s` as a double. A leading '+' is accepted (LIBSVM labels are often "+1"); underflow
// (1e-400) reads as strtod rounds it; overflow (1e999) is refused rather than saturated. "nan" and
// "inf" parse: callers that need finite values check.
bool ParseDouble(std::string_view s, double* out);

// All of `s` as a decimal integer, an optional leading '+' accepted.
bool ParseInt(std::string_view s, int64_t* out);

}  // namespace strads::core
