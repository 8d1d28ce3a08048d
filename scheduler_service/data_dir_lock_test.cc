#include "scheduler_service/data_dir_lock.h"

#include <optional>
#include <string>

#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

TEST(DataDirLock, RefusesASecondHolderUntilTheFirstLetsGo) {
  const std::string dir = ::strads::TestTempDir();
  std::optional<DataDirLock> first;
  {
    absl::StatusOr<DataDirLock> lock = DataDirLock::Acquire(dir);
    ASSERT_TRUE(lock.ok()) << lock.status();
    first.emplace(*std::move(lock));
  }
  absl::StatusOr<DataDirLock> second = DataDirLock::Acquire(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use by another strads-scheduler"), std::string::npos)
      << second.status();
  EXPECT_NE(second.status().message().find(dir), std::string::npos) << second.status();
  first.reset();
  EXPECT_TRUE(DataDirLock::Acquire(dir).ok());
}

TEST(DataDirLock, AMissingDirectoryIsAnError) {
  absl::StatusOr<DataDirLock> lock = DataDirLock::Acquire(::strads::TestTempDir() + "/nope/deeper");
  EXPECT_FALSE(lock.ok());
}

}  // namespace
}  // namespace strads::scheduler
