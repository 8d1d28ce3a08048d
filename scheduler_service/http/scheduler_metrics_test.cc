#include "scheduler_service/http/scheduler_metrics.h"

#include <regex>
#include <string>

#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

// The value of the sample `series` (name and labels as exposed), or -1 when it is absent.
double Sample(const std::string& text, const std::string& series) {
  const size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST(SchedulerMetrics, CountsWhatTheSchedulerReports) {
  SchedulerMetrics metrics("v-test");
  metrics.OnRound("lasso", 0.002);
  metrics.OnRound("lasso", 0.004);
  metrics.OnUpdates("lasso", 64);
  metrics.OnWorkerDropped("timeout");
  metrics.OnCheckpoint(0.02);
  metrics.OnShardBytesSent(1000);
  metrics.OnJobFinished("lasso", "succeeded");
  const std::string text = metrics.Scrape({}, 3);
  EXPECT_EQ(Sample(text, "strads_rounds_total{app=\"lasso\"}"), 2);
  EXPECT_EQ(Sample(text, "strads_round_duration_seconds_count{app=\"lasso\"}"), 2);
  EXPECT_NEAR(Sample(text, "strads_round_duration_seconds_sum{app=\"lasso\"}"), 0.006, 1e-12);
  EXPECT_EQ(Sample(text, "strads_updates_total{app=\"lasso\"}"), 64);
  EXPECT_EQ(Sample(text, "strads_worker_drops_total{reason=\"timeout\"}"), 1);
  EXPECT_EQ(Sample(text, "strads_worker_drops_total{reason=\"lost\"}"), 0);
  EXPECT_EQ(Sample(text, "strads_checkpoint_duration_seconds_count"), 1);
  EXPECT_EQ(Sample(text, "strads_shard_bytes_sent_total"), 1000);
  EXPECT_EQ(Sample(text, "strads_jobs_finished_total{app=\"lasso\",state=\"succeeded\"}"), 1);
  EXPECT_EQ(Sample(text, "strads_workers_connected"), 3);
  EXPECT_EQ(Sample(text, "strads_build_info{version=\"v-test\"}"), 1);
}

TEST(SchedulerMetrics, JobsByStateComeFromTheSnapshotsAndEmptiedStatesReadZero) {
  SchedulerMetrics metrics("v");
  JobSnapshot running;
  running.spec.app = "mf";
  running.state = JobState::kRunning;
  JobSnapshot queued = running;
  queued.state = JobState::kQueued;
  std::string text = metrics.Scrape({running, running, queued}, 0);
  EXPECT_EQ(Sample(text, "strads_jobs{app=\"mf\",state=\"running\"}"), 2);
  EXPECT_EQ(Sample(text, "strads_jobs{app=\"mf\",state=\"queued\"}"), 1);
  EXPECT_EQ(Sample(text, "strads_jobs{app=\"mf\",state=\"failed\"}"), 0);
  text = metrics.Scrape({}, 0);  // the jobs were deleted
  EXPECT_EQ(Sample(text, "strads_jobs{app=\"mf\",state=\"running\"}"), 0);
}

TEST(SchedulerMetrics, NoLabelCarriesAJobId) {
  SchedulerMetrics metrics("v");
  JobSnapshot job;
  job.job_id = "job-77";
  job.spec.app = "lasso";
  const std::string text = metrics.Scrape({job}, 0);
  EXPECT_EQ(text.find("job-77"), std::string::npos);
  // Every label name is one of the few allowed.
  std::regex label(R"(([a-z_]+)=")");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), label);
       it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1];
    EXPECT_TRUE(name == "app" || name == "state" || name == "reason" || name == "version" ||
                name == "le")
        << name;
  }
}

}  // namespace
}  // namespace strads::scheduler
