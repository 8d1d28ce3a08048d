#include "scheduler_service/dispatch_policy.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

QueuedJob Job(int workers, int64_t order, int priority = 0) {
  QueuedJob job;
  job.workers = workers;
  job.order = order;
  job.priority = priority;
  return job;
}

TEST(PlanDispatch, StartsEveryJobThatFitsTogether) {
  std::vector<QueuedJob> jobs = {Job(2, 1), Job(2, 2), Job(1, 3)};
  DispatchPlan plan = PlanDispatch(jobs, /*idle=*/4, /*connected=*/4, kDefaultMaxBackfillPasses);
  EXPECT_THAT(plan.starts, ElementsAre(0, 1));
  EXPECT_EQ(plan.waits[2], JobWait::kWorkers);
}

TEST(PlanDispatch, HigherPriorityFirstAndFifoWithinAPriority) {
  std::vector<QueuedJob> jobs = {Job(1, 1), Job(1, 2, /*priority=*/5), Job(1, 3, 5), Job(1, 4)};
  DispatchPlan plan = PlanDispatch(jobs, 3, 4, kDefaultMaxBackfillPasses);
  EXPECT_THAT(plan.starts, ElementsAre(1, 2, 0));
  EXPECT_EQ(plan.waits[3], JobWait::kWorkers);
}

TEST(PlanDispatch, BackfillsASmallJobPastABlockedBigOneAndCountsThePass) {
  std::vector<QueuedJob> jobs = {Job(4, 1), Job(1, 2)};
  DispatchPlan plan = PlanDispatch(jobs, /*idle=*/2, /*connected=*/4, kDefaultMaxBackfillPasses);
  EXPECT_THAT(plan.starts, ElementsAre(1));
  EXPECT_EQ(plan.waits[0], JobWait::kWorkers);
  EXPECT_EQ(jobs[0].passed, 1);
}

TEST(PlanDispatch, ABlockedJobIsPassedAtMostMaxPassesTimesThenReservesTheWorkers) {
  const int max_passes = 2;
  std::vector<QueuedJob> big = {Job(4, 1)};
  int started_past_it = 0;
  // A stream of small jobs arrives while only one worker is ever idle.
  for (int64_t order = 2; order < 10; ++order) {
    std::vector<QueuedJob> jobs = {big[0], Job(1, order)};
    DispatchPlan plan = PlanDispatch(jobs, /*idle=*/1, /*connected=*/4, max_passes);
    big[0] = jobs[0];
    if (plan.waits[1] == JobWait::kStarts) {
      ++started_past_it;
    } else {
      EXPECT_EQ(plan.waits[1], JobWait::kReserved);
      EXPECT_EQ(plan.blocker[1], 0u);
    }
  }
  EXPECT_EQ(started_past_it, max_passes);
  // Once the workers are back it starts, ahead of the small job that waited behind it.
  std::vector<QueuedJob> jobs = {big[0], Job(1, 10)};
  DispatchPlan plan = PlanDispatch(jobs, 4, 4, max_passes);
  EXPECT_THAT(plan.starts, ElementsAre(0));
  EXPECT_EQ(plan.waits[1], JobWait::kWorkers);
}

TEST(PlanDispatch, NoPassesMeansStrictFifo) {
  std::vector<QueuedJob> jobs = {Job(3, 1), Job(1, 2)};
  DispatchPlan plan = PlanDispatch(jobs, 2, 4, /*max_passes=*/0);
  EXPECT_THAT(plan.starts, IsEmpty());
  EXPECT_EQ(plan.waits[1], JobWait::kReserved);
}

TEST(PlanDispatch, AJobLargerThanTheClusterBlocksNobody) {
  std::vector<QueuedJob> jobs = {Job(8, 1), Job(2, 2)};
  DispatchPlan plan = PlanDispatch(jobs, 4, 4, /*max_passes=*/0);
  EXPECT_THAT(plan.starts, ElementsAre(1));
  EXPECT_EQ(plan.waits[0], JobWait::kMoreThanConnected);
  EXPECT_EQ(jobs[0].passed, 0);
}

TEST(PlanDispatch, APassCountsAgainstEveryBlockedJobJumped) {
  std::vector<QueuedJob> jobs = {Job(4, 1), Job(3, 2), Job(1, 3)};
  DispatchPlan plan = PlanDispatch(jobs, 2, 4, kDefaultMaxBackfillPasses);
  EXPECT_THAT(plan.starts, ElementsAre(2));
  EXPECT_EQ(jobs[0].passed, 1);
  EXPECT_EQ(jobs[1].passed, 1);
  EXPECT_EQ(jobs[2].passed, 0);
}

}  // namespace
}  // namespace strads::scheduler
