// Typed, validated access to a job's text parameters, with messages a user can act on
// ("lambda must be >= 0, got -1"). Unknown parameter names are reported too, so a typo is never
// silently ignored.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strads::core {

class ParamReader {
 public:
  explicit ParamReader(const std::map<std::string, std::string>& params) : params_(params) {}

  // Each returns the default when the name is absent, and an InvalidArgument error naming the
  // parameter when the text does not parse or is outside [min, max].
  absl::StatusOr<double> Double(std::string_view name, double default_value, double min,
                                double max);
  absl::StatusOr<int64_t> Int(std::string_view name, int64_t default_value, int64_t min,
                              int64_t max);
  absl::StatusOr<bool> Bool(std::string_view name, bool default_value);
  // One of `choices`.
  absl::StatusOr<std::string> Choice(std::string_view name, std::string_view default_value,
                                     std::initializer_list<std::string_view> choices);
  absl::StatusOr<std::string> String(std::string_view name, std::string_view default_value);

  // InvalidArgument naming every parameter that no accessor asked for.
  absl::Status CheckAllUsed() const;

 private:
  const std::map<std::string, std::string>& params_;
  std::set<std::string, std::less<>> used_;
};

// A job's stopping rules with the app's defaults filled in: JobSpec.max_rounds (0 = default) and
// JobSpec.tolerance (0 = default, otherwise in (0, 1)). `tolerance_meaning` names what the
// tolerance measures for this app, for the error message.
struct StopRules {
  int64_t max_rounds = 0;
  double tolerance = 0;
};
absl::StatusOr<StopRules> ResolveStopRules(int64_t max_rounds, double tolerance,
                                           int64_t default_max_rounds, double default_tolerance,
                                           std::string_view tolerance_meaning);

}  // namespace strads::core
