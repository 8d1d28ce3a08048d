#include "scheduler_service/job_snapshot.h"

#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

std::vector<JobSnapshot> Jobs(std::initializer_list<JobState> states) {
  std::vector<JobSnapshot> jobs;
  int number = 1;
  for (JobState state : states) {
    JobSnapshot job;
    job.job_id = "job-" + std::to_string(number++);
    job.state = state;
    jobs.push_back(job);
  }
  return jobs;
}

std::vector<std::string> Ids(const std::vector<JobSnapshot>& jobs) {
  std::vector<std::string> ids;
  for (const JobSnapshot& job : jobs) ids.push_back(job.job_id);
  return ids;
}

TEST(SelectJobs, KeepsOnlyTheStatesAskedFor) {
  auto jobs =
      Jobs({JobState::kSucceeded, JobState::kRunning, JobState::kFailed, JobState::kSucceeded});
  EXPECT_EQ(Ids(SelectJobs(jobs, {{JobState::kSucceeded}, 0})),
            (std::vector<std::string>{"job-1", "job-4"}));
  EXPECT_EQ(Ids(SelectJobs(jobs, {{JobState::kRunning, JobState::kFailed}, 0})),
            (std::vector<std::string>{"job-2", "job-3"}));
  EXPECT_EQ(SelectJobs(jobs, {}).size(), 4u);
}

TEST(SelectJobs, TheLimitKeepsTheNewestInSubmissionOrder) {
  auto jobs =
      Jobs({JobState::kSucceeded, JobState::kRunning, JobState::kFailed, JobState::kSucceeded});
  EXPECT_EQ(Ids(SelectJobs(jobs, {{}, 2})), (std::vector<std::string>{"job-3", "job-4"}));
  EXPECT_EQ(Ids(SelectJobs(jobs, {{JobState::kSucceeded}, 1})),
            (std::vector<std::string>{"job-4"}));
  EXPECT_EQ(SelectJobs(jobs, {{}, 10}).size(), 4u);
}

}  // namespace
}  // namespace strads::scheduler
