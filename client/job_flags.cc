#include "client/job_flags.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/command_line.h"

namespace strads::client {

using core::AtLeast;
using core::Between;

void AddJobFlags(CLI::App* command, const apps::AppDefinition& app, JobFlags* flags) {
  flags->spec.app = std::string(app.name);
  flags->spec.workers = 2;
  command->add_option("--data", flags->spec.data_path, std::string(app.inputs.data_help))
      ->required();
  if (!app.inputs.test_help.empty()) {
    command->add_option("--test", flags->spec.test_path, std::string(app.inputs.test_help));
  }
  if (!app.inputs.labels_help.empty()) {
    command->add_option("--labels", flags->spec.labels_path, std::string(app.inputs.labels_help));
  }
  command->add_option("--workers", flags->spec.workers, "workers (and data shards) for the job")
      ->capture_default_str()
      ->check(Between(1, 4096));
  command
      ->add_option("--tol", flags->spec.tolerance,
                   "stop when the convergence measure falls below this (app default if 0)")
      ->check(AtLeast(0.0));
  command
      ->add_option("--max-rounds", flags->spec.max_rounds,
                   absl::StrCat("stop after this many rounds (0: the app's default, ",
                                app.default_max_rounds,
                                "; a job stopped there before its tolerance still succeeds, and "
                                "says so)"))
      ->check(AtLeast<int64_t>(0));
  command->add_option("--max-seconds", flags->spec.max_seconds, "stop after this many seconds")
      ->check(AtLeast(0.0));
  command
      ->add_option("--pipeline", flags->spec.pipeline,
                   absl::StrCat("rounds in flight at once (1 to ", core::kMaxPipelineDepth,
                                "; default: the app's choice for its parameters, and 1 where its "
                                "rounds must run one at a time, which refuses more)",
                                app.pipeline_help.empty() ? "" : "; ", app.pipeline_help))
      ->check(Between(1, core::kMaxPipelineDepth));
  for (const apps::AppFlag& flag : app.flags) {
    if (!flag.always.empty()) flags->app_params[std::string(flag.param)] = std::string(flag.always);
    if (flag.is_switch) {
      command->add_flag_function(
          std::string(flag.flag),
          [flags, param = std::string(flag.param)](int64_t count) {
            flags->app_params[param] = count > 0 ? "true" : "false";
          },
          std::string(flag.help));
      continue;
    }
    command->add_option_function<std::string>(
        std::string(flag.flag),
        [flags, param = std::string(flag.param)](const std::string& value) {
          flags->app_params[param] = value;
        },
        std::string(flag.help));
  }
  command->add_option("--param", flags->extra_params,
                      "any app parameter as key=value (repeatable)");
}

absl::Status NameFlagsIn(const std::string& app, const absl::Status& status) {
  const apps::AppDefinition* definition = apps::FindApp(app);
  if (!absl::IsInvalidArgument(status)) return status;
  const std::string message(status.message());
  // A job field the CLI offers as a flag of its own.
  if (message.starts_with("pipeline ")) return absl::InvalidArgumentError("--" + message);
  if (definition == nullptr) return status;
  for (const apps::AppFlag& flag : definition->flags) {
    const std::string param(flag.param);
    if (message.size() > param.size() && message.compare(0, param.size(), param) == 0 &&
        message[param.size()] == ' ') {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(flag.flag), message.substr(param.size())));
    }
  }
  return status;
}

absl::StatusOr<core::JobSpec> BuildSpec(const CLI::App& command, JobFlags& flags) {
  core::JobSpec spec = flags.spec;
  spec.params.insert(flags.app_params.begin(), flags.app_params.end());
  for (const std::string& pair : flags.extra_params) {
    size_t equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--param takes key=value, got '", pair, "'"));
    }
    spec.params[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  std::error_code error;
  for (std::string* path : {&spec.data_path, &spec.test_path, &spec.labels_path}) {
    if (!path->empty()) *path = std::filesystem::absolute(*path, error).string();
  }
  return spec;
}

}  // namespace strads::client
