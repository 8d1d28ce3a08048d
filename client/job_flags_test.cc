#include "client/job_flags.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "apps/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::client {
namespace {

TEST(NameFlagsIn, NamesTheFlagOfAParameterTheAppRefused) {
  EXPECT_EQ(NameFlagsIn("lasso", absl::InvalidArgumentError(
                                     "dependency_check must be one of gershgorin|pairwise"))
                .message(),
            "--dependency-check must be one of gershgorin|pairwise");
  EXPECT_EQ(
      NameFlagsIn("mf", absl::InvalidArgumentError("rank must be in [1, 1000], got 0")).message(),
      "--rank must be in [1, 1000], got 0");
}

TEST(NameFlagsIn, LeavesOtherMessagesAlone) {
  // Not at the start, a prefix of a longer word, another code, an unknown app.
  for (const absl::Status& status :
       {absl::InvalidArgumentError("give lambda or alpha, not both"),
        absl::InvalidArgumentError("lambdas are many"), absl::NotFoundError("lambda file missing"),
        absl::InvalidArgumentError("lambda must be > 0")}) {
    const std::string app = absl::IsNotFound(status) || status.message() != "lambda must be > 0"
                                ? "lasso"
                                : "no-such-app";
    EXPECT_EQ(NameFlagsIn(app, status), status) << status;
  }
}

// Parses `args` as `strads run lasso ARGS` would, and returns the job spec it describes.
absl::StatusOr<core::JobSpec> ParseLasso(std::vector<std::string> args) {
  CLI::App command;
  JobFlags flags;
  AddJobFlags(&command, *apps::FindApp("lasso"), &flags);
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    command.parse(args);
  } catch (const CLI::ParseError& error) {
    return absl::InvalidArgumentError(error.what());
  }
  return BuildSpec(command, flags);
}

TEST(PipelineFlag, SetsTheJobsDepthAndIsZeroForTheAppsDefaultWhenNotGiven) {
  absl::StatusOr<core::JobSpec> spec = ParseLasso({"--data", "x.libsvm", "--pipeline", "8"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->pipeline, 8);
  spec = ParseLasso({"--data", "x.libsvm"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->pipeline, 0);
}

TEST(PipelineFlag, RefusesADepthOutsideOneToTheMaximum) {
  for (const std::string depth : {"0", "-1", "65", "two"}) {
    absl::StatusOr<core::JobSpec> spec = ParseLasso({"--data", "x.libsvm", "--pipeline", depth});
    EXPECT_FALSE(spec.ok()) << depth;
    EXPECT_NE(spec.status().message().find("--pipeline"), std::string::npos) << spec.status();
  }
}

core::JobSpec LassoJob(const std::string& scheduler, int pipeline) {
  core::JobSpec spec;
  spec.app = "lasso";
  spec.pipeline = pipeline;
  spec.params = {{"scheduler", scheduler}};
  return spec;
}

TEST(ResolvePipelineDepth, DefaultsToOneRoundAtATimeAndGivesWhatIsAskedWithinTheLimit) {
  const apps::AppDefinition& lasso = *apps::FindApp("lasso");
  // Measured: deeper, dynamic's objective can rise for a few rounds (docs/benchmarks.md).
  EXPECT_EQ(*apps::ResolvePipelineDepth(lasso, LassoJob("dynamic", 0)), 1);
  EXPECT_EQ(*apps::ResolvePipelineDepth(lasso, LassoJob("dynamic", 4)), 4);
  EXPECT_EQ(*apps::ResolvePipelineDepth(lasso, LassoJob("dynamic", 1)), 1);
  EXPECT_EQ(*apps::ResolvePipelineDepth(lasso, LassoJob("dynamic", 64)), 64);
  EXPECT_EQ(*apps::ResolvePipelineDepth(lasso, LassoJob("static", 0)), 1);
  EXPECT_EQ(*apps::ResolvePipelineDepth(lasso, LassoJob("static", 8)), 8);
  EXPECT_EQ(*apps::ResolvePipelineDepth(lasso, LassoJob("working-set", 0)), 1);
  EXPECT_EQ(*apps::ResolvePipelineDepth(lasso, LassoJob("working-set", 1)), 1);
}

TEST(ResolvePipelineDepth, RefusesMoreThanTheAppOrItsScheduleAllowsAndSaysWhy) {
  const apps::AppDefinition& lasso = *apps::FindApp("lasso");
  absl::StatusOr<int> depth = apps::ResolvePipelineDepth(lasso, LassoJob("working-set", 2));
  ASSERT_TRUE(absl::IsInvalidArgument(depth.status())) << depth.status();
  EXPECT_THAT(std::string(depth.status().message()),
              ::testing::StartsWith("pipeline 2 is refused: "));
  EXPECT_THAT(std::string(depth.status().message()), ::testing::HasSubstr("--scheduler dynamic"));
  // Named as the flag the user typed.
  EXPECT_THAT(std::string(NameFlagsIn("lasso", depth.status()).message()),
              ::testing::StartsWith("--pipeline 2 is refused: "));
  // With shared data no stale push is corrected: only dynamic, which checks a batch against
  // the batches in flight, pipelines.
  for (const std::string scheduler : {"cyclic", "static", "random"}) {
    core::JobSpec shared = LassoJob(scheduler, 2);
    shared.params["data_access"] = "shared";
    depth = apps::ResolvePipelineDepth(lasso, shared);
    ASSERT_TRUE(absl::IsInvalidArgument(depth.status())) << scheduler << ": " << depth.status();
    EXPECT_THAT(std::string(depth.status().message()),
                ::testing::HasSubstr("--data-access shared"));
    shared.pipeline = 0;
    EXPECT_EQ(*apps::ResolvePipelineDepth(lasso, shared), 1) << scheduler;
  }
  core::JobSpec shared = LassoJob("dynamic", 4);
  shared.params["data_access"] = "shared";
  EXPECT_EQ(*apps::ResolvePipelineDepth(lasso, shared), 4);
  depth = apps::ResolvePipelineDepth(lasso, LassoJob("dynamic", 65));
  EXPECT_TRUE(absl::IsInvalidArgument(depth.status())) << depth.status();
  depth = apps::ResolvePipelineDepth(lasso, LassoJob("dynamic", -1));
  EXPECT_TRUE(absl::IsInvalidArgument(depth.status())) << depth.status();
  if (const apps::AppDefinition* mf = apps::FindApp("mf")) {
    core::JobSpec spec;
    spec.app = "mf";
    EXPECT_EQ(*apps::ResolvePipelineDepth(*mf, spec), 1);
    spec.pipeline = 4;
    depth = apps::ResolvePipelineDepth(*mf, spec);
    ASSERT_TRUE(absl::IsInvalidArgument(depth.status())) << depth.status();
    EXPECT_THAT(std::string(depth.status().message()), ::testing::HasSubstr("one round at a time"));
  }
}

}  // namespace
}  // namespace strads::client
