// Command-line flags that describe a job, shared by `strads run` and `strads submit`. App
// parameters travel as text and are validated by the app itself (on the scheduler), so the CLI
// and the scheduler can never disagree about what is valid.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "apps/registry.h"
#include "core/job_spec.h"

namespace strads::client {

struct JobFlags {
  core::JobSpec spec;
  std::map<std::string, std::string> app_params;  // flag name -> value, only flags that were given
  std::vector<std::string> extra_params;          // --param key=value
};

// Adds the flags common to every app (--data, --workers, --tol, --max-rounds, --max-seconds,
// --param), the input files `app` takes (--test, --labels) and its parameters' flags, all from its
// registry entry. `flags` must outlive `command`.
void AddJobFlags(CLI::App* command, const apps::AppDefinition& app, JobFlags* flags);

// The spec after parsing: app parameters copied in, paths made absolute (the scheduler of a local
// cluster resolves them from its own working directory).
absl::StatusOr<core::JobSpec> BuildSpec(const CLI::App& command, JobFlags& flags);

// A refusal of the app's parameters as the user typed them: a message that starts with a
// parameter's name ("dependency_check must be one of ...") names its flag instead
// ("--dependency-check must be one of ..."). Other statuses are returned as they are.
absl::Status NameFlagsIn(const std::string& app, const absl::Status& status);

}  // namespace strads::client
