#include "scheduler_service/job_record_json.h"

#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

JobSnapshot MatrixMarketJob() {
  JobSnapshot snapshot;
  snapshot.job_id = "job-7";
  snapshot.state = JobState::kRunning;
  snapshot.round = 12;
  snapshot.spec.app = "lasso";
  snapshot.spec.data_path = "/data/X.mmt";
  snapshot.spec.labels_path = "/data/Y.mmt";
  snapshot.spec.workers = 3;
  snapshot.spec.params = {{"alpha", "0.01"}};
  return snapshot;
}

// A restarted scheduler resumes a job from this record: every input path must survive it.
TEST(JobRecordJson, KeepsTheLabelsFileAcrossARestart) {
  absl::StatusOr<JobSnapshot> read = SnapshotFromJson(SnapshotToJson(MatrixMarketJob()));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->spec.data_path, "/data/X.mmt");
  EXPECT_EQ(read->spec.labels_path, "/data/Y.mmt");
  EXPECT_EQ(read->spec.workers, 3);
  EXPECT_EQ(read->spec.params.at("alpha"), "0.01");
  EXPECT_EQ(read->state, JobState::kRunning);
  EXPECT_EQ(read->round, 12);
}

// Lists show the name, and retention orders finished jobs by when they ended.
TEST(JobRecordJson, KeepsTheNameAndTheFinishTime) {
  JobSnapshot job = MatrixMarketJob();
  job.spec.name = "nightly";
  job.finished_unix_ms = 1234;
  absl::StatusOr<JobSnapshot> read = SnapshotFromJson(SnapshotToJson(job));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->spec.name, "nightly");
  EXPECT_EQ(read->finished_unix_ms, 1234);
}

TEST(JobRecordJson, ReadsARecordWrittenBeforeLabelsExisted) {
  nlohmann::json json = SnapshotToJson(MatrixMarketJob());
  json["spec"].erase("labels_path");
  absl::StatusOr<JobSnapshot> read = SnapshotFromJson(json);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->spec.labels_path, "");
  EXPECT_EQ(read->spec.data_path, "/data/X.mmt");
}

// `strads plot JOB` draws a finished job's curve after a scheduler restart too.
TEST(JobRecordJson, KeepsTheConvergenceHistory) {
  JobSnapshot job = MatrixMarketJob();
  job.history.Add(1, 0.25, {{"objective", 40}, {"duality_gap", 3}});
  job.history.Add(2, 0.5, {{"objective", 30}, {"duality_gap", 0.5}});
  absl::StatusOr<JobSnapshot> read = SnapshotFromJson(SnapshotToJson(job));
  ASSERT_TRUE(read.ok()) << read.status();
  std::vector<core::ConvergencePoint> points = read->history.Points();
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1].round, 2);
  EXPECT_DOUBLE_EQ(points[1].seconds, 0.5);
  EXPECT_DOUBLE_EQ(*points[1].Find("duality_gap"), 0.5);

  nlohmann::json older = SnapshotToJson(job);
  older.erase("history");
  read = SnapshotFromJson(older);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->history.empty());

  nlohmann::json broken = SnapshotToJson(job);
  broken["history"] = "lost";
  EXPECT_FALSE(SnapshotFromJson(broken).ok());
}

}  // namespace
}  // namespace strads::scheduler
