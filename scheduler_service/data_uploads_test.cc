#include "scheduler_service/data_uploads.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

namespace fs = std::filesystem;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int FilesIn(const fs::path& dir) {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++count;
  return count;
}

TEST(DataUploads, StoresTheFileUnderUploadsWithASafeName) {
  const std::string dir = TestTempDir() + "/uploads-ok";
  DataUploads uploads(dir, 1 << 20);
  auto upload = uploads.Start("../../etc/pass wd.libsvm");
  ASSERT_TRUE(upload.ok());
  ASSERT_TRUE((*upload)->Append("1 1:2\n").ok());
  ASSERT_TRUE((*upload)->Append("0 2:1\n").ok());
  absl::StatusOr<std::string> path = (*upload)->Commit();
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(fs::path(*path).parent_path(), fs::path(dir) / "uploads");
  EXPECT_NE(path->find("pass_wd.libsvm"), std::string::npos);
  EXPECT_EQ(Read(*path), "1 1:2\n0 2:1\n");
}

TEST(DataUploads, AnUploadOverTheLimitIsRefusedAndLeavesNothing) {
  const std::string dir = TestTempDir() + "/uploads-big";
  DataUploads uploads(dir, 8);
  {
    auto upload = uploads.Start("big.libsvm");
    ASSERT_TRUE(upload.ok());
    ASSERT_TRUE((*upload)->Append("12345").ok());
    absl::Status status = (*upload)->Append("67890");
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  }
  EXPECT_EQ(FilesIn(fs::path(dir) / "uploads"), 0);
}

TEST(DataUploads, AnAbandonedUploadLeavesNothing) {
  const std::string dir = TestTempDir() + "/uploads-abandoned";
  DataUploads uploads(dir, 1 << 20);
  {
    auto upload = uploads.Start("half.libsvm");
    ASSERT_TRUE(upload.ok());
    ASSERT_TRUE((*upload)->Append("1 1:").ok());
  }
  EXPECT_EQ(FilesIn(fs::path(dir) / "uploads"), 0);
}

}  // namespace
}  // namespace strads::scheduler
