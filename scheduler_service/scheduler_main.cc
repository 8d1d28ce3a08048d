// strads-scheduler: the long-running scheduler service.
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "CLI/CLI.hpp"
#include "core/command_line.h"
#include "core/host_port.h"
#include "core/log_format.h"
#include "scheduler_service/access_policy.h"
#include "scheduler_service/allocator_settings.h"
#include "scheduler_service/http/scheduler_http_server.h"
#include "scheduler_service/http/scheduler_metrics.h"
#include "scheduler_service/scheduler_server.h"
#include "spdlog/spdlog.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

}  // namespace

int main(int argc, char** argv) {
  strads::scheduler::ConfigureAllocator();
  CLI::App cli{"strads-scheduler: hands out prioritised, conflict-free update batches to workers"};
  strads::scheduler::SchedulerServerOptions options;
  options.listen_address = "0.0.0.0:7070";
  std::string log_level = "info";
  double round_timeout = 120;
  double checkpoint_seconds = 30;
  cli.add_option("--listen", options.listen_address, "address to serve on (HOST:PORT)")
      ->capture_default_str();
  cli.add_option("--data-dir", options.jobs.data_dir, "directory for job results and summaries")
      ->capture_default_str();
  cli.add_option("--round-timeout", round_timeout,
                 "seconds a worker may take for one round before it is dropped")
      ->capture_default_str()
      ->check(strads::core::GreaterThan(0.0));
  cli.add_option("--checkpoint-seconds", checkpoint_seconds,
                 "seconds between checkpoints of a running job (a restart resumes from the last)")
      ->capture_default_str()
      ->check(strads::core::AtLeast(0.0));
  int retain_jobs = 0;
  double retain_hours = 0;
  cli.add_option("--retain-jobs", retain_jobs,
                 "finished jobs kept (their files too); beyond it the oldest are deleted; 0 = all")
      ->capture_default_str()
      ->check(strads::core::AtLeast(0));
  cli.add_option("--retain-hours", retain_hours,
                 "hours a finished job is kept before it is deleted with its files; 0 = forever")
      ->capture_default_str()
      ->check(strads::core::AtLeast(0.0));
  std::string client_token_file, worker_token_file, tls_cert, tls_key;
  cli.add_option("--client-token-file", client_token_file,
                 "file holding the token clients (the CLI) must present");
  cli.add_option("--worker-token-file", worker_token_file,
                 "file holding the token workers must present");
  cli.add_option("--tls-cert", tls_cert, "certificate chain (PEM): serve TLS");
  cli.add_option("--tls-key", tls_key, "private key (PEM) of --tls-cert");
  cli.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  strads::scheduler::SchedulerHttpOptions http;
  http.listen_address.clear();
  std::string metrics_token_file;
  cli.add_option("--http-listen", http.listen_address,
                 "HOST:PORT for plaintext HTTP: /metrics, /healthz, /readyz, the status page (/) "
                 "and /api/v1; off when empty");
  cli.add_option("--metrics-token-file", metrics_token_file,
                 "file holding a token that /metrics requires (default: /metrics is open)");
  std::string log_format = "text";
  cli.add_option("--log-format", log_format, strads::core::kLogFormatHelp)
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  if (std::optional<int> stop =
          strads::core::ParseCommandLine(cli, argc, argv, "strads-scheduler")) {
    return *stop;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  if (absl::Status status = strads::core::SetLogFormat(log_format); !status.ok()) {
    std::cerr << "strads-scheduler: " << status.message() << "\n";
    return 2;
  }
  options.jobs.engine.round_timeout = absl::Seconds(round_timeout);
  options.jobs.checkpoint_interval = absl::Seconds(checkpoint_seconds);
  options.jobs.retain_jobs = retain_jobs;
  if (retain_hours > 0) options.jobs.retain_for = absl::Hours(retain_hours);

  auto fail = [](std::string_view message) {
    std::cerr << "strads-scheduler: " << message << "\n";
    return 1;
  };
  if (absl::Status valid = strads::core::CheckHostPort("--listen", options.listen_address, 0);
      !valid.ok()) {
    return fail(std::string(valid.message()));
  }
  for (auto [path, token] : {std::pair{&client_token_file, &options.client_token},
                             std::pair{&worker_token_file, &options.worker_token}}) {
    if (path->empty()) continue;
    absl::StatusOr<std::string> read = strads::scheduler::ReadTokenFile(*path);
    if (!read.ok()) return fail(std::string(read.status().message()));
    *token = *read;
  }
  if (!metrics_token_file.empty()) {
    if (http.listen_address.empty()) return fail("--metrics-token-file needs --http-listen");
    absl::StatusOr<std::string> read = strads::scheduler::ReadTokenFile(metrics_token_file);
    if (!read.ok()) return fail(std::string(read.status().message()));
    http.metrics_token = *read;
  }
  http.client_token = options.client_token;
  if (!http.listen_address.empty()) {
    if (absl::Status valid = strads::core::CheckHostPort("--http-listen", http.listen_address, 0);
        !valid.ok()) {
      return fail(std::string(valid.message()));
    }
  }
  if (tls_cert.empty() != tls_key.empty()) return fail("--tls-cert and --tls-key go together");
  for (auto [path, pem] :
       {std::pair{&tls_cert, &options.tls_cert_pem}, std::pair{&tls_key, &options.tls_key_pem}}) {
    if (path->empty()) continue;
    std::ifstream in(*path);
    if (!in) return fail("cannot read '" + *path + "'");
    std::stringstream text;
    text << in.rdbuf();
    *pem = text.str();
  }

  strads::scheduler::SchedulerMetrics metrics(STRADS_VERSION);
  options.observer = &metrics;
  strads::scheduler::SchedulerServer server(options);
  if (absl::Status status = server.Start(); !status.ok()) {
    std::cerr << "strads-scheduler: " << status.message() << "\n";
    return 1;
  }
  std::optional<strads::scheduler::SchedulerHttpServer> http_server;
  if (!http.listen_address.empty()) {
    http_server.emplace(&server, &metrics, http);
    if (absl::Status status = http_server->Start(); !status.ok()) {
      server.Shutdown();
      return fail(std::string(status.message()));
    }
    spdlog::info("event=http_listening address={} port={} page_access={} metrics_access={}",
                 http.listen_address, http_server->port(),
                 http.client_token.empty() ? "open" : "client token",
                 http.metrics_token.empty() ? "open" : "metrics token");
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::thread waiter([&] { server.Wait(); });
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  spdlog::info("event=scheduler_stopping");
  // The HTTP port stays up through the drain, so /readyz reports it until the jobs are saved.
  server.Shutdown();
  waiter.join();
  if (http_server.has_value()) http_server->Stop();
  return 0;
}
