// The MF app on a real in-process cluster (scheduler + workers over loopback gRPC): the rounds
// reproduce the single-process reference exactly, the model file holds the user's ids, and
// dynamic load balancing moves rows off a worker that is slower per rating.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "apps/mf/mf_generator.h"
#include "apps/mf/ratings.h"
#include "apps/mf/reference_solver.h"
#include "client/job_client.h"
#include "client/local_cluster.h"
#include "gtest/gtest.h"
#include "tests/cluster_test_support.h"

namespace strads {
namespace {

using testing::MakeTempDir;
using testing::RunToEnd;

using Files = testing::RatingFiles;

core::JobSpec MfSpec(const Files& files, int workers, const std::string& balance) {
  core::JobSpec spec;
  spec.app = "mf";
  spec.data_path = files.train;
  spec.test_path = files.test;
  spec.workers = workers;
  spec.tolerance = 1e-15;  // run every round asked for
  spec.params = {{"rank", "5"}, {"lambda", "0.1"}, {"balance", balance}, {"seed", "3"}};
  return spec;
}

// A terminal job's model is on disk before the state is published: no retry is needed.
absl::Status Download(client::JobClient& client, const std::string& job_id,
                      const std::string& path) {
  return client.DownloadResult(job_id, path).status();
}

TEST(MfCluster, MatchesTheReferenceAndWritesTheUsersIds) {
  const std::string dir = MakeTempDir("data");
  const Files files = testing::WriteMfProblem({.users = 300,
                                               .items = 200,
                                               .ratings = 8000,
                                               .rank = 5,
                                               .power_law = 0.8,
                                               .noise = 0.1,
                                               .test_fraction = 0.1,
                                               .seed = 4},
                                              dir);
  client::LocalCluster cluster({.workers = 3});
  ASSERT_TRUE(cluster.Start().ok());
  client::JobClient client(cluster.address());
  core::JobSpec spec = MfSpec(files, 3, "dynamic");
  spec.max_rounds = 7;
  absl::StatusOr<v1::JobStatus> status = RunToEnd(client, spec);
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->state(), v1::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(status->round(), 7);

  // Identical row updates (same seeded start, same solver, same rating order), so the RMSE
  // agrees to rounding of the per-worker error sums.
  absl::StatusOr<mf::TrainingRatings> train = mf::ReadTrainingRatings(files.train);
  ASSERT_TRUE(train.ok()) << train.status();
  const mf::MfReferenceResult reference =
      mf::SolveMfReference(*train, {.rank = 5, .lambda = 0.1, .seed = 3, .rounds = 7});
  EXPECT_NEAR(status->metrics().at("train_rmse"), reference.train_rmse.back(), 1e-6);
  EXPECT_TRUE(status->metrics().contains("test_rmse"));
  EXPECT_TRUE(status->metrics().contains("busy_seconds_worker_2"));

  const std::string model_path = dir + "/model.txt";
  ASSERT_TRUE(Download(client, status->job_id(), model_path).ok());
  std::ifstream in(model_path);
  std::string line;
  int64_t w_rows = 0;
  int64_t h_rows = 0;
  double max_diff = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string tag;
    std::string id;
    fields >> tag >> id;
    if (tag == "G") {  // "G mu min max": biases are on, so mu is the reference's
      EXPECT_EQ(std::stod(id), reference.mu);
      continue;
    }
    const bool is_w = tag == "W";
    const int32_t row = is_w ? train->users.Find(id) : train->items.Find(id);
    ASSERT_GE(row, 0) << line;
    const std::vector<double>& factor = is_w ? reference.w : reference.h;
    // "<bias> f1 .. f5"; stored as f1 .. f5 then the bias.
    for (int f = 0; f < 6; ++f) {
      double v = 0;
      ASSERT_TRUE(fields >> v) << line;
      const int stored = f == 0 ? 5 : f - 1;
      max_diff = std::max(max_diff, std::abs(v - factor[row * 6 + stored]));
    }
    (is_w ? w_rows : h_rows) += 1;
  }
  EXPECT_EQ(w_rows, train->users.size());
  EXPECT_EQ(h_rows, train->items.size());
  EXPECT_LT(max_diff, 1e-12);
  cluster.Stop();
}

// Worker 1 sleeps three times longer per rating than worker 0, enough to dominate the real
// compute. Uniform popularity, so equal row counts are equal work and all imbalance is speed.
double LastBusySpread(const std::string& balance, const Files& files,
                      std::vector<double> delay_ns_per_rating = {2000, 6000}) {
  client::LocalCluster cluster({.workers = 2, .test_delay_ns_per_unit = delay_ns_per_rating});
  EXPECT_TRUE(cluster.Start().ok());
  client::JobClient client(cluster.address());
  core::JobSpec spec = MfSpec(files, 2, balance);
  spec.max_rounds = 16;
  absl::StatusOr<v1::JobStatus> status = RunToEnd(client, spec);
  EXPECT_TRUE(status.ok()) << status.status();
  if (!status.ok()) return -1;
  EXPECT_EQ(status->state(), v1::JOB_STATE_SUCCEEDED) << status->message();
  const double spread = status->metrics().at("busy_spread");
  std::printf("balance=%s busy_spread=%.3f busy_spread_avg=%.3f seconds=%.2f\n", balance.c_str(),
              spread, status->metrics().at("busy_spread_avg"), status->seconds());
  cluster.Stop();
  return spread;
}

// Busy time is measured for real: on a machine loaded by other tests one run's last round can be
// stretched by descheduling. A second run is taken when the first misses `limit`; a balancer
// that does not balance misses it both times.
template <typename Measure>
double BestOfTwo(double limit, Measure measure) {
  const double first = measure();
  if (first >= 0 && first < limit) return first;
  const double second = measure();
  return second < 0 ? first : std::min(first, second);
}

TEST(MfCluster, DynamicBalanceEvensOutASlowWorker) {
  const std::string dir = MakeTempDir("data");
  const Files files = testing::WriteMfProblem({.users = 400,
                                               .items = 300,
                                               .ratings = 20000,
                                               .rank = 5,
                                               .power_law = 0,
                                               .noise = 0.1,
                                               .test_fraction = 0.05,
                                               .seed = 6},
                                              dir);
  const double fixed = LastBusySpread("static", files);
  EXPECT_GT(fixed, 0.6);  // (3 - 1) / 2 = 1 in theory
  EXPECT_LT(BestOfTwo(0.25, [&] { return LastBusySpread("dynamic", files); }), 0.25);
}

// Power-law popularity with the most popular users and items at the low ids: equal row counts in
// contiguous ranges put most ratings on worker 0. Both workers sleep the same time per rating, so
// busy time is proportional to the ratings a worker was given, measured for real each round.
TEST(MfCluster, DynamicBalanceKeepsBusyTimeEvenOnPowerLawRows) {
  const std::string dir = MakeTempDir("data");
  const Files files = testing::WriteMfProblem({.users = 600,
                                               .items = 400,
                                               .ratings = 20000,
                                               .rank = 5,
                                               .power_law = 1.0,
                                               .noise = 0.1,
                                               .test_fraction = 0.05,
                                               .seed = 8},
                                              dir);
  const double fixed = LastBusySpread("static", files, {1500, 1500});
  EXPECT_GT(fixed, 0.15);
  EXPECT_LT(BestOfTwo(0.15, [&] { return LastBusySpread("dynamic", files, {1500, 1500}); }), 0.15);
}

}  // namespace
}  // namespace strads
