// Data the workers read themselves, on a real in-process cluster (scheduler + workers over
// loopback gRPC): a directory of part-* files read with --data-access shared reaches the
// reference objective with the working-set schedule and with the dynamic one on sketched
// correlations, MF on shared ratings fits what served ratings fit, and --data-access is refused
// where it cannot work.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/reference_solver.h"
#include "apps/mf/mf_generator.h"
#include "client/job_client.h"
#include "client/local_cluster.h"
#include "gtest/gtest.h"
#include "tests/cluster_test_support.h"

namespace strads {
namespace {

using testing::MakeTempDir;
using testing::RunToEnd;
using testing::WriteLassoProblem;
using testing::WriteMfProblem;

// Splits a LIBSVM file into `parts` part-* files of `dir` (lines in order).
void SplitIntoParts(const std::string& file, int parts, const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  for (int p = 0; p < parts; ++p) {
    std::ofstream out(absl::StrFormat("%s/part-%05d", dir, p));
    for (size_t i = lines.size() * p / parts; i < lines.size() * (p + 1) / parts; ++i) {
      out << lines[i] << "\n";
    }
  }
}

TEST(SharedDataCluster, WorkersReadTheirPartsAndReachTheReference) {
  const std::string dir = MakeTempDir("shared_data");
  lasso::LassoProblemOptions options;
  options.samples = 2000;
  options.features = 150;
  options.density = 0.1;
  options.correlation = 0.7;
  options.seed = 11;
  absl::StatusOr<lasso::LassoProblem> problem = WriteLassoProblem(options, dir + "/all.libsvm");
  ASSERT_TRUE(problem.ok()) << problem.status();
  SplitIntoParts(dir + "/all.libsvm", 4, dir + "/parts");
  const double lambda = 0.05 * lasso::LambdaMax(problem->data.x, problem->data.y);
  absl::StatusOr<lasso::ReferenceSolution> reference =
      lasso::SolveLassoReference(problem->data, {.lambda = lambda, .tolerance = 1e-13});
  ASSERT_TRUE(reference.ok()) << reference.status();

  client::LocalCluster cluster(client::LocalClusterOptions{.workers = 3});
  ASSERT_TRUE(cluster.Start().ok());
  client::JobClient client(cluster.address());
  for (const char* scheduler : {"working-set", "dynamic"}) {
    core::JobSpec spec;
    spec.app = "lasso";
    spec.data_path = dir + "/parts";
    spec.workers = 3;
    spec.tolerance = 1e-12;
    spec.max_rounds = 1'000'000;
    // 2000 rows over 64 buckets: the dynamic schedule's correlations are estimates.
    spec.params = {{"lambda", absl::StrFormat("%.17g", lambda)},
                   {"scheduler", scheduler},
                   {"data_access", "shared"},
                   {"sketch_width", "64"}};
    absl::StatusOr<v1::JobStatus> status = RunToEnd(client, spec);
    ASSERT_TRUE(status.ok()) << status.status();
    ASSERT_EQ(status->state(), v1::JOB_STATE_SUCCEEDED) << scheduler << ": " << status->message();
    EXPECT_EQ(status->metrics().at("converged"), 1.0) << scheduler;
    EXPECT_NEAR(status->metrics().at("objective"), reference->objective,
                1e-8 * reference->objective)
        << scheduler;
  }

  // Refused at submission: a path without data, and options that need the data on the scheduler.
  core::JobSpec missing;
  missing.app = "lasso";
  missing.data_path = dir + "/nothing-here";
  missing.workers = 2;
  missing.params = {{"data_access", "shared"}};
  absl::StatusOr<v1::JobStatus> refused = RunToEnd(client, missing);
  EXPECT_TRUE(!refused.ok() || refused->state() == v1::JOB_STATE_FAILED);
  core::JobSpec labels = missing;
  labels.data_path = dir + "/parts";
  labels.labels_path = dir + "/all.libsvm";
  absl::StatusOr<v1::JobStatus> failed = RunToEnd(client, labels);
  EXPECT_TRUE(!failed.ok() || failed->state() == v1::JOB_STATE_FAILED);
  cluster.Stop();
}

// Star ratings with biases on 3 workers over gRPC: the shared-data job (workers read byte ranges
// of both files, send normal equations) ends at the served job's round with its RMSEs.
TEST(SharedDataCluster, MfOnSharedRatingsFitsWhatServedRatingsFit) {
  const std::string dir = MakeTempDir("shared_mf");
  const testing::RatingFiles files = WriteMfProblem({.users = 500,
                                                     .items = 300,
                                                     .ratings = 20000,
                                                     .rank = 5,
                                                     .power_law = 0.8,
                                                     .noise = 0.8,
                                                     .mean = 3.5,
                                                     .user_bias = 0.4,
                                                     .item_bias = 0.5,
                                                     .factor_scale = 0.5,
                                                     .stars = true,
                                                     .seed = 3},
                                                    dir);
  client::LocalCluster cluster(client::LocalClusterOptions{.workers = 3});
  ASSERT_TRUE(cluster.Start().ok());
  client::JobClient client(cluster.address());
  std::map<std::string, v1::JobStatus> ended;
  for (const char* access : {"served", "shared"}) {
    core::JobSpec spec;
    spec.app = "mf";
    spec.data_path = files.train;
    spec.test_path = files.test;
    spec.workers = 3;
    spec.params = {{"rank", "6"}, {"lambda", "0.15"}, {"data_access", access}};
    absl::StatusOr<v1::JobStatus> status = RunToEnd(client, spec);
    ASSERT_TRUE(status.ok()) << status.status();
    ASSERT_EQ(status->state(), v1::JOB_STATE_SUCCEEDED) << access << ": " << status->message();
    ended[access] = *status;
  }
  const auto& served = ended["served"].metrics();
  const auto& shared = ended["shared"].metrics();
  EXPECT_EQ(served.at("converged"), 1.0);
  EXPECT_EQ(shared.at("converged"), 1.0);
  EXPECT_EQ(shared.at("rounds"), served.at("rounds"));
  for (const char* metric : {"train_rmse", "test_rmse", "objective"}) {
    EXPECT_NEAR(shared.at(metric), served.at(metric), 1e-9 * served.at(metric)) << metric;
  }
  cluster.Stop();
}

}  // namespace
}  // namespace strads
