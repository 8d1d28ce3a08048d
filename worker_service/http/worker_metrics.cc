#include "worker_service/http/worker_metrics.h"

#include "prometheus/text_serializer.h"

namespace strads::worker {
namespace {

// Brings a Prometheus counter up to the runtime's total (counters only move by increments).
void CatchUp(prometheus::Counter& counter, double total) {
  if (total > counter.Value()) counter.Increment(total - counter.Value());
}

}  // namespace

WorkerMetrics::WorkerMetrics(std::string_view version)
    : busy_seconds_(prometheus::BuildCounter()
                        .Name("strads_worker_busy_seconds_total")
                        .Help("Seconds spent applying updates and computing pushes")
                        .Register(*registry_)
                        .Add({})),
      pushes_(prometheus::BuildCounter()
                  .Name("strads_worker_pushes_total")
                  .Help("Partial results sent to the scheduler")
                  .Register(*registry_)
                  .Add({})),
      bytes_received_(prometheus::BuildCounter()
                          .Name("strads_worker_received_bytes_total")
                          .Help("Shard bytes and task messages received from the scheduler")
                          .Register(*registry_)
                          .Add({})),
      ready_(prometheus::BuildGauge()
                 .Name("strads_worker_ready")
                 .Help("1 while registered with the scheduler and its session is open")
                 .Register(*registry_)
                 .Add({})) {
  prometheus::BuildGauge()
      .Name("strads_build_info")
      .Help("Always 1; the label says which strads build runs")
      .Register(*registry_)
      .Add({{"version", std::string(version)}})
      .Set(1);
}

std::string WorkerMetrics::Scrape(const WorkerCounters& counters) {
  absl::MutexLock lock(&mu_);
  CatchUp(busy_seconds_, counters.busy_seconds);
  CatchUp(pushes_, static_cast<double>(counters.pushes));
  CatchUp(bytes_received_, static_cast<double>(counters.bytes_received));
  ready_.Set(counters.ready ? 1 : 0);
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace strads::worker
