#include "scheduler_service/job_manager.h"

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "apps/lasso/generator.h"
#include "apps/lasso/lasso_app.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/lasso_scheduler_app.h"
#include "core/labeled_data.h"
#include "core/test_temp_dir.h"
#include "gtest/gtest.h"
#include "scheduler_service/testing/scripted_workers.h"

namespace strads::scheduler {
namespace {

using testing::ScriptedWorkers;

// A finished job as an earlier scheduler left it: its summary with a 10-point history.
JobSnapshot FinishedJob(int64_t number) {
  JobSnapshot job;
  job.job_id = JobStore::JobId(number);
  job.spec.app = "lasso";
  job.spec.data_path = "train.libsvm";
  job.state = JobState::kSucceeded;
  job.message = "converged";
  job.round = 10;
  job.metrics["objective"] = 0.1;
  job.created_unix_ms = 1000;
  job.finished_unix_ms = 2000;
  for (int round = 1; round <= 10; ++round)
    job.history.Add(round, 0.1 * round, {{"objective", 1.0 / round}});
  return job;
}

TEST(JobManager, KeepsAFinishedJobsHistoryOnDiskAndGivesItWithTheJob) {
  const std::string dir = ::strads::TestTempDir() + "/finished_history";
  JobStore store(dir);
  ASSERT_TRUE(store.Init().ok());
  ASSERT_TRUE(store.SaveIssuedNumber(1).ok());
  ASSERT_TRUE(store.SaveResult(FinishedJob(1), nullptr).ok());

  WorkerPool pool;
  ShardCatalogue catalogue;
  JobManager jobs(&pool, &catalogue, {.data_dir = dir});
  ASSERT_TRUE(jobs.Start().ok());
  EXPECT_EQ(jobs.HistoryPointsInMemory(), 0);

  absl::StatusOr<JobSnapshot> job = jobs.Get("job-1");
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(job->history.Points().size(), 10u);
  EXPECT_EQ(job->history.Points().back().round, 10);
  EXPECT_EQ(job->history.Points().back().Find("objective"), 0.1);
  absl::StatusOr<JobSnapshot> awaited = jobs.AwaitChange("job-1", 0, absl::Now());
  ASSERT_TRUE(awaited.ok()) << awaited.status();
  EXPECT_EQ(awaited->history.Points().size(), 10u);

  const std::vector<JobSnapshot> listed = jobs.List();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_TRUE(listed[0].history.empty());
  EXPECT_EQ(listed[0].round, 10);
  EXPECT_EQ(listed[0].metrics.at("objective"), 0.1);
  EXPECT_EQ(jobs.HistoryPointsInMemory(), 0);  // the reads left nothing behind
  jobs.Stop();
}

// A small Lasso problem written once per test process, and its lambda.
std::string LassoProblemPath(double* lambda) {
  static double problem_lambda = 0;
  static const std::string* path = [] {
    absl::StatusOr<lasso::LassoProblem> problem = lasso::GenerateLassoProblem(
        {.samples = 80, .features = 40, .density = 0.3, .correlation = 0.3, .seed = 5});
    if (!problem.ok()) std::abort();
    auto* written = new std::string(::strads::TestTempDir() + "/job_manager_lasso.libsvm");
    if (!core::WriteLibsvmFile(*written, problem->data).ok()) std::abort();
    problem_lambda = 0.1 * lasso::LambdaMax(problem->data.x, problem->data.y);
    return written;
  }();
  *lambda = problem_lambda;
  return *path;
}

TEST(JobManager, DropsAJobsHistoryFromMemoryWhenItEndsAndReadsItBack) {
  double lambda = 0;
  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = LassoProblemPath(&lambda);
  spec.workers = 1;
  spec.max_rounds = 30;
  spec.params = {{"lambda", absl::StrFormat("%.17g", lambda)}, {"scheduler", "cyclic"}};
  // The workers' shard bytes come from an app prepared as the job's (one shard, same data).
  lasso::LassoSchedulerApp twin;
  ASSERT_TRUE(twin.Prepare(spec, 1).ok());
  WorkerPool pool;
  ScriptedWorkers workers(&pool, &twin, lasso::NewLassoWorkerApp);
  workers.Connect("a");

  ShardCatalogue catalogue;
  JobManager jobs(&pool, &catalogue, {.data_dir = ::strads::TestTempDir() + "/ran_history"});
  ASSERT_TRUE(jobs.Start().ok());
  absl::StatusOr<std::string> id = jobs.Submit(spec);
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<JobSnapshot> job = jobs.Get(*id);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (job.ok() && !IsTerminal(job->state) && absl::Now() < deadline) {
    job = jobs.AwaitChange(*id, job->version, deadline);
  }
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(job->state, JobState::kSucceeded) << job->message;
  // The history is released once the summary is written, just after the state is published.
  const absl::Time released_by = absl::Now() + absl::Seconds(5);
  while (jobs.HistoryPointsInMemory() > 0 && absl::Now() < released_by) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(jobs.HistoryPointsInMemory(), 0);
  absl::StatusOr<JobSnapshot> finished = jobs.Get(*id);
  ASSERT_TRUE(finished.ok()) << finished.status();
  ASSERT_FALSE(finished->history.empty());
  EXPECT_EQ(finished->history.Points().back().round, finished->round);
  EXPECT_EQ(finished->history.Points().back().Find("objective"), finished->metrics.at("objective"));
  jobs.Stop();
}

}  // namespace
}  // namespace strads::scheduler
