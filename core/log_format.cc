#include "core/log_format.h"

#include <chrono>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "spdlog/pattern_formatter.h"
#include "spdlog/spdlog.h"

namespace strads::core {
namespace {

bool IsKeyChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// Adds the message's `key=value` and `key="quoted value"` fields to `line`.
void AddFields(std::string_view message, nlohmann::json& line) {
  size_t i = 0;
  while (i < message.size()) {
    while (i < message.size() && absl::ascii_isspace(message[i])) ++i;
    size_t key_end = i;
    while (key_end < message.size() && IsKeyChar(message[key_end])) ++key_end;
    if (key_end == i || key_end >= message.size() || message[key_end] != '=' ||
        !absl::ascii_isalpha(message[i])) {
      // Not a field: skip this word.
      while (i < message.size() && !absl::ascii_isspace(message[i])) ++i;
      continue;
    }
    std::string key(message.substr(i, key_end - i));
    size_t value_start = key_end + 1;
    std::string value;
    bool quoted = value_start < message.size() && message[value_start] == '"';
    if (quoted) {
      // Up to the quote that ends the field: one followed by a space, ';' or the end.
      size_t end = value_start + 1;
      while (end < message.size() &&
             !(message[end] == '"' &&
               (end + 1 == message.size() || absl::ascii_isspace(message[end + 1]) ||
                message[end + 1] == ';'))) {
        ++end;
      }
      value = std::string(message.substr(value_start + 1, end - value_start - 1));
      i = end + 1;
    } else {
      size_t end = value_start;
      while (end < message.size() && !absl::ascii_isspace(message[end])) ++end;
      value = std::string(message.substr(value_start, end - value_start));
      // "shards=3; then ...": punctuation that ends a clause is not part of the value.
      while (!value.empty() && (value.back() == ';' || value.back() == ',')) value.pop_back();
      i = end;
    }
    if (key == "time" || key == "level" || key == "message" || line.contains(key)) continue;
    int64_t number = 0;
    if (!quoted && absl::SimpleAtoi(value, &number)) {
      line[key] = number;
    } else {
      line[key] = value;
    }
  }
}

class JsonLogFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const absl::Time time = absl::FromChrono(msg.time);
    const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
    std::string line = JsonLogLine(time, std::string_view(level.data(), level.size()),
                                   std::string_view(msg.payload.data(), msg.payload.size()));
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

}  // namespace

std::string JsonLogLine(absl::Time time, std::string_view level, std::string_view message) {
  nlohmann::json line = nlohmann::json::object();
  line["time"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
  line["level"] = std::string(level);
  line["message"] = std::string(message);
  AddFields(message, line);
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::Status SetLogFormat(std::string_view format) {
  if (format == "json") {
    spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
    return absl::OkStatus();
  }
  if (format == "text") return absl::OkStatus();  // spdlog's default pattern
  return absl::InvalidArgumentError(absl::StrCat("--log-format: '", std::string(format),
                                                 "' is not a log format; use text or json"));
}

}  // namespace strads::core
