#include "apps/lasso/lasso_params.h"

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "apps/lasso/lasso_app.h"
#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

core::JobSpec SpecWith(std::map<std::string, std::string> params) {
  core::JobSpec spec;
  spec.app = "lasso";
  spec.params = std::move(params);
  return spec;
}

void ExpectRefused(const std::map<std::string, std::string>& params, const std::string& name) {
  absl::StatusOr<LassoParams> parsed = ParseLassoParams(SpecWith(params));
  ASSERT_FALSE(parsed.ok()) << "accepted bad " << name;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find(name), std::string::npos) << parsed.status().message();
}

TEST(ParseLassoParams, HasDocumentedDefaults) {
  absl::StatusOr<LassoParams> params = ParseLassoParams(SpecWith({}));
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_FALSE(params->lambda_given);
  EXPECT_EQ(params->scheduler, LassoScheduler::kWorkingSet);
  EXPECT_EQ(params->dependency_check, DependencyCheck::kGershgorin);
  EXPECT_EQ(params->working_set_max, kDefaultWorkingSetMax);
  EXPECT_EQ(params->batch, 64);
  EXPECT_DOUBLE_EQ(params->rho, 0.3);
  EXPECT_EQ(params->gap_every, 0);
  EXPECT_EQ(params->max_rounds, kDefaultMaxRounds);
  EXPECT_DOUBLE_EQ(params->tolerance, kDefaultTolerance);
}

TEST(ParseLassoParams, ReadsEveryParameter) {
  core::JobSpec spec = SpecWith({{"lambda", "0.5"},
                                 {"scheduler", "random"},
                                 {"batch", "8"},
                                 {"rho", "0.5"},
                                 {"eta", "1e-3"},
                                 {"gap_every", "7"},
                                 {"seed", "42"},
                                 {"candidates", "3"}});
  spec.max_rounds = 10;
  spec.tolerance = 1e-9;
  absl::StatusOr<LassoParams> params = ParseLassoParams(spec);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_TRUE(params->lambda_given);
  EXPECT_DOUBLE_EQ(params->lambda, 0.5);
  EXPECT_EQ(params->scheduler, LassoScheduler::kRandom);
  EXPECT_EQ(params->batch, 8);
  EXPECT_DOUBLE_EQ(params->rho, 0.5);
  EXPECT_DOUBLE_EQ(params->eta, 1e-3);
  EXPECT_EQ(params->gap_every, 7);
  EXPECT_EQ(params->seed, 42u);
  EXPECT_DOUBLE_EQ(params->candidates_factor, 3.0);
  EXPECT_EQ(params->max_rounds, 10);
  EXPECT_DOUBLE_EQ(params->tolerance, 1e-9);
}

TEST(ParseLassoParams, ReadsTheModelOptions) {
  absl::StatusOr<LassoParams> defaults = ParseLassoParams(SpecWith({}));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_FALSE(defaults->intercept);
  EXPECT_FALSE(defaults->standardize);
  EXPECT_EQ(defaults->path, 1);
  EXPECT_FALSE(defaults->path_ratio_given);
  EXPECT_DOUBLE_EQ(defaults->path_ratio, 0.1);

  absl::StatusOr<LassoParams> params = ParseLassoParams(SpecWith(
      {{"intercept", "true"}, {"standardize", "yes"}, {"path", "20"}, {"path_ratio", "0.01"}}));
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_TRUE(params->intercept);
  EXPECT_TRUE(params->standardize);
  EXPECT_EQ(params->path, 20);
  EXPECT_TRUE(params->path_ratio_given);
  EXPECT_DOUBLE_EQ(params->path_ratio, 0.01);
}

TEST(ParseLassoParams, RefusesBadModelOptions) {
  ExpectRefused({{"intercept", "maybe"}}, "intercept");
  ExpectRefused({{"standardize", "2"}}, "standardize");
  ExpectRefused({{"path", "0"}}, "path");
  ExpectRefused({{"path", "101"}}, "path");
  ExpectRefused({{"path_ratio", "0"}}, "path_ratio");
  ExpectRefused({{"path_ratio", "1"}}, "path_ratio");
  ExpectRefused({{"path_ratio", "0.1"}, {"lambda", "0.5"}}, "path_ratio");
  ExpectRefused({{"path", "5"}, {"lambda", "0"}}, "lambda must be > 0");
  ExpectRefused({{"paths", "5"}}, "paths");
}

