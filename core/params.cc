#include "core/params.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace strads::core {
namespace {

// This Abseil build has its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW is 0), which
// does not convert from std::string_view.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string RangeText(std::string_view name, double min, double max, absl::string_view got) {
  const bool has_min =
      min > -std::numeric_limits<double>::infinity() && min > std::numeric_limits<double>::lowest();
  const bool has_max =
      max < std::numeric_limits<double>::infinity() && max < std::numeric_limits<double>::max();
  if (has_min && has_max) {
    return absl::StrCat(Av(name), " must be in [", min, ", ", max, "], got ", got);
  }
  if (has_min) return absl::StrCat(Av(name), " must be >= ", min, ", got ", got);
  return absl::StrCat(Av(name), " must be <= ", max, ", got ", got);
}

std::string IntRangeText(std::string_view name, int64_t min, int64_t max, absl::string_view got) {
  const bool has_min = min > std::numeric_limits<int64_t>::min();
  const bool has_max = max < std::numeric_limits<int64_t>::max();
  if (has_min && has_max) {
    return absl::StrCat(Av(name), " must be in [", min, ", ", max, "], got ", got);
  }
  if (has_min) return absl::StrCat(Av(name), " must be >= ", min, ", got ", got);
  return absl::StrCat(Av(name), " must be <= ", max, ", got ", got);
}

// Marks `name` as used and returns its text, stripped of surrounding blanks, or null when absent.
// The map's comparator is std::less<std::string>, so the lookup needs a std::string key.
const std::string* Lookup(const std::map<std::string, std::string>& params,
                          std::set<std::string, std::less<>>& used, std::string_view name) {
  used.emplace(name);
  auto it = params.find(std::string(name));
  return it == params.end() ? nullptr : &it->second;
}

}  // namespace

absl::StatusOr<double> ParamReader::Double(std::string_view name, double default_value, double min,
                                           double max) {
  const std::string* found = Lookup(params_, used_, name);
  if (found == nullptr) return default_value;
  const absl::string_view text = absl::StripAsciiWhitespace(*found);
  const char* b = text.data();
  const char* e = b + text.size();
  if (b != e && *b == '+') ++b;
  double v = 0;
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (b == e || ec != std::errc() || ptr != e || std::isnan(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(name), " must be a number, got '", text, "'"));
  }
  if (v < min || v > max) return absl::InvalidArgumentError(RangeText(name, min, max, text));
  return v;
}

absl::StatusOr<int64_t> ParamReader::Int(std::string_view name, int64_t default_value, int64_t min,
                                         int64_t max) {
  const std::string* found = Lookup(params_, used_, name);
  if (found == nullptr) return default_value;
  const absl::string_view text = absl::StripAsciiWhitespace(*found);
  const char* b = text.data();
  const char* e = b + text.size();
  if (b != e && *b == '+') ++b;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (b == e || ptr != e || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(name), " must be an integer, got '", text, "'"));
  }
  if (ec == std::errc::result_out_of_range || v < min || v > max) {
    return absl::InvalidArgumentError(IntRangeText(name, min, max, text));
  }
  return v;
}

absl::StatusOr<bool> ParamReader::Bool(std::string_view name, bool default_value) {
  const std::string* found = Lookup(params_, used_, name);
  if (found == nullptr) return default_value;
  const absl::string_view text = absl::StripAsciiWhitespace(*found);
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "true" || lower == "1" || lower == "yes") return true;
  if (lower == "false" || lower == "0" || lower == "no") return false;
  return absl::InvalidArgumentError(
      absl::StrCat(Av(name), " must be true or false (or 1/0, yes/no), got '", text, "'"));
}

absl::StatusOr<std::string> ParamReader::Choice(std::string_view name,
                                                std::string_view default_value,
                                                std::initializer_list<std::string_view> choices) {
  const std::string* found = Lookup(params_, used_, name);
  if (found == nullptr) return std::string(default_value);
  const absl::string_view text = absl::StripAsciiWhitespace(*found);
  for (std::string_view c : choices) {
    if (Av(c) == text) return std::string(c);
  }
  std::string message = absl::StrCat(Av(name), " must be one of ");
  bool first = true;
  for (std::string_view c : choices) {
    absl::StrAppend(&message, first ? "" : "|", Av(c));
    first = false;
  }
  absl::StrAppend(&message, ", got '", text, "'");
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<std::string> ParamReader::String(std::string_view name,
                                                std::string_view default_value) {
  const std::string* found = Lookup(params_, used_, name);
  if (found == nullptr) return std::string(default_value);
  return *found;
}

absl::Status ParamReader::CheckAllUsed() const {
  std::string unknown;
  for (const auto& [name, value] : params_) {
    if (used_.find(name) != used_.end()) continue;
    absl::StrAppend(&unknown, unknown.empty() ? "" : ", ", "'", name, "'");
  }
  if (unknown.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("unknown parameter(s): ", unknown));
}

absl::StatusOr<StopRules> ResolveStopRules(int64_t max_rounds, double tolerance,
                                           int64_t default_max_rounds, double default_tolerance,
                                           std::string_view tolerance_meaning) {
  if (max_rounds < 0) {
    return absl::InvalidArgumentError(absl::StrCat("max_rounds must be >= 0 (0 = default ",
                                                   default_max_rounds, "), got ", max_rounds));
  }
  if (!(tolerance >= 0 && tolerance < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tolerance (", absl::string_view(tolerance_meaning.data(), tolerance_meaning.size()),
        ") must be in [0, 1) (0 = default ", default_tolerance, "), got ", tolerance));
  }
  return StopRules{max_rounds > 0 ? max_rounds : default_max_rounds,
                   tolerance > 0 ? tolerance : default_tolerance};
}

}  // namespace strads::core
