#include "client/local_cluster.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace strads::client {

LocalCluster::LocalCluster(LocalClusterOptions options) : options_(std::move(options)) {}

LocalCluster::~LocalCluster() { Stop(); }

absl::Status LocalCluster::Start() {
  data_dir_ = options_.data_dir;
  if (data_dir_.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "strads-run-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError("cannot create a temporary data directory");
    }
    data_dir_ = pattern;
    owns_data_dir_ = true;
  }
  scheduler::SchedulerServerOptions server_options;
  server_options.listen_address = "127.0.0.1:0";
  server_options.jobs.data_dir = data_dir_;
  server_options.jobs.engine.max_message_bytes = options_.max_message_bytes;
  server_ = std::make_unique<scheduler::SchedulerServer>(server_options);
  if (absl::Status status = server_->Start(); !status.ok()) return status;
  for (int i = 0; i < options_.workers; ++i) {
    AddWorker(
        i < static_cast<int>(options_.test_delay_ns_per_unit.size())
            ? options_.test_delay_ns_per_unit[i]
            : 0.0,
        i < static_cast<int>(options_.test_slowdown.size()) ? options_.test_slowdown[i] : 1.0);
    // One at a time, so worker i is the i-th to connect and, as jobs claim workers in that
    // order, gets the i-th share of a job's rows: tests and benchmarks that slow one worker
    // know which rows it has.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (server_->pool().ConnectedCount() < i + 1 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  return absl::OkStatus();
}

int LocalCluster::AddWorker(double test_delay_ns_per_unit, double test_slowdown) {
  worker::WorkerOptions options;
  options.scheduler_address = server_->address();
  options.name = absl::StrCat("local-", workers_.size());
  options.reconnect = false;
  options.test_delay_ns_per_unit = test_delay_ns_per_unit;
  options.test_slowdown = test_slowdown;
  options.max_message_bytes = options_.max_message_bytes;
  Worker worker;
  worker.runtime = std::make_unique<worker::WorkerRuntime>(options);
  worker::WorkerRuntime* runtime = worker.runtime.get();
  worker.thread = std::thread([runtime] { runtime->Run().IgnoreError(); });
  workers_.push_back(std::move(worker));
  return static_cast<int>(workers_.size()) - 1;
}

void LocalCluster::StopWorker(int index) {
  Worker& worker = workers_.at(index);
  worker.runtime->Stop();
  if (worker.thread.joinable()) worker.thread.join();
}

void LocalCluster::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (server_ != nullptr) server_->jobs().Stop();
  for (Worker& worker : workers_) worker.runtime->Stop();
  for (Worker& worker : workers_) {
    if (worker.thread.joinable()) worker.thread.join();
  }
  if (server_ != nullptr) server_->Shutdown();
  if (owns_data_dir_) {
    std::error_code ignored;
    std::filesystem::remove_all(data_dir_, ignored);
  }
}

}  // namespace strads::client
