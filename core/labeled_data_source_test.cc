#include "core/labeled_data_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "core/test_temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string WriteText(const std::string& name, const std::string& text) {
  const std::string path = ::strads::TestTempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// A named pipe would block the opener until a writer comes: refused at once, as not a file.
TEST(LabeledDataSource, APipeIsRefusedWithoutWaitingForAWriter) {
  const std::string fifo = ::strads::TestTempDir() + "/data.fifo";
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const absl::Status status = CheckLabeledDataPaths(fifo, "");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("is not a regular file"));
  ::unlink(fifo.c_str());
}

TEST(LabeledDataSource, MatrixMarketByExtension) {
  EXPECT_TRUE(IsMatrixMarketPath("data/X.mmt"));
  EXPECT_TRUE(IsMatrixMarketPath("X.MTX"));
  EXPECT_FALSE(IsMatrixMarketPath("train.libsvm"));
  EXPECT_FALSE(IsMatrixMarketPath("mmt"));
}

TEST(LabeledDataSource, ReadsEitherFormatToTheSameData) {
  const std::string libsvm = WriteText("same.libsvm", "1.5 2:3\n-2 1:4 2:5\n");
  const std::string x = WriteText(
      "same.mmt", "%%MatrixMarket matrix coordinate real general\n2 2 3\n2 2 5\n1 2 3\n2 1 4\n");
  const std::string y =
      WriteText("same_y.mmt", "%%MatrixMarket matrix array real general\n2 1\n1.5\n-2\n");
  absl::StatusOr<LabeledData> a = ReadLabeledData(libsvm, "");
  absl::StatusOr<LabeledData> b = ReadLabeledData(x, y);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(b->y, ElementsAre(1.5, -2));
  EXPECT_EQ(a->y, b->y);
  EXPECT_EQ(a->x.col_ptr, b->x.col_ptr);
  EXPECT_EQ(a->x.row_idx, b->x.row_idx);
  EXPECT_EQ(a->x.values, b->x.values);
}

TEST(LabeledDataSource, LabelsGoWithMatrixMarketOnly) {
  const std::string libsvm = WriteText("rule.libsvm", "1 1:1\n");
  const std::string x =
      WriteText("rule.mmt", "%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 1\n");
  EXPECT_THAT(CheckLabeledDataPaths(x, "").message(),
              HasSubstr("rule.mmt is a MatrixMarket design matrix, which holds no labels"));
  EXPECT_THAT(ReadLabeledData(x, "").status().message(), HasSubstr("holds no labels"));
  EXPECT_THAT(CheckLabeledDataPaths(libsvm, x).message(),
              HasSubstr("a LIBSVM file whose labels are its first column"));
  EXPECT_THAT(CheckLabeledDataPaths(x, x + ".missing").message(),
              HasSubstr("rule.mmt.missing: cannot open the labels file"));
  EXPECT_TRUE(CheckLabeledDataPaths(x, x).ok());
  EXPECT_TRUE(CheckLabeledDataPaths(libsvm, "").ok());
}

}  // namespace
}  // namespace strads::core
