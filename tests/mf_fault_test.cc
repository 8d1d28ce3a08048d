// MF on a real in-process cluster when workers come and go: a worker holds only the ratings of
// its rows, so a lost worker's rows must reach whoever takes them over (a spare, a survivor that
// then holds two blocks, or a newcomer that takes a block back from a survivor), and the result
// must not change. Each ALS round solves every row exactly from the other factor, so a repeated
// round changes nothing and the RMSE matches an undisturbed run to rounding.
#include <chrono>
#include <cstdio>
#include <thread>

#include "apps/mf/mf_generator.h"
#include "client/job_client.h"
#include "client/local_cluster.h"
#include "gtest/gtest.h"
#include "tests/cluster_test_support.h"

namespace strads {
namespace {

using testing::MakeTempDir;
using testing::RunToEnd;

constexpr int kRounds = 40;
constexpr double kDelayNsPerRating = 3000;  // ~10 ms rounds: time to lose a worker mid-job

core::JobSpec FaultSpec(const std::string& dir) {
  const testing::RatingFiles files = testing::WriteMfProblem({.users = 300,
                                                              .items = 200,
                                                              .ratings = 8000,
                                                              .rank = 4,
                                                              .power_law = 0.8,
                                                              .noise = 0.1,
                                                              .test_fraction = 0.05,
                                                              .seed = 12},
                                                             dir);
  core::JobSpec spec;
  spec.app = "mf";
  spec.data_path = files.train;
  spec.test_path = files.test;
  spec.workers = 2;
  spec.max_rounds = kRounds;
  spec.tolerance = 1e-15;  // run every round
  spec.params = {{"rank", "4"}, {"lambda", "0.1"}, {"balance", "dynamic"}, {"seed", "5"}};
  return spec;
}

class MfFaultTest : public testing::LocalClusterTest {
 protected:
  void StartCluster(int workers) {
    LocalClusterTest::StartCluster(
        workers, std::vector<double>(static_cast<size_t>(workers), kDelayNsPerRating));
  }

  // Blocks until the job is running at `round` or later.
  void WaitForRound(const std::string& job_id, int64_t round) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      absl::StatusOr<v1::JobStatus> status = client_->Get(job_id);
      ASSERT_TRUE(status.ok()) << status.status();
      if (status->state() == v1::JOB_STATE_RUNNING && status->round() >= round) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    FAIL() << "job " << job_id << " never reached round " << round;
  }

  // Runs the job undisturbed, then again with `disturb` called once it is under way, and checks
  // both end with the same RMSE.
  void ExpectSameResultDespite(const std::function<void(const std::string&)>& disturb) {
    const core::JobSpec spec = FaultSpec(MakeTempDir("mf_fault"));
    absl::StatusOr<v1::JobStatus> undisturbed = RunToEnd(*client_, spec);
    ASSERT_TRUE(undisturbed.ok()) << undisturbed.status();
    ASSERT_EQ(undisturbed->state(), v1::JOB_STATE_SUCCEEDED) << undisturbed->message();

    absl::StatusOr<std::string> job_id = client_->Submit(spec);
    ASSERT_TRUE(job_id.ok()) << job_id.status();
    disturb(*job_id);
    absl::StatusOr<v1::JobStatus> done = client_->Watch(*job_id, 50, [](const v1::JobStatus&) {});
    ASSERT_TRUE(done.ok()) << done.status();
    ASSERT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED) << done->message();
    EXPECT_EQ(done->round(), kRounds);
    for (const char* metric : {"train_rmse", "test_rmse"}) {
      const double expected = undisturbed->metrics().at(metric);
      EXPECT_NEAR(done->metrics().at(metric), expected, 1e-9 * expected) << metric;
    }
    final_ = *done;
  }

  v1::JobStatus final_;
};

// What moves is the lost worker's rows, not everything: the spare holds the lost block (its
// shard), and the survivor keeps the rows it had.
double RatingsMovedShare(const v1::JobStatus& status) {
  const double share =
      status.metrics().at("ratings_sent_total") / status.metrics().at("train_ratings");
  std::printf("ratings moved / train ratings: %.3f\n", share);
  return share;
}

TEST_F(MfFaultTest, ASpareWorkerReceivesTheRowsOfALostOne) {
  StartCluster(3);
  ExpectSameResultDespite([&](const std::string& job_id) {
    WaitForRound(job_id, 6);
    cluster_->StopWorker(0);
  });
  EXPECT_LT(RatingsMovedShare(final_), 0.5);  // typically 0.2; every rating twice over is 2
}

TEST_F(MfFaultTest, TheSurvivorTakesOverTheLostRows) {
  StartCluster(2);
  ExpectSameResultDespite([&](const std::string& job_id) {
    WaitForRound(job_id, 6);
    cluster_->StopWorker(0);
  });
  EXPECT_EQ(final_.live_workers(), 1);
}

TEST_F(MfFaultTest, ANewcomerTakesABlockBackFromTheSurvivor) {
  StartCluster(2);
  ExpectSameResultDespite([&](const std::string& job_id) {
    WaitForRound(job_id, 6);
    cluster_->StopWorker(0);
    WaitForRound(job_id, 14);
    cluster_->AddWorker(kDelayNsPerRating);
  });
  EXPECT_EQ(final_.live_workers(), 2) << "the newcomer should have joined the job";
  // The survivor's whole block went to the newcomer: one block, not every rating twice over.
  EXPECT_LT(RatingsMovedShare(final_), 0.8);  // typically 0.3
}

}  // namespace
}  // namespace strads
