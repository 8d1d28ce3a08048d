#include "scheduler_service/scheduler_readiness.h"

#include <filesystem>

#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

std::string FreshDir(const std::string& name) {
  const std::string dir = TestTempDir() + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(SchedulerReadiness, ReadyWithAWritableDataDirectory) {
  const std::string dir = FreshDir("readiness_ok");
  SchedulerReadiness readiness(dir);
  EXPECT_TRUE(readiness.Check().ok()) << readiness.Check();
  // The probe leaves nothing behind.
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

TEST(SchedulerReadiness, NotReadyWhileDraining) {
  SchedulerReadiness readiness(FreshDir("readiness_drain"));
  readiness.BeginDrain();
  absl::Status status = readiness.Check();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("draining"), std::string::npos) << status;
}

TEST(SchedulerReadiness, NotReadyWhenTheDataDirectoryCannotBeWritten) {
  const std::string dir = FreshDir("readiness_gone");
  SchedulerReadiness readiness(dir);
  ASSERT_TRUE(readiness.Check().ok());
  // Root passes permission checks, so the test takes the directory away instead.
  std::filesystem::remove_all(dir);
  absl::Status status = readiness.Check();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("not writable"), std::string::npos) << status;
  EXPECT_NE(status.message().find(dir), std::string::npos) << status;
}

}  // namespace
}  // namespace strads::scheduler
