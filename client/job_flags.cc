#include "client/job_flags.h"

#include <filesystem>
#include <span>

#include "absl/strings/str_cat.h"
#include "core/command_line.h"

namespace strads::client {
namespace {

using core::AtLeast;
using core::Between;

struct AppFlag {
  const char* flag;   // command-line name
  const char* param;  // parameter name in the job spec
  const char* help;
  const char* always = nullptr;  // sent even when not given, so summaries can name it
  bool is_switch = false;        // takes no value: given means "true" (--name=false also works)
};

// Lasso parameters; defaults live in the app (apps/lasso/lasso_params.h).
constexpr AppFlag kLassoFlags[] = {
    {"--lambda", "lambda", "L1 penalty (default: 0.1 * lambda_max of the data)"},
    {"--scheduler", "scheduler",
     "dynamic (STRADS priority + dependency check), random (Shotgun), static (round-robin "
     "blocks) or cyclic (sequential); default dynamic",
     "dynamic"},
    {"--batch", "batch", "coordinates updated per round (U); default 64, cyclic uses 1"},
    {"--rho", "rho", "dependency threshold: no two batch columns correlate above it; default 0.3"},
    {"--eta", "eta", "priority floor so every coordinate stays reachable"},
    {"--gap-every", "gap_every", "rounds between duality-gap checks (default: about one sweep)"},
    {"--seed", "seed", "random seed of the schedule; default 1"},
    {"--intercept", "intercept",
     "fit an unpenalised intercept b0 (the model file gives it; predict y = b0 + x'b)", nullptr,
     true},
    {"--standardize", "standardize",
     "solve with columns scaled to unit standard deviation (root mean square without "
     "--intercept); lambda refers to that scale, coefficients are reported in the original one",
     nullptr, true},
    {"--path", "path",
     "solve this many lambdas (at most 100), log-spaced from lambda_max down to --lambda, each "
     "warm-started from the last; default 1"},
    {"--path-ratio", "path_ratio",
     "final lambda as a fraction of lambda_max, instead of --lambda (in (0, 1); default 0.1)"},
};

constexpr AppFlag kMfFlags[] = {
    {"--rank", "rank", "factorization rank K; default 10"},
    {"--lambda", "lambda",
     "L2 penalty, or 'auto' (chosen on a seeded held-out 10% of --data from a small grid, then "
     "trained on all of it); default 0.2 with --reg wr, 2 with plain"},
    {"--reg", "reg",
     "wr (ALS-WR, default: a row's penalty is lambda x its number of ratings, as Spark's "
     "regParam) or plain (lambda for every row); a bias pays --bias-lambda whatever the row",
     "wr"},
    {"--bias-lambda", "bias_lambda", "penalty on each user and item bias; default 3"},
    {"--balance", "balance", "dynamic (by measured cost) or static (equal row counts)"},
    {"--seed", "seed", "random seed of the initial factors; default 1"},
};

std::span<const AppFlag> FlagsOf(const std::string& app) {
  if (app == "lasso") return kLassoFlags;
  if (app == "mf") return kMfFlags;
  return {};
}

}  // namespace

void AddJobFlags(CLI::App* command, const std::string& app, JobFlags* flags) {
  flags->spec.app = app;
  flags->spec.workers = 2;
  command->add_option("--data", flags->spec.data_path, "training data file")->required();
  if (app == "mf") {
    command->add_option("--test", flags->spec.test_path, "held-out ratings (optional)");
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
                   "stop after this many rounds (0: the app's default, lasso 100000, mf 40; "
                   "a job stopped there before its tolerance still succeeds, and says so)")
      ->check(AtLeast<int64_t>(0));
  command->add_option("--max-seconds", flags->spec.max_seconds, "stop after this many seconds")
      ->check(AtLeast(0.0));
  for (const AppFlag& flag : FlagsOf(app)) {
    if (flag.always != nullptr) flags->app_params[flag.param] = flag.always;
    if (flag.is_switch) {
      command->add_flag_function(
          flag.flag,
          [flags, param = std::string(flag.param)](int64_t count) {
            flags->app_params[param] = count > 0 ? "true" : "false";
          },
          flag.help);
      continue;
    }
    command->add_option_function<std::string>(
        flag.flag,
        [flags, param = std::string(flag.param)](const std::string& value) {
          flags->app_params[param] = value;
        },
        flag.help);
  }
  command->add_option("--param", flags->extra_params,
                      "any app parameter as key=value (repeatable)");
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
  if (!spec.data_path.empty()) {
    spec.data_path = std::filesystem::absolute(spec.data_path, error).string();
  }
  if (!spec.test_path.empty()) {
    spec.test_path = std::filesystem::absolute(spec.test_path, error).string();
  }
  return spec;
}

}  // namespace strads::client
