// strads-worker: a stateless worker process; start any number, at any time.
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include "CLI/CLI.hpp"
#include "core/command_line.h"
#include "core/cpu_limit.h"
#include "core/host_port.h"
#include "core/log_format.h"
#include "spdlog/spdlog.h"
#include "worker_service/http/worker_http_server.h"
#include "worker_service/thread_count.h"
#include "worker_service/worker_runtime.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"strads-worker: computes STRADS update batches on the data shards it is given"};
  strads::worker::WorkerOptions options;
  std::string log_level = "info";
  double reconnect_seconds = 1;
  cli.add_option("--scheduler", options.scheduler_address, "scheduler address (HOST:PORT)")
      ->capture_default_str();
  cli.add_option("--name", options.name, "name shown in the scheduler's logs (default: host name)");
  cli.add_option("--reconnect-delay", reconnect_seconds,
                 "seconds between attempts to reach the scheduler")
      ->capture_default_str()
      ->check(strads::core::GreaterThan(0.0));
  std::string threads = "auto";
  cli.add_option("--threads", threads,
                 "threads for pushes and cache updates (1 to 1024), or auto: the cores this "
                 "process may use, under its container's CPU limit (cgroup cpu.max)")
      ->capture_default_str();
  std::string token_file;
  std::string tls_ca;
  cli.add_option("--token-file", token_file, "file holding the scheduler's worker token");
  cli.add_option("--tls-ca", tls_ca,
                 "CA certificate (PEM) to verify a TLS scheduler; without it, plaintext");
  cli.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  std::string http_listen;
  cli.add_option("--http-listen", http_listen,
                 "HOST:PORT for plaintext HTTP: /healthz, /readyz (registered with the "
                 "scheduler) and /metrics; off when empty");
  std::string log_format = "text";
  cli.add_option("--log-format", log_format, strads::core::kLogFormatHelp)
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  cli.add_option("--test-delay-ns-per-unit", options.test_delay_ns_per_unit,
                 "testing only: extra nanoseconds per unit of work, to model a slow machine")
      ->check(strads::core::AtLeast(0.0))
      ->group("Testing");
  cli.add_option("--test-slowdown", options.test_slowdown,
                 "testing only: take this many times as long for every round's work")
      ->check(strads::core::Between(1.0, 1000.0))
      ->group("Testing");
  if (std::optional<int> stop = strads::core::ParseCommandLine(cli, argc, argv, "strads-worker")) {
    return *stop;
  }
  if (absl::Status valid = strads::core::CheckHostPort("--scheduler", options.scheduler_address, 1);
      !valid.ok()) {
    std::cerr << "strads-worker: " << valid.message() << "\n";
    return 1;
  }
  const int available_cores = strads::core::AvailableCoresOfThisProcess();
  absl::StatusOr<int> thread_count = strads::worker::ParseThreadCount(threads, available_cores);
  if (!thread_count.ok()) {
    std::cerr << "strads-worker: " << thread_count.status().message() << "\n";
    return 1;
  }
  options.threads = *thread_count;
  spdlog::set_level(spdlog::level::from_str(log_level));
  if (absl::Status status = strads::core::SetLogFormat(log_format); !status.ok()) {
    std::cerr << "strads-worker: " << status.message() << "\n";
    return 2;
  }
  if (options.threads > available_cores) {
    spdlog::warn("event=threads_above_cores threads={} cores={}", options.threads, available_cores);
  }
  options.reconnect_delay = absl::Seconds(reconnect_seconds);
  absl::StatusOr<strads::proto::ConnectionOptions> connection =
      strads::proto::LoadConnectionOptions(token_file, tls_ca);
  if (!connection.ok()) {
    std::cerr << "strads-worker: " << connection.status().message() << "\n";
    return 1;
  }
  options.connection = *std::move(connection);

  strads::worker::WorkerRuntime runtime(options);
  std::optional<strads::worker::WorkerHttpServer> http_server;
  if (!http_listen.empty()) {
    http_server.emplace(&runtime, http_listen);
    if (absl::Status status = http_server->Start(); !status.ok()) {
      std::cerr << "strads-worker: " << status.message() << "\n";
      return 1;
    }
    spdlog::info("event=http_listening address={} port={}", http_listen, http_server->port());
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  // Stop() takes a lock, which a signal handler must not; a watcher thread calls it instead.
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!g_stop.load() && !done.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    runtime.Stop();
  });
  absl::Status status = runtime.Run();
  done = true;
  watcher.join();
  if (!status.ok()) {
    std::cerr << "strads-worker: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
