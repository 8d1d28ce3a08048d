// strads-scheduler: the long-running scheduler service.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "scheduler_service/scheduler_server.h"
#include "spdlog/spdlog.h"

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

}  // namespace

int main(int argc, char** argv) {
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
      ->check(CLI::PositiveNumber);
  cli.add_option("--checkpoint-seconds", checkpoint_seconds,
                 "seconds between checkpoints of a running job (a restart resumes from the last)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  CLI11_PARSE(cli, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  options.jobs.engine.round_timeout = absl::Seconds(round_timeout);
  options.jobs.checkpoint_interval = absl::Seconds(checkpoint_seconds);

  strads::scheduler::SchedulerServer server(options);
  if (absl::Status status = server.Start(); !status.ok()) {
    std::cerr << "strads-scheduler: " << status.message() << "\n";
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::thread waiter([&] { server.Wait(); });
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  spdlog::info("event=scheduler_stopping");
  server.Shutdown();
  waiter.join();
  return 0;
}
