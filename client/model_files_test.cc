#include "client/model_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

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

TEST(PlaceModelFiles, SplitsMfFactorsWithoutTagsAndDescribesEachFile) {
  const std::string downloaded = TestTempDir() + "/mf.download";
  std::ofstream(downloaded) << "# strads mf model\n# format: 'W <user id> f1 ... fK' and ...\n"
                               "G 3.5 1 5\nW u7 0.5 1\nH i3 2 0.25\nW u9 1 1\n";
  const std::string prefix = TestTempDir() + "/factors";
  absl::StatusOr<std::vector<std::string>> paths = PlaceModelFiles("mf", downloaded, prefix);
  ASSERT_TRUE(paths.ok()) << paths.status();
  ASSERT_EQ(paths->size(), 3u);
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string w = read(prefix + "-W.txt");
  const std::string h = read(prefix + "-H.txt");
  EXPECT_THAT(w, HasSubstr("# strads mf model\n# format: '<user id> <b_user> f1 ... fK'"));
  EXPECT_THAT(w, HasSubstr("\nu7 0.5 1\nu9 1 1\n"));
  EXPECT_THAT(h, HasSubstr("# format: '<item id> <b_item> f1 ... fK'"));
  EXPECT_THAT(h, HasSubstr("\ni3 2 0.25\n"));
  EXPECT_THAT(read(prefix + "-global.txt"), HasSubstr("\n3.5 1 5\n"));
  EXPECT_FALSE(std::filesystem::exists(downloaded));
}

TEST(PlaceModelFiles, KeepsOneFileForAnAppWithoutParts) {
  for (const char* app : {"lasso", "an-app-from-a-newer-scheduler"}) {
    const std::string downloaded = TestTempDir() + "/one.download";
    std::ofstream(downloaded) << "# a model\n1 0.5\n";
    const std::string out = TestTempDir() + "/one-" + app + ".txt";
    absl::StatusOr<std::vector<std::string>> paths = PlaceModelFiles(app, downloaded, out);
    ASSERT_TRUE(paths.ok()) << paths.status();
    EXPECT_THAT(*paths, ::testing::ElementsAre(out));
    EXPECT_TRUE(std::filesystem::exists(out));
  }
}

TEST(ModelOutHelp, NamesThePartsOfAPrefixFromTheRegistry) {
  EXPECT_EQ(ModelOutHelp(apps::FindApp("lasso")), "write the model here");
  EXPECT_EQ(ModelOutHelp(apps::FindApp("lasso"), ModelOutDefault::kAppName),
            "write the model here (default: lasso-model.txt in the current directory, replacing "
            "what has those names)");
  EXPECT_THAT(ModelOutHelp(apps::FindApp("mf"), ModelOutDefault::kAppName),
              HasSubstr("(default prefix: mf-model in the current directory"));
  EXPECT_THAT(ModelOutHelp(nullptr, ModelOutDefault::kJobId),
              HasSubstr("default: named after the job id"));
  EXPECT_THAT(ModelOutHelp(apps::FindApp("mf")),
              HasSubstr("PREFIX-W.txt, PREFIX-H.txt and PREFIX-global.txt"));
  EXPECT_THAT(ModelOutHelp(nullptr),
              HasSubstr("mf: a prefix for PREFIX-W.txt, PREFIX-H.txt and PREFIX-global.txt"));
}

TEST(SummaryJsonHelp, NamesTheFileRunWritesByDefault) {
  EXPECT_EQ(SummaryJsonHelp(apps::FindApp("lasso"), ModelOutDefault::kAppName),
            "write a JSON summary here (default: lasso-summary.json in the current directory, "
            "replacing a file of that name)");
  EXPECT_EQ(DefaultSummaryJson("mf"), "mf-summary.json");
  // submit, watch and result write a summary only when asked.
  EXPECT_EQ(SummaryJsonHelp(apps::FindApp("mf")), "write a JSON summary here");
  EXPECT_EQ(SummaryJsonHelp(nullptr, ModelOutDefault::kJobId), "write a JSON summary here");
}

TEST(WriteError, NamesThePathAndTheOsReason) {
  EXPECT_EQ(WriteError("/x/m.txt", ENOENT).message(),
            "cannot write '/x/m.txt': No such file or directory");
}

// An output that names an input (itself, or through a link) is refused before anything is
// written; other files, and outputs that do not exist yet, pass.
TEST(CheckNotAnInput, RefusesAnOutputThatIsAnInputEvenThroughALink) {
  const std::string dir = TestTempDir();
  const std::string data = dir + "/data.libsvm";
  std::ofstream(data) << "1 1:1\n";
  const std::string link = dir + "/link.libsvm";
  std::filesystem::remove(link);
  std::filesystem::create_symlink(data, link);
  EXPECT_THAT(std::string(CheckNotAnInput("--out", data, {{"--data", data}}).message()),
              HasSubstr("--out '" + data + "' is the same file as --data"));
  EXPECT_FALSE(CheckNotAnInput("--out", link, {{"--labels", ""}, {"--data", data}}).ok());
  EXPECT_TRUE(CheckNotAnInput("--out", dir + "/new.txt", {{"--data", data}}).ok());
  EXPECT_TRUE(CheckNotAnInput("--out", data, {{"--data", ""}, {"--model", dir}}).ok());
}

TEST(WriteFileReplacing, WritesAndOnFailureLeavesTheOldFileAndNoTemporary) {
  const std::string dir = TestTempDir() + "/replacing";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/out.txt";
  ASSERT_TRUE(WriteFileReplacing(path, "first\n").ok());
  ASSERT_TRUE(WriteFileReplacing(path, "second\n").ok());
  std::ifstream in(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "second\n");
  // The rename over a non-empty directory fails: the directory stays, and so does nothing else.
  const std::string blocked = dir + "/blocked";
  std::filesystem::create_directories(blocked + "/inside");
  EXPECT_THAT(std::string(WriteFileReplacing(blocked, "x").message()),
              HasSubstr("cannot write '" + blocked + "'"));
  EXPECT_TRUE(std::filesystem::is_directory(blocked + "/inside"));
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"blocked", "out.txt"}));
}

}  // namespace
}  // namespace strads::client
