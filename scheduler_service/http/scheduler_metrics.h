// The scheduler's Prometheus metrics (/metrics): a SchedulerObserver that counts into a
// prometheus-cpp registry, plus gauges read from the job manager and worker pool at scrape time.
// Names follow Prometheus' rules: prefix strads_, base units (seconds, bytes), _total on
// counters, histograms for durations, and only low-cardinality labels (app, state, reason; the
// build's version on strads_build_info), never a job id.
// Threads: any; prometheus-cpp's metrics are atomic, Scrape is serialised by its own mutex.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "scheduler_service/job_snapshot.h"
#include "scheduler_service/scheduler_observer.h"

namespace strads::scheduler {

class SchedulerMetrics final : public SchedulerObserver {
 public:
  explicit SchedulerMetrics(std::string_view version);

  void OnRound(std::string_view app, double seconds) override;
  void OnUpdates(std::string_view app, int64_t updates) override;
  void OnWorkerDropped(std::string_view reason) override;
  void OnCheckpoint(double seconds) override;
  void OnShardBytesSent(int64_t bytes) override;
  void OnJobFinished(std::string_view app, std::string_view state) override;

  // The Prometheus text exposition, with the job and worker gauges set from `jobs` and
  // `workers_connected` first.
  std::string Scrape(const std::vector<JobSnapshot>& jobs, int workers_connected);

 private:
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Gauge>& jobs_;
  prometheus::Family<prometheus::Counter>& jobs_finished_;
  prometheus::Family<prometheus::Gauge>& workers_connected_;
  prometheus::Family<prometheus::Counter>& rounds_;
  prometheus::Family<prometheus::Histogram>& round_duration_;
  prometheus::Family<prometheus::Counter>& updates_;
  prometheus::Family<prometheus::Counter>& worker_drops_;
  prometheus::Family<prometheus::Histogram>& checkpoint_duration_;
  prometheus::Family<prometheus::Counter>& shard_bytes_sent_;
  prometheus::Family<prometheus::Gauge>& build_info_;

  absl::Mutex scrape_mu_;
  // Every (app, state) the jobs gauge has shown, so a pair that empties reads 0, not stale.
  std::vector<std::pair<std::string, std::string>> shown_ ABSL_GUARDED_BY(scrape_mu_);
};

}  // namespace strads::scheduler
