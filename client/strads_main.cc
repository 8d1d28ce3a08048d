// strads: the STRADS command-line client. Runs jobs on an embedded local cluster (`run`), or
// submits and follows them on a long-running scheduler (`submit`, `jobs`, `status`, `watch`,
// `cancel`, `result`, `logs`, `delete`), draws convergence curves (`plot`), and generates test
// data (`generate`).
#include <algorithm>
#include <cstdlib>
#include <deque>
#include <functional>
#include <iostream>
#include <optional>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "apps/registry.h"
#include "client/commands.h"
#include "client/generate_command.h"
#include "client/job_flags.h"
#include "client/mf_commands.h"
#include "client/model_files.h"
#include "core/command_line.h"
#include "core/host_port.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

std::string FromEnv(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string DefaultServer() {
  const char* from_env = std::getenv("STRADS_SERVER");
  return from_env != nullptr && *from_env != '\0' ? from_env : "127.0.0.1:7070";
}

void AddOutputFlags(CLI::App* command, strads::client::OutputOptions* output) {
  command->add_flag("--json", output->json, "print machine-readable JSON instead of text");
  command->add_flag("--quiet,-q", output->quiet, "no progress lines");
}

// `app` is the app of a run or submit command, nullptr for a command that serves every app.
void AddResultFlags(CLI::App* command, strads::client::ResultFiles* files,
                    const strads::apps::AppDefinition* app,
                    strads::client::ModelOutDefault model_default) {
  command->add_option("--model-out", files->model_out,
                      strads::client::ModelOutHelp(app, model_default));
  command->add_option("--summary-json", files->summary_json,
                      strads::client::SummaryJsonHelp(app, model_default));
  command->add_option("--plot", files->plot_svg,
                      "draw the job's convergence curves (against rounds and seconds) into this "
                      "SVG file when it ends");
}

constexpr char kFooter[] =
    R"(Connection flags (--server, --token-file, --tls-ca, --json) go before or after the command.
Exit codes: 0 success; 1 the job failed (or the command did, e.g. a file could not be written);
2 bad usage (a flag, value or job id refused); 3 the job was cancelled; 4 the scheduler is
unreachable or refused the token; 5 watch --timeout passed before the job ended.)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{
      "strads: run and watch STRADS jobs (structure-aware dynamic scheduling for "
      "parallel machine learning)"};
  cli.require_subcommand(1);
  cli.footer(kFooter);
  cli.set_version_flag("--version", "strads 0.1.0");
  std::string server = DefaultServer();
  std::string log_level = "warn";
  // The embedded cluster's log lines go to stderr: stdout carries the command's output (--json
  // must stay one JSON document, even when a job fails).
  spdlog::set_default_logger(spdlog::stderr_color_mt("strads"));
  spdlog::set_level(spdlog::level::warn);
  cli.add_option("--log-level", log_level, "log level of the embedded cluster (run)")
      ->capture_default_str()
      ->each([](const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); });
  std::string token_file = FromEnv("STRADS_TOKEN_FILE");
  std::string tls_ca = FromEnv("STRADS_TLS_CA");
  const std::string kTokenHelp =
      "file holding the scheduler's client token (env STRADS_TOKEN_FILE)";
  const std::string kTlsHelp = "CA certificate (PEM) to verify a TLS scheduler (env STRADS_TLS_CA)";
  cli.add_option("--token-file", token_file, kTokenHelp);
  cli.add_option("--tls-ca", tls_ca, kTlsHelp);
  strads::client::OutputOptions output;
  cli.add_flag("--json", output.json, "print machine-readable JSON instead of text");
  // Read when a command runs, after every flag was parsed.
  auto endpoint = [&]() -> absl::StatusOr<strads::client::Endpoint> {
    absl::StatusOr<strads::proto::ConnectionOptions> connection =
        strads::proto::LoadConnectionOptions(token_file, tls_ca);
    if (!connection.ok()) return connection.status();
    return strads::client::Endpoint{server, *std::move(connection)};
  };
  // Every --server flag (the program's and each command's), to tell a bad --server from a bad
  // STRADS_SERVER.
  std::vector<const CLI::Option*> server_flags;
  const std::string kServerHelp = "scheduler address HOST:PORT (env STRADS_SERVER)";
  server_flags.push_back(cli.add_option("--server", server, kServerHelp)->capture_default_str());
  // The connection flags are taken before the command (`strads --server H:P jobs`) and after it
  // (`strads jobs --server H:P`), so each command that talks to a scheduler has them too.
  auto add_server_flag = [&](CLI::App* command) {
    server_flags.push_back(
        command->add_option("--server", server, kServerHelp)->capture_default_str());
    command->add_option("--token-file", token_file, kTokenHelp);
    command->add_option("--tls-ca", tls_ca, kTlsHelp);
  };
  // Runs a command against the endpoint, or reports why the address or the connection options
  // are unusable.
  auto with_endpoint = [&](const std::function<int(const strads::client::Endpoint&)>& command) {
    const bool from_flag = std::any_of(server_flags.begin(), server_flags.end(),
                                       [](const CLI::Option* flag) { return flag->count() > 0; });
    if (absl::Status valid =
            strads::core::CheckHostPort(from_flag ? "--server" : "STRADS_SERVER", server, 1);
        !valid.ok()) {
      std::cerr << "strads: " << valid.message() << "\n";
      return static_cast<int>(strads::client::kExitUsage);
    }
    absl::StatusOr<strads::client::Endpoint> at = endpoint();
    if (!at.ok()) {
      // An unreadable --token-file or --tls-ca is a bad flag.
      std::cerr << "strads: " << at.status().message() << "\n";
      return static_cast<int>(strads::client::kExitUsage);
    }
    return command(*at);
  };
  strads::client::ResultFiles files;
  int exit_code = 0;

  // run APP: embedded local cluster.
  CLI::App* run = cli.add_subcommand("run", "run a job on a local cluster started for it");
  run->require_subcommand(1);
  // One JobFlags per command; a deque keeps each where the flags' callbacks point.
  std::deque<strads::client::JobFlags> job_flags;
  for (std::string_view name : strads::apps::AppNames()) {
    const strads::apps::AppDefinition& app = *strads::apps::FindApp(name);
    strads::client::JobFlags* flags = &job_flags.emplace_back();
    CLI::App* command = run->add_subcommand(
        std::string(name),
        absl::StrCat("run a ", std::string(name), " job: ", std::string(app.description)));
    strads::client::AddJobFlags(command, app, flags);
    AddOutputFlags(command, &output);
    AddResultFlags(command, &files, &app, strads::client::ModelOutDefault::kAppName);
    command->callback([command, flags, &files, &output, &exit_code, name = std::string(name)] {
      absl::StatusOr<strads::core::JobSpec> spec = strads::client::BuildSpec(*command, *flags);
      if (!spec.ok()) {
        exit_code = strads::client::Fail(spec.status());
        return;
      }
      strads::client::ResultFiles run_files = files;
      if (run_files.model_out.empty()) {
        run_files.model_out = strads::client::DefaultModelOut(name, name);
      }
      if (run_files.summary_json.empty()) {
        run_files.summary_json = strads::client::DefaultSummaryJson(name);
      }
      exit_code = strads::client::RunLocal(*spec, run_files, output);
    });
  }

  // submit APP: long-running cluster.
  CLI::App* submit = cli.add_subcommand("submit", "submit a job to a running scheduler");
  submit->require_subcommand(1);
  bool watch_after_submit = false;
  bool upload = false;
  std::string job_name;
  for (std::string_view name : strads::apps::AppNames()) {
    const strads::apps::AppDefinition& app = *strads::apps::FindApp(name);
    strads::client::JobFlags* flags = &job_flags.emplace_back();
    CLI::App* command = submit->add_subcommand(
        std::string(name),
        absl::StrCat("submit a ", std::string(name), " job: ", std::string(app.description)));
    strads::client::AddJobFlags(command, app, flags);
    command
        ->add_option("--priority", flags->spec.priority,
                     "jobs with a higher priority start first when they wait for workers (FIFO "
                     "within a priority)")
        ->capture_default_str()
        ->check(CLI::Range(-1000, 1000));
    add_server_flag(command);
    command->add_flag("--watch", watch_after_submit, "follow the job until it ends");
    command->add_flag("--upload", upload,
                      "send the data files to the scheduler first (when it cannot read them)");
    command->add_option("--name", job_name,
                        "a name shown in lists; refused (exit 2) while a job of that name is "
                        "queued or running");
    AddOutputFlags(command, &output);
    AddResultFlags(command, &files, &app, strads::client::ModelOutDefault::kNone);
    command->callback([command, flags, &with_endpoint, &files, &output, &exit_code,
                       &watch_after_submit, &upload, &job_name] {
      absl::StatusOr<strads::core::JobSpec> spec = strads::client::BuildSpec(*command, *flags);
      if (!spec.ok()) {
        exit_code = strads::client::Fail(spec.status());
        return;
      }
      exit_code = with_endpoint([&](const strads::client::Endpoint& at) {
        strads::core::JobSpec named = *spec;
        named.name = job_name;
        return strads::client::Submit(at, named, watch_after_submit, upload, files, output);
      });
    });
  }

  std::string job_id;
  CLI::App* jobs = cli.add_subcommand("jobs", "list the scheduler's jobs");
  std::vector<std::string> job_states;
  int job_limit = 0;
  jobs->add_option("--state", job_states,
                   "only jobs in this state: queued|loading|waiting_for_workers|running|"
                   "succeeded|failed|cancelled (repeat or comma-separate for several)")
      ->delimiter(',');
  jobs->add_option("--limit", job_limit, "only the newest N jobs (after --state); 0 = all")
      ->capture_default_str()
      ->check(strads::core::AtLeast(0));
  add_server_flag(jobs);
  AddOutputFlags(jobs, &output);
  jobs->callback([&] {
    exit_code = with_endpoint([&](const strads::client::Endpoint& at) {
      return strads::client::ListJobs(at, job_states, job_limit, output);
    });
  });

  CLI::App* workers = cli.add_subcommand("workers", "list the workers connected to the scheduler");
  add_server_flag(workers);
  AddOutputFlags(workers, &output);
  workers->callback([&] {
    exit_code = with_endpoint([&](const strads::client::Endpoint& at) {
      return strads::client::ListWorkers(at, output);
    });
  });

  CLI::App* status = cli.add_subcommand("status", "show one job's state and metrics");
  status->add_option("job", job_id, "job id")->required();
  add_server_flag(status);
  AddOutputFlags(status, &output);
  status->callback([&] {
    exit_code = with_endpoint([&](const strads::client::Endpoint& at) {
      return strads::client::ShowStatus(at, job_id, output);
    });
  });

  CLI::App* watch = cli.add_subcommand("watch", "follow a job with live progress until it ends");
  watch->add_option("job", job_id, "job id")->required();
  double watch_timeout = 0;
  watch
      ->add_option("--timeout", watch_timeout,
                   "give up after SECONDS with exit code 5 if the job has not ended; 0 = wait")
      ->capture_default_str()
      ->check(strads::core::AtLeast(0.0));
  add_server_flag(watch);
  AddOutputFlags(watch, &output);
  AddResultFlags(watch, &files, nullptr, strads::client::ModelOutDefault::kNone);
  watch->callback([&] {
    exit_code = with_endpoint([&](const strads::client::Endpoint& at) {
      return strads::client::Watch(at, job_id, files, output, watch_timeout);
    });
  });

  CLI::App* cancel = cli.add_subcommand("cancel", "cancel a queued or running job");
  cancel->add_option("job", job_id, "job id")->required();
  add_server_flag(cancel);
  AddOutputFlags(cancel, &output);
  cancel->callback([&] {
    exit_code = with_endpoint([&](const strads::client::Endpoint& at) {
      return strads::client::Cancel(at, job_id, output);
    });
  });

  CLI::App* logs = cli.add_subcommand(
      "logs", "show a job's event log (placement, worker losses, checkpoints, milestones, end)");
  logs->add_option("job", job_id, "job id")->required();
  bool follow_log = false;
  logs->add_flag("--follow,-f", follow_log, "keep printing new events until the job ends");
  add_server_flag(logs);
  AddOutputFlags(logs, &output);
  logs->callback([&] {
    exit_code = with_endpoint([&](const strads::client::Endpoint& at) {
      return strads::client::Logs(at, job_id, follow_log, output);
    });
  });

  CLI::App* remove = cli.add_subcommand(
      "delete", "delete a finished job and its files (model, checkpoint, log, its uploads)");
  remove->add_option("job", job_id, "job id")->required();
  add_server_flag(remove);
  AddOutputFlags(remove, &output);
  remove->callback([&] {
    exit_code = with_endpoint([&](const strads::client::Endpoint& at) {
      return strads::client::Delete(at, job_id, output);
    });
  });

  CLI::App* result = cli.add_subcommand("result", "download a finished job's model and summary");
  result->add_option("job", job_id, "job id")->required();
  add_server_flag(result);
  AddOutputFlags(result, &output);
  AddResultFlags(result, &files, nullptr, strads::client::ModelOutDefault::kJobId);
  result->callback([&] {
    exit_code = with_endpoint([&](const strads::client::Endpoint& at) {
      return strads::client::Result(at, job_id, files, output);
    });
  });

  CLI::App* plot = cli.add_subcommand(
      "plot",
      "draw convergence curves (objective, duality gap or RMSE against rounds and seconds) of "
      "finished jobs or --summary files into one SVG picture, one series each");
  std::vector<std::string> plot_jobs, plot_summaries;
  std::string plot_out, plot_title;
  plot->add_option("job", plot_jobs, "job ids on the scheduler (any number)");
  plot->add_option("--summary", plot_summaries,
                   "a summary JSON (--summary-json of run, submit, watch or result); repeat to "
                   "compare several runs");
  plot->add_option("--out", plot_out, "the SVG file to write")->required();
  plot->add_option("--title", plot_title, "the picture's title (default: the job, for one)");
  add_server_flag(plot);
  AddOutputFlags(plot, &output);
  plot->callback([&] {
    if (plot_jobs.empty()) {  // summaries only: no scheduler involved
      exit_code = strads::client::Plot({}, plot_jobs, plot_summaries, plot_out, plot_title, output);
      return;
    }
    exit_code = with_endpoint([&](const strads::client::Endpoint& at) {
      return strads::client::Plot(at, plot_jobs, plot_summaries, plot_out, plot_title, output);
    });
  });

  strads::client::AddGenerateCommands(&cli, &exit_code);
  strads::client::AddMfCommands(&cli, &exit_code);

  if (std::optional<int> stop = strads::core::ParseCommandLine(cli, argc, argv, "strads")) {
    return *stop;
  }
  return exit_code;
}
