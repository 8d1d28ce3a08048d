#include "scheduler_service/access_policy.h"

#include <fstream>

#include "absl/status/statusor.h"
#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

TEST(AccessPolicy, AnOpenSchedulerAdmitsEveryone) {
  AccessPolicy open;
  EXPECT_TRUE(open.Check(Role::kClient, "").ok());
  EXPECT_TRUE(open.Check(Role::kWorker, "Bearer anything").ok());
}

TEST(AccessPolicy, EachRoleNeedsItsOwnToken) {
  AccessPolicy policy("client-secret", "worker-secret");
  EXPECT_TRUE(policy.Check(Role::kClient, "Bearer client-secret").ok());
  EXPECT_TRUE(policy.Check(Role::kWorker, "Bearer worker-secret").ok());
  EXPECT_EQ(policy.Check(Role::kClient, "Bearer worker-secret").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.Check(Role::kWorker, "Bearer client-secret").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.Check(Role::kClient, "Bearer client-secre").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.Check(Role::kClient, "Bearer client-secrets").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AccessPolicy, AMissingTokenSaysHowToPassOne) {
  AccessPolicy policy("c", "w");
  absl::Status status = policy.Check(Role::kClient, "");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(status.message().find("--token-file"), std::string::npos);
  EXPECT_EQ(policy.Check(Role::kWorker, "Basic dzp3").code(), absl::StatusCode::kUnauthenticated);
}

TEST(AccessPolicy, ARoleWithoutATokenIsShutOutWhenTheOtherHasOne) {
  AccessPolicy clients_only("c", "");
  EXPECT_TRUE(clients_only.Check(Role::kClient, "Bearer c").ok());
  EXPECT_EQ(clients_only.Check(Role::kWorker, "Bearer c").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(ReadTokenFile, ReadsTheFirstLineTrimmed) {
  const std::string path = TestTempDir() + "/token";
  std::ofstream(path) << "  s3cret \nignored\n";
  absl::StatusOr<std::string> token = ReadTokenFile(path);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "s3cret");
  std::ofstream(path) << "\n";
  EXPECT_FALSE(ReadTokenFile(path).ok());
  EXPECT_EQ(ReadTokenFile(path + ".missing").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace strads::scheduler
