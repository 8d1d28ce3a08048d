#include "scheduler_service/http/jobs_api.h"

#include <limits>

#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

JobSnapshot RunningLasso() {
  JobSnapshot job;
  job.job_id = "job-3";
  job.spec.app = "lasso";
  job.spec.name = "path";
  job.spec.workers = 2;
  job.spec.max_rounds = 400;
  job.spec.params["scheduler"] = "dynamic";
  job.state = JobState::kRunning;
  job.round = 100;
  job.seconds = 1.5;
  job.metrics = {{"objective", 12.5}, {"nnz", 7}};
  return job;
}

TEST(JobsApi, AJobIsTheCliJsonPlusItsProgress) {
  nlohmann::json json = JobJson(RunningLasso());
  EXPECT_EQ(json["job_id"], "job-3");
  EXPECT_EQ(json["name"], "path");
  EXPECT_EQ(json["app"], "lasso");
  EXPECT_EQ(json["state"], "running");
  EXPECT_EQ(json["rounds"], 100);
  EXPECT_EQ(json["scheduler"], "dynamic");
  EXPECT_DOUBLE_EQ(json["objective"].get<double>(), 12.5);
  EXPECT_TRUE(json["nnz"].is_number_integer());  // counts as integers, as `strads jobs --json`
  EXPECT_DOUBLE_EQ(json["progress"].get<double>(), 0.25);
}

TEST(JobsApi, ProgressIsUnknownWithoutARoundLimitAndFullOnceSucceeded) {
  JobSnapshot job = RunningLasso();
  job.spec.max_rounds = 0;
  EXPECT_TRUE(JobJson(job)["progress"].is_null());
  job.state = JobState::kSucceeded;
  EXPECT_DOUBLE_EQ(JobJson(job)["progress"].get<double>(), 1.0);
}

TEST(JobsApi, CurveColumnsLineUpWithNullsForMissingValues) {
  std::vector<core::ConvergencePoint> points = {
      {.round = 1, .seconds = 0.1, .metrics = {{"objective", 9}}},
      {.round = 2, .seconds = 0.2, .metrics = {{"objective", 8}, {"duality_gap", 0.5}}}};
  nlohmann::json curve = CurveJson(points);
  EXPECT_EQ(curve["round"], nlohmann::json({1, 2}));
  EXPECT_EQ(curve["seconds"], nlohmann::json({0.1, 0.2}));
  EXPECT_EQ(curve["objective"], nlohmann::json({9.0, 8.0}));
  ASSERT_EQ(curve["duality_gap"].size(), 2u);
  EXPECT_TRUE(curve["duality_gap"][0].is_null());
  EXPECT_DOUBLE_EQ(curve["duality_gap"][1].get<double>(), 0.5);
  EXPECT_FALSE(curve.contains("test_rmse"));  // no point has it
}

TEST(JobsApi, WorkersSayWhatTheyHold) {
  nlohmann::json json = WorkersJson({{.id = "w1",
                                      .name = "host-a",
                                      .job_id = "job-3",
                                      .connected_unix_ms = 5,
                                      .shards_loaded = 2}});
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["worker_id"], "w1");
  EXPECT_EQ(json[0]["job_id"], "job-3");
  EXPECT_EQ(json[0]["shards_loaded"], 2);
}

}  // namespace
}  // namespace strads::scheduler
