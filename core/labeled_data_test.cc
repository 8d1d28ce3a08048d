#include "core/labeled_data.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/csc_matrix.h"
#include "core/test_temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

std::string TempPath(const std::string& name) { return ::strads::TestTempDir() + "/" + name; }

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(ParseLibsvm, ReadsLabelsAndValues) {
  auto d = ParseLibsvm("1 1:0.5 3:-2\n-1 2:4e2\n+1\n", "t.libsvm");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->y, ElementsAre(1.0, -1.0, 1.0));
  EXPECT_EQ(d->x.rows, 3);
  EXPECT_EQ(d->x.cols, 3);
  EXPECT_THAT(d->x.ColRows(0), ElementsAre(0));
  EXPECT_THAT(d->x.ColValues(0), ElementsAre(0.5));
  EXPECT_THAT(d->x.ColRows(1), ElementsAre(1));
  EXPECT_THAT(d->x.ColValues(1), ElementsAre(400.0));
  EXPECT_THAT(d->x.ColValues(2), ElementsAre(-2.0));
}

TEST(ParseLibsvm, MinFeaturesWidensTheMatrix) {
  auto d = ParseLibsvm("1 2:1\n", "t", 10);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->x.cols, 10);
  EXPECT_EQ(d->x.col_ptr.size(), 11u);
  auto narrow = ParseLibsvm("1 5:1\n", "t", 2);
  ASSERT_TRUE(narrow.ok());
  EXPECT_EQ(narrow->x.cols, 5);  // never narrows
}

TEST(ParseLibsvm, SkipsCommentsBlankLinesAndAcceptsCrlfTabsQid) {
  const std::string text =
      "# header comment\r\n"
      "\r\n"
      "   \t \n"
      "2\tqid:7 1:1.5\t2:2.5   \r\n"
      "  # indented comment\n"
      "3 2:1 # trailing comment\n"
      "4";  // no final newline
  auto d = ParseLibsvm(text, "t");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->y, ElementsAre(2.0, 3.0, 4.0));
  EXPECT_EQ(d->x.cols, 2);
  EXPECT_THAT(d->x.ColValues(0), ElementsAre(1.5));
  EXPECT_THAT(d->x.ColRows(1), ElementsAre(0, 1));
  EXPECT_THAT(d->x.ColValues(1), ElementsAre(2.5, 1.0));
}

struct BadCase {
  std::string text;
  std::string expected;  // substring of the message
};

// Fed in pieces of whole lines, the parser builds the same matrix as from the whole text, and
// its errors count lines from the first piece.
TEST(LibsvmParser, PiecewiseEqualsWhole) {
  std::string text = "\xEF\xBB\xBF# header\n";
  std::mt19937 random(3);
  std::uniform_int_distribution<int> feature(1, 9);
  for (int row = 0; row < 40; ++row) {
    text += std::to_string(row % 7 - 3);
    int index = 0;
    for (int k = 0; k < 3; ++k) {
      index += feature(random);
      text += " " + std::to_string(index) + ":" + std::to_string(0.5 * (row + k));
    }
    text += row % 5 == 0 ? "\r\n\n" : "\n";
  }
  absl::StatusOr<LabeledData> whole = ParseLibsvm(text, "d.libsvm", 40);
  ASSERT_TRUE(whole.ok()) << whole.status();
  for (size_t lines_per_piece : {1, 2, 7, 1000}) {
    LibsvmParser parser("d.libsvm");
    size_t begin = 0;
    while (begin < text.size()) {
      size_t end = begin;
      for (size_t k = 0; k < lines_per_piece && end < text.size(); ++k) {
        end = text.find('\n', end);
        end = end == std::string::npos ? text.size() : end + 1;
      }
      ASSERT_TRUE(parser.Feed(std::string_view(text).substr(begin, end - begin)).ok());
      begin = end;
    }
    absl::StatusOr<LabeledData> pieces = parser.Finish(40);
    ASSERT_TRUE(pieces.ok()) << pieces.status();
    EXPECT_EQ(pieces->y, whole->y);
    EXPECT_EQ(pieces->x.col_ptr, whole->x.col_ptr);
    EXPECT_EQ(pieces->x.row_idx, whole->x.row_idx);
    EXPECT_EQ(pieces->x.values, whole->x.values);
  }

  LibsvmParser failing("bad.libsvm");
  ASSERT_TRUE(failing.Feed("1 1:1\n\n").ok());
  const absl::Status error = failing.Feed("# c\n1 0:1\n");
  EXPECT_THAT(Message(error), HasSubstr("bad.libsvm line 4: index 0"));
  EXPECT_FALSE(failing.Feed("1 1:1\n").ok());  // no more after an error
  EXPECT_FALSE(failing.Finish().ok());
}

