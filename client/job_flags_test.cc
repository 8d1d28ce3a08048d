#include "client/job_flags.h"

#include "absl/status/status.h"
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

}  // namespace
}  // namespace strads::client
