// How the services' log lines look: spdlog's text (the default) or one JSON object per line for
// log collectors (`--log-format json`). The JSON line carries time, level and message, plus each
// `key=value` field of the message (job, round, worker, ...) as a field of its own.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace strads::core {

inline constexpr char kLogFormatHelp[] =
    "text (spdlog's lines) or json (one JSON object per line: time, level, message and the "
    "message's key=value fields such as job and round)";

// {"time":"2026-12-06T05:20:01.123Z","level":"info","message":"event=checkpoint job=job-1
// next_round=7","event":"checkpoint","job":"job-1","next_round":7}. Integer field values become
// JSON numbers, others strings ("quoted values" lose their quotes); a field named time, level or
// message does not replace those. Invalid UTF-8 is replaced, so the line always parses.
std::string JsonLogLine(absl::Time time, std::string_view level, std::string_view message);

// Installs `format` ("text" or "json") on spdlog's default logger.
absl::Status SetLogFormat(std::string_view format);

}  // namespace strads::core
