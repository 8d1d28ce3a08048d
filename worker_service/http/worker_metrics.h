// A worker's Prometheus metrics (/metrics on strads-worker --http-listen), read from the
// runtime's counters at scrape time: strads_worker_busy_seconds_total,
// strads_worker_pushes_total, strads_worker_received_bytes_total, strads_worker_ready and
// strads_build_info. Threads: any; Scrape is serialised by its own mutex.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "worker_service/worker_runtime.h"

namespace strads::worker {

class WorkerMetrics {
 public:
  explicit WorkerMetrics(std::string_view version);
  // The Prometheus text exposition of `counters`, which only grow.
  std::string Scrape(const WorkerCounters& counters);

 private:
  absl::Mutex mu_;
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  prometheus::Counter& busy_seconds_;
  prometheus::Counter& pushes_;
  prometheus::Counter& bytes_received_;
  prometheus::Gauge& ready_;
};

}  // namespace strads::worker
