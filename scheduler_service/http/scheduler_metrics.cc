#include "scheduler_service/http/scheduler_metrics.h"

#include <algorithm>

#include "prometheus/text_serializer.h"

namespace strads::scheduler {
namespace {

// Lasso rounds take about a millisecond, MF rounds up to seconds; checkpoints up to minutes.
const prometheus::Histogram::BucketBoundaries kRoundBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
const prometheus::Histogram::BucketBoundaries kCheckpointBuckets = {0.001, 0.01, 0.05, 0.1, 0.5,
                                                                    1,     5,    15,   60,  300};

constexpr JobState kAllStates[] = {
    JobState::kQueued,    JobState::kLoading, JobState::kWaitingForWorkers, JobState::kRunning,
    JobState::kSucceeded, JobState::kFailed,  JobState::kCancelled};

}  // namespace

SchedulerMetrics::SchedulerMetrics(std::string_view version)
    : jobs_(prometheus::BuildGauge()
                .Name("strads_jobs")
                .Help("Jobs the scheduler knows, by app and state")
                .Register(*registry_)),
      jobs_finished_(prometheus::BuildCounter()
                         .Name("strads_jobs_finished_total")
                         .Help("Jobs that reached a final state since the scheduler started")
                         .Register(*registry_)),
      workers_connected_(prometheus::BuildGauge()
                             .Name("strads_workers_connected")
                             .Help("Workers with an open session")
                             .Register(*registry_)),
      rounds_(prometheus::BuildCounter()
                  .Name("strads_rounds_total")
                  .Help("Rounds pulled into a model, by app")
                  .Register(*registry_)),
      round_duration_(prometheus::BuildHistogram()
                          .Name("strads_round_duration_seconds")
                          .Help("From sending a round's tasks to pulling its partials, by app")
                          .Register(*registry_)),
      updates_(prometheus::BuildCounter()
                   .Name("strads_updates_total")
                   .Help("Parameter updates the apps made (Lasso: coordinate updates), by app")
                   .Register(*registry_)),
      worker_drops_(prometheus::BuildCounter()
                        .Name("strads_worker_drops_total")
                        .Help("Workers dropped from a job: lost (stream ended) or timeout")
                        .Register(*registry_)),
      checkpoint_duration_(prometheus::BuildHistogram()
                               .Name("strads_checkpoint_duration_seconds")
                               .Help("Time to write one job checkpoint")
                               .Register(*registry_)),
      shard_bytes_sent_(prometheus::BuildCounter()
                            .Name("strads_shard_bytes_sent_total")
                            .Help("Shard bytes served to workers")
                            .Register(*registry_)),
      build_info_(prometheus::BuildGauge()
                      .Name("strads_build_info")
                      .Help("Always 1; the label says which strads build runs")
                      .Register(*registry_)) {
  build_info_.Add({{"version", std::string(version)}}).Set(1);
  // Series that exist before their first event, so rates start from 0, not from absence.
  worker_drops_.Add({{"reason", "lost"}});
  worker_drops_.Add({{"reason", "timeout"}});
  checkpoint_duration_.Add({}, kCheckpointBuckets);
  shard_bytes_sent_.Add({});
  workers_connected_.Add({});
}

void SchedulerMetrics::OnRound(std::string_view app, double seconds) {
  const std::map<std::string, std::string> labels = {{"app", std::string(app)}};
  rounds_.Add(labels).Increment();
  round_duration_.Add(labels, kRoundBuckets).Observe(seconds);
}

void SchedulerMetrics::OnUpdates(std::string_view app, int64_t updates) {
  updates_.Add({{"app", std::string(app)}}).Increment(static_cast<double>(updates));
}

void SchedulerMetrics::OnWorkerDropped(std::string_view reason) {
  worker_drops_.Add({{"reason", std::string(reason)}}).Increment();
}

void SchedulerMetrics::OnCheckpoint(double seconds) {
  checkpoint_duration_.Add({}, kCheckpointBuckets).Observe(seconds);
}

void SchedulerMetrics::OnShardBytesSent(int64_t bytes) {
  shard_bytes_sent_.Add({}).Increment(static_cast<double>(bytes));
}

void SchedulerMetrics::OnJobFinished(std::string_view app, std::string_view state) {
  jobs_finished_.Add({{"app", std::string(app)}, {"state", std::string(state)}}).Increment();
}

std::string SchedulerMetrics::Scrape(const std::vector<JobSnapshot>& jobs, int workers_connected) {
  absl::MutexLock lock(&scrape_mu_);
  std::map<std::pair<std::string, std::string>, int> counts;
  for (const JobSnapshot& job : jobs) {
    // Every state of an app that has jobs is shown, so "no job running" reads 0.
    for (JobState state : kAllStates) counts.try_emplace({job.spec.app, JobStateName(state)}, 0);
    ++counts[{job.spec.app, JobStateName(job.state)}];
  }
  for (const auto& pair : shown_) counts.try_emplace(pair, 0);
  for (const auto& [pair, count] : counts) {
    jobs_.Add({{"app", pair.first}, {"state", pair.second}}).Set(count);
    if (std::find(shown_.begin(), shown_.end(), pair) == shown_.end()) shown_.push_back(pair);
  }
  workers_connected_.Add({}).Set(workers_connected);
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace strads::scheduler
