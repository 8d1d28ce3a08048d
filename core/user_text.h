// Text that came from a user's file, made safe to put in an error message, and the small
// conventions of text files that readers share. Messages end up in JSON job records and on
// terminals, so they must be valid UTF-8 and of sensible length whatever the file held.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace strads::core {

// `text` in single quotes, cut to `max_chars` bytes (then "..." and the full length), with every
// byte outside printable ASCII written as \xNN: a binary or gzipped file gives a readable
// message, not raw bytes (nor invalid UTF-8, which JSON cannot carry).
std::string QuoteUserText(std::string_view text, size_t max_chars = 40);

// `text` with every byte that is not part of a well-formed UTF-8 sequence written as \xNN:
// messages that may carry a file's bytes (or a path's) become valid UTF-8, as protobuf strings
// and JSON require.
std::string ValidUtf8(std::string_view text);

// `text` without a leading UTF-8 byte-order mark (as some editors and spreadsheets write).
std::string_view StripUtf8Bom(std::string_view text);

}  // namespace strads::core