TEST(ParseLassoParams, CyclicUsesOneCoordinatePerRound) {
  absl::StatusOr<LassoParams> params =
      ParseLassoParams(SpecWith({{"scheduler", "cyclic"}, {"batch", "32"}}));
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->batch, 1);
}

TEST(ParseLassoParams, RefusesBadValuesNamingTheParameter) {
  ExpectRefused({{"lambda", "-1"}}, "lambda must be > 0");
  ExpectRefused({{"lambda", "0"}}, "lambda must be > 0");
  ExpectRefused({{"lambda", "-0"}}, "lambda must be > 0");
  ExpectRefused({{"lambda", "inf"}}, "lambda must be > 0 and finite");
  ExpectRefused({{"lambda", "abc"}}, "lambda");
  ExpectRefused({{"rho", "1.5"}}, "rho must be in (0, 1]");
  ExpectRefused({{"scheduler", "fastest"}}, "scheduler");
  ExpectRefused({{"batch", "0"}}, "batch");
  ExpectRefused({{"rho", "0"}}, "rho");
  ExpectRefused({{"rho", "1.5"}}, "rho");
  ExpectRefused({{"eta", "0"}}, "eta");
  ExpectRefused({{"candidates", "0.5"}}, "candidates");
  ExpectRefused({{"lamda", "0.1"}}, "lamda");
}

// The sketch exists only with shared data: a width given for served data would be ignored, so it
// is refused; with shared data it is read (and range-checked) whatever the schedule.
TEST(ParseLassoParams, TakesTheSketchWidthOnlyWithSharedData) {
  ExpectRefused({{"sketch_width", "64"}}, "sketch_width needs --data-access shared");
  ExpectRefused({{"sketch_width", "64"}, {"data_access", "served"}},
                "sketch_width needs --data-access shared");
  absl::StatusOr<LassoParams> shared =
      ParseLassoParams(SpecWith({{"sketch_width", "64"}, {"data_access", "shared"}}));
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(shared->sketch_width, 64);
  ExpectRefused({{"sketch_width", "8"}, {"data_access", "shared"}}, "sketch_width must be in");
}

TEST(ParseLassoParams, RefusesBadSpecLimits) {
  core::JobSpec spec = SpecWith({});
  spec.tolerance = -1;
  EXPECT_FALSE(ParseLassoParams(spec).ok());
  spec.tolerance = 0;
  spec.max_rounds = -5;
  EXPECT_FALSE(ParseLassoParams(spec).ok());
}

TEST(ValidateLassoSpec, ChecksTheDataFileAndWorkersCheaply) {
  const std::string path = ::strads::TestTempDir() + "/validate_lasso.libsvm";
  std::ofstream(path) << "1 1:0.5\n";
  core::JobSpec spec = SpecWith({{"lambda", "0.1"}});
  spec.data_path = path;
  EXPECT_TRUE(ValidateLassoSpec(spec).ok()) << ValidateLassoSpec(spec);

  core::JobSpec no_path = spec;
  no_path.data_path = "";
  EXPECT_NE(ValidateLassoSpec(no_path).message().find("data_path"), std::string::npos);

  core::JobSpec missing = spec;
  missing.data_path = path + ".missing";
  absl::Status status = ValidateLassoSpec(missing);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(missing.data_path), std::string::npos) << status;

  core::JobSpec no_workers = spec;
  no_workers.workers = 0;
  EXPECT_NE(ValidateLassoSpec(no_workers).message().find("workers"), std::string::npos);

  core::JobSpec typo = spec;
  typo.params["sheduler"] = "random";
  EXPECT_NE(ValidateLassoSpec(typo).message().find("sheduler"), std::string::npos);
}

}  // namespace
}  // namespace strads::lasso