TEST(ParseLibsvm, RejectsMalformedInputNamingSourceAndLine) {
  const std::vector<BadCase> cases = {
      {"1 1:1\n\n1 0:1\n", "bad.libsvm line 3: index 0; LIBSVM indices start at 1"},
      {"1 -2:1\n", "bad.libsvm line 1: index -2; LIBSVM indices start at 1"},
      {"1 9:1 7:1\n", "bad.libsvm line 1: indices must be increasing (7 after 9)"},
      {"1 3:1 3:2\n", "bad.libsvm line 1: indices must be increasing (3 after 3)"},
      {"# c\n1 5:abc\n", "bad.libsvm line 2: value 'abc' for index 5 is not a number"},
      {"1 5:\n", "bad.libsvm line 1: value '' for index 5 is not a number"},
      {"1 5:1.0x\n", "bad.libsvm line 1: value '1.0x' for index 5 is not a number"},
      {"1 2:nan\n", "bad.libsvm line 1: value for index 2 is NaN"},
      {"1 2:-inf\n", "bad.libsvm line 1: value for index 2 is infinite"},
      {"1\n2\nnan 1:1\n", "bad.libsvm line 3: label is NaN"},
      {"1\r\n2\r\n3\r\ninf 1:1\r\n", "bad.libsvm line 4: label is infinite"},
      {"x 1:1\n", "bad.libsvm line 1: label 'x' is not a number"},
      {"1 4\n", "bad.libsvm line 1: token '4' is not index:value (missing ':')"},
      {"1 a:4\n", "bad.libsvm line 1: index 'a' is not an integer"},
      {"1 99999999999:4\n", "bad.libsvm line 1: index 99999999999 is too large"},
      {"1 1:1e999\n", "bad.libsvm line 1: value '1e999' for index 1 is not a number"},
      {"1 1:1 2147483647:1\n",
       "bad.libsvm line 1: index 2147483647 is too large: at most 30000000 features"},
      {"1 30000001:1\n", "bad.libsvm line 1: index 30000001 is too large"},
      {"\x1f\x8b\x08\xff 1:1\n", "bad.libsvm line 1: label '\\x1f\\x8b\\x08\\xff' is not"},
      {"1 1:" + std::string(5000, '7') + "x\n",
       "value '7777777777777777777777777777777777777777'"
       "... (5001 bytes) for index 1 is not a number"},
  };
  for (const BadCase& c : cases) {
    auto d = ParseLibsvm(c.text, "bad.libsvm");
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(Message(d.status()), HasSubstr(c.expected)) << c.text;
  }
}

TEST(ParseLibsvm, AcceptsTheLargestIndexAByteOrderMarkAndUnderflow) {
  auto d = ParseLibsvm(
      "\xEF\xBB\xBF"
      "1 1:1e-400 30000000:2\n",
      "ok.libsvm");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->y[0], 1.0);
  EXPECT_EQ(d->x.cols, kMaxLibsvmFeatures);
  EXPECT_EQ(d->x.values[0], 0.0);
  EXPECT_EQ(d->x.values[1], 2.0);
}

TEST(ParseLibsvm, RejectsInputWithNoSamples) {
  for (const std::string text : {"", "\n\n", "# only a comment\n", "  \r\n"}) {
    auto d = ParseLibsvm(text, "empty.libsvm");
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Message(d.status()), "empty.libsvm has no samples");
  }
}

TEST(ReadLibsvmFile, MissingFileIsNotFound) {
  const std::string path = TempPath("does_not_exist.libsvm");
  auto d = ReadLibsvmFile(path);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(d.status()), "cannot open '" + path + "': No such file or directory");
}

