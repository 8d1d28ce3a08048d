#include "client/model_files.h"

#include <filesystem>
#include <fstream>

#include "core/test_temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::client {
namespace {

using ::testing::HasSubstr;

TEST(CheckCanWrite, RefusesAMissingDirectoryNamingTheFlagAndPath) {
  absl::Status status = CheckCanWrite("--model-out", "/nonexistent/m.txt", false);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "--model-out '/nonexistent/m.txt': directory '/nonexistent' does not exist");
}

TEST(CheckCanWrite, RefusesADirectoryButNotAPrefixThatNamesOne) {
  const std::string dir = TestTempDir();
  EXPECT_THAT(std::string(CheckCanWrite("--summary-json", dir, false).message()),
              HasSubstr("is a directory"));
  // An mf prefix "results" writes results-W.txt and results-H.txt beside a directory "results".
  EXPECT_TRUE(CheckCanWrite("--model-out", dir, true).ok());
}

TEST(CheckCanWrite, AcceptsANewFileInAWritableDirectory) {
  EXPECT_TRUE(CheckCanWrite("--model-out", TestTempDir() + "/model.txt", false).ok());
  EXPECT_TRUE(CheckCanWrite("--model-out", "relative-model.txt", false).ok());
}

TEST(CheckCanWrite, RefusesAPathUnderAFile) {
  const std::string file = TestTempDir() + "/plain-file";
  std::ofstream(file) << "x";
  EXPECT_THAT(std::string(CheckCanWrite("--model-out", file + "/m.txt", false).message()),
              HasSubstr("is not a directory"));
}

TEST(WriteError, NamesThePathAndTheOsReason) {
  EXPECT_EQ(WriteError("/x/m.txt", ENOENT).message(),
            "cannot write '/x/m.txt': No such file or directory");
}

}  // namespace
}  // namespace strads::client
