// A whole STRADS cluster inside one process, talking gRPC over loopback: one scheduler server on
// 127.0.0.1 (free port) and N worker runtimes on their own threads. Backs `strads run`, the
// integration tests and the benchmarks, so they exercise the same code as a real deployment.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "core/limits.h"
#include "scheduler_service/scheduler_server.h"
#include "worker_service/worker_runtime.h"

namespace strads::client {

struct LocalClusterOptions {
  int workers = 2;
  std::string data_dir;  // empty: a fresh temporary directory, removed by Stop()
  // Per worker: extra nanoseconds per unit of work (tests of load balancing); missing = 0.
  std::vector<double> test_delay_ns_per_unit;
  // Per worker: how many times slower it is at everything; missing = 1.
  std::vector<double> test_slowdown;
  // The largest task or partial a round may carry (tests lower it).
  int64_t max_message_bytes = core::kMaxMessageBytes;
};

class LocalCluster {
 public:
  explicit LocalCluster(LocalClusterOptions options);
  ~LocalCluster();

  absl::Status Start();
  const std::string& address() const { return server_->address(); }
  scheduler::SchedulerServer& server() { return *server_; }

  // Starts one more worker; returns its index.
  int AddWorker(double test_delay_ns_per_unit = 0, double test_slowdown = 1);
  // Stops worker `index` as if its process died (its session closes).
  void StopWorker(int index);
  void Stop();

 private:
  struct Worker {
    std::unique_ptr<worker::WorkerRuntime> runtime;
    std::thread thread;
  };

  LocalClusterOptions options_;
  std::string data_dir_;
  bool owns_data_dir_ = false;
  std::unique_ptr<scheduler::SchedulerServer> server_;
  std::vector<Worker> workers_;
  bool stopped_ = false;
};

}  // namespace strads::client