TEST(ReadLibsvmFile, ErrorsNameTheFileAndLine) {
  const std::string path = TempPath("bad_token.libsvm");
  WriteText(path, "1 1:1\n0 2:1\n1 3:oops\n");
  auto d = ReadLibsvmFile(path);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(d.status()),
              HasSubstr(path + " line 3: value 'oops' for index 3 is not a number"));
}

TEST(ReadLibsvmFile, RefusesCompressedFilesNamingTheFormatAndTheCommand) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      // Named otherwise than the tool's suffix: the command writes a new file.
      {std::string("\x1f\x8b\x08\x08rest", 8),
       "is gzip-compressed; decompress it first (gzip -dc '"},
      {std::string("\xfd\x37\x7a\x58\x5a\x00\x04", 7),
       "is xz-compressed; decompress it first (xz -dc '"},
      {"BZh91AY&SY", "is bzip2-compressed"},
      {std::string("\x28\xb5\x2f\xfd\x04", 5), "is zstd-compressed"},
  };
  for (const auto& [bytes, expected] : cases) {
    const std::string path = TempPath("compressed.libsvm");  // the name says nothing
    WriteText(path, bytes);
    absl::StatusOr<LabeledData> d = ReadLibsvmFile(path);
    ASSERT_FALSE(d.ok()) << expected;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(d.status()), HasSubstr(expected));
    EXPECT_THAT(Message(d.status()), HasSubstr("compressed.libsvm"));
  }
  // A label that merely starts with those letters is no bzip2 stream.
  WriteText(TempPath("bzh.libsvm"), "1 1:1\n");
  EXPECT_TRUE(ReadLibsvmFile(TempPath("bzh.libsvm")).ok());
}

TEST(ReadLibsvmFile, EmptyFileHasNoSamples) {
  const std::string path = TempPath("empty.libsvm");
  WriteText(path, "");
  auto d = ReadLibsvmFile(path);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(Message(d.status()), path + " has no samples");
}

TEST(ReadLibsvmFile, ReadsAFile) {
  const std::string path = TempPath("good.libsvm");
  WriteText(path, "0.5 1:1 4:2\r\n-0.5 2:3\r\n");
  auto d = ReadLibsvmFile(path, 6);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->y, ElementsAre(0.5, -0.5));
  EXPECT_EQ(d->x.cols, 6);
  EXPECT_THAT(d->x.ColValues(3), ElementsAre(2.0));
}

TEST(WriteLibsvmFile, RoundTripIsExact) {
  const uint64_t seed = 20240611;
  SCOPED_TRACE(testing::Message() << "seed=" << seed);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> value(-1e3, 1e3);
  std::bernoulli_distribution present(0.2);
  const int64_t rows = 60, cols = 25;
  std::vector<Triplet> triplets;
  LabeledData data;
  for (int64_t i = 0; i < rows; ++i) {
    data.y.push_back(value(rng) * 1e-7);
    for (int64_t j = 0; j < cols; ++j) {
      if (present(rng)) triplets.push_back({i, j, value(rng) / 3.0});
    }
  }
  triplets.push_back({rows - 1, cols - 1, 0.1});  // so that the width survives
  auto x = CscFromTriplets(rows, cols, triplets);
  ASSERT_TRUE(x.ok());
  data.x = *std::move(x);

  const std::string path = TempPath("round_trip.libsvm");
  ASSERT_TRUE(WriteLibsvmFile(path, data).ok());
  auto back = ReadLibsvmFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->y, data.y);
  EXPECT_EQ(back->x.rows, data.x.rows);
  EXPECT_EQ(back->x.cols, data.x.cols);
  EXPECT_EQ(back->x.col_ptr, data.x.col_ptr);
  EXPECT_EQ(back->x.row_idx, data.x.row_idx);
  EXPECT_EQ(back->x.values, data.x.values);  // bit-exact
}

TEST(WriteLibsvmFile, RefusesMismatchedLabelsAndNonFiniteValues) {
  LabeledData data;
  data.x.rows = 2;
  data.y = {1.0};
  data.x.col_ptr = {0};
  EXPECT_EQ(WriteLibsvmFile(TempPath("bad_w.libsvm"), data).code(),
            absl::StatusCode::kInvalidArgument);
  data.y = {1.0, NAN};
  EXPECT_EQ(WriteLibsvmFile(TempPath("bad_w.libsvm"), data).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strads::core
