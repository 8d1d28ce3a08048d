// The Lasso app on a real in-process cluster (scheduler + workers over loopback gRPC): every
// schedule reaches the reference solver's objective, and the model file holds that solution.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/reference_solver.h"
#include "client/job_client.h"
#include "client/local_cluster.h"
#include "gtest/gtest.h"
#include "tests/cluster_test_support.h"

namespace strads {
namespace {

using testing::MakeTempDir;
using testing::RunToEnd;
using testing::WriteLassoProblem;

// Reads "index value" lines (1-based) of a Lasso model file into a dense vector.
std::vector<double> ReadModel(const std::string& path, int64_t features) {
  std::vector<double> beta(features, 0.0);
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    int64_t index = 0;
    double value = 0;
    fields >> index >> value;
    EXPECT_GE(index, 1) << line;
    EXPECT_LE(index, features) << line;
    if (index >= 1 && index <= features) beta[index - 1] = value;
  }
  return beta;
}

double ObjectiveOf(const core::LabeledData& data, const std::vector<double>& beta, double lambda) {
  std::vector<double> residual = data.y;
  double l1 = 0;
  for (int64_t j = 0; j < data.x.cols; ++j) {
    l1 += std::fabs(beta[j]);
    auto rows = data.x.ColRows(j);
    auto values = data.x.ColValues(j);
    for (size_t k = 0; k < rows.size(); ++k) residual[rows[k]] -= values[k] * beta[j];
  }
  double squared = 0;
  for (double r : residual) squared += r * r;
  return 0.5 * squared + lambda * l1;
}

class LassoClusterTest : public ::testing::TestWithParam<std::pair<std::string, int>> {};

TEST_P(LassoClusterTest, ReachesTheReferenceObjective) {
  const auto& [scheduler, batch] = GetParam();
  const std::string dir = MakeTempDir("data");
  lasso::LassoProblemOptions options;
  options.samples = 300;
  options.features = 120;
  options.density = 0.15;
  options.correlation = 0.8;
  options.group_size = 6;
  options.seed = 7;
  absl::StatusOr<lasso::LassoProblem> problem = WriteLassoProblem(options, dir + "/train.libsvm");
  ASSERT_TRUE(problem.ok()) << problem.status();
  const double lambda = 0.05 * lasso::LambdaMax(problem->data.x, problem->data.y);

  lasso::ReferenceSolverOptions reference_options;
  reference_options.lambda = lambda;
  reference_options.tolerance = 1e-13;
  absl::StatusOr<lasso::ReferenceSolution> reference =
      lasso::SolveLassoReference(problem->data, reference_options);
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_TRUE(reference->converged);

  client::LocalClusterOptions cluster_options;
  cluster_options.workers = 2;
  client::LocalCluster cluster(cluster_options);
  ASSERT_TRUE(cluster.Start().ok());
  client::JobClient client(cluster.address());

  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = dir + "/train.libsvm";
  spec.workers = 2;
  spec.tolerance = 1e-12;
  spec.max_rounds = 2'000'000;
  spec.params = {{"lambda", absl::StrFormat("%.17g", lambda)},
                 {"scheduler", scheduler},
                 {"batch", absl::StrCat(batch)}};
  absl::StatusOr<v1::JobStatus> status = RunToEnd(client, spec);
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->state(), v1::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(status->metrics().at("converged"), 1.0);

  const std::string model_path = dir + "/model.txt";
  ASSERT_TRUE(client.DownloadResult(status->job_id(), model_path).ok());
  std::vector<double> beta = ReadModel(model_path, options.features);
  const double objective = ObjectiveOf(problem->data, beta, lambda);
  EXPECT_NEAR(objective, reference->objective, 1e-8 * reference->objective)
      << "scheduler=" << scheduler;
  EXPECT_NEAR(status->metrics().at("objective"), reference->objective, 1e-8 * reference->objective);
  cluster.Stop();
}

// Shotgun past its safe batch size on strongly correlated columns diverges; the failed job's
// record says so with the round it reached and the objective that gave it away, not the last
// progress snapshot from before.
TEST(LassoCluster, ADivergedJobRecordsWhereItStopped) {
  const std::string dir = MakeTempDir("diverge");
  lasso::LassoProblemOptions options;
  options.samples = 200;
  options.features = 100;
  options.density = 0.3;
  options.correlation = 0.95;
  options.seed = 4;
  absl::StatusOr<lasso::LassoProblem> problem = WriteLassoProblem(options, dir + "/train.libsvm");
  ASSERT_TRUE(problem.ok()) << problem.status();
  double start_objective = 0;  // at b = 0
  for (double y : problem->data.y) start_objective += 0.5 * y * y;
  client::LocalCluster cluster(client::LocalClusterOptions{.workers = 2});
  ASSERT_TRUE(cluster.Start().ok());
  client::JobClient client(cluster.address());
  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = dir + "/train.libsvm";
  spec.workers = 2;
  spec.params = {{"scheduler", "random"}, {"batch", "100"}};
  absl::StatusOr<v1::JobStatus> status = RunToEnd(client, spec);
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->state(), v1::JOB_STATE_FAILED) << status->message();
  const std::string expected_round = absl::StrCat("diverged at round ", status->round(), ":");
  EXPECT_NE(status->message().find(expected_round), std::string::npos)
      << status->message() << " (recorded round " << status->round() << ")";
  EXPECT_GT(status->metrics().at("objective"), 1000 * start_objective) << status->message();
  cluster.Stop();
}

INSTANTIATE_TEST_SUITE_P(EverySchedule, LassoClusterTest,
                         ::testing::Values(std::pair<std::string, int>{"working-set", 64},
                                           std::pair<std::string, int>{"dynamic", 16},
                                           std::pair<std::string, int>{"static", 4},
                                           std::pair<std::string, int>{"cyclic", 1},
                                           std::pair<std::string, int>{"random", 4}),
                         [](const auto& info) {
                           std::string name = info.param.first;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace strads
