#include "apps/mf/ratings.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "apps/mf/mf_generator.h"
#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::mf {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::strads::TestTempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// Entry (user id, item id) -> rating, through the id maps, or NaN when absent.
double RatingOf(const TrainingRatings& train, const std::string& user, const std::string& item) {
  const int32_t u = train.users.Find(user);
  const int32_t i = train.items.Find(item);
  if (u < 0 || i < 0) return std::nan("");
  std::span<const int32_t> items = train.by_user.RowIdx(u);
  for (size_t k = 0; k < items.size(); ++k) {
    if (items[k] == i) return train.by_user.RowValues(u)[k];
  }
  return std::nan("");
}

void ExpectConsistentTranspose(const TrainingRatings& train) {
  const RatingsCsr& by_user = train.by_user;
  const RatingsCsr& by_item = train.by_item;
  ASSERT_EQ(by_user.nnz(), by_item.nnz());
  ASSERT_EQ(by_user.rows, by_item.cols);
  ASSERT_EQ(by_user.cols, by_item.rows);
  for (int64_t i = 0; i < by_item.rows; ++i) {
    std::span<const int32_t> users = by_item.RowIdx(i);
    for (size_t k = 0; k < users.size(); ++k) {
      if (k > 0) EXPECT_LT(users[k - 1], users[k]);
      bool found = false;
      std::span<const int32_t> items = by_user.RowIdx(users[k]);
      for (size_t e = 0; e < items.size(); ++e) {
        if (items[e] == i) found = by_user.RowValues(users[k])[e] == by_item.RowValues(i)[k];
      }
      EXPECT_TRUE(found) << "item " << i << " user " << users[k];
    }
  }
}

TEST(ReadTrainingRatings, ReadsEveryMovieLensSeparator) {
  const std::string text[] = {
      "3\t10\t4.5\n1\t10\t3\n1\t20\t2.5\t881250949\n",
      "userId,movieId,rating,timestamp\n3,10,4.5,1\n1,10,3,2\n1,20,2.5,3\n",
      "3::10::4.5::1\n1::10::3::2\n1::20::2.5::3\n",
      "# comment\n\n3 10 4.5\n1   10 3\n1 20 2.5 99\n",
  };
  for (int f = 0; f < 4; ++f) {
    const std::string path = WriteFile("ml_" + std::to_string(f) + ".txt", text[f]);
    absl::StatusOr<TrainingRatings> train = ReadTrainingRatings(path);
    ASSERT_TRUE(train.ok()) << "format " << f << ": " << train.status();
    EXPECT_EQ(train->by_user.nnz(), 3) << "format " << f;
    // Numeric ids are ordered numerically, whatever the file order.
    ASSERT_EQ(train->users.names, (std::vector<std::string>{"1", "3"})) << "format " << f;
    ASSERT_EQ(train->items.names, (std::vector<std::string>{"10", "20"})) << "format " << f;
    EXPECT_EQ(RatingOf(*train, "3", "10"), 4.5);
    EXPECT_EQ(RatingOf(*train, "1", "20"), 2.5);
    ExpectConsistentTranspose(*train);
  }
}

TEST(ReadTrainingRatings, KeepsFirstAppearanceOrderForTextIds) {
  const std::string path = WriteFile("names.txt", "bob\tdune\t5\nalice\tdune\t4\nbob\talien\t2\n");
  absl::StatusOr<TrainingRatings> train = ReadTrainingRatings(path);
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->users.names, (std::vector<std::string>{"bob", "alice"}));
  EXPECT_EQ(train->items.names, (std::vector<std::string>{"dune", "alien"}));
  EXPECT_EQ(RatingOf(*train, "alice", "dune"), 4);
}

TEST(ReadTrainingRatings, ReadsMatrixMarket) {
  const std::string path = WriteFile(
      "small.mtx",
      "%%MatrixMarket matrix coordinate real general\n% a comment\n5 4 3\n5 1 1.5\n2 4 -2\n2 1 "
      "0.25\n");
  absl::StatusOr<TrainingRatings> train = ReadTrainingRatings(path);
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->users.names, (std::vector<std::string>{"2", "5"}));
  EXPECT_EQ(train->items.names, (std::vector<std::string>{"1", "4"}));
  EXPECT_EQ(RatingOf(*train, "5", "1"), 1.5);
  EXPECT_EQ(RatingOf(*train, "2", "4"), -2);
  ExpectConsistentTranspose(*train);
}

TEST(ReadTrainingRatings, MatrixMarketIndicesAreNumbersNotText) {
  const std::string path = WriteFile(
      "ids.mtx",
      "%%MatrixMarket matrix coordinate integer general\n3 3 3\n1 1 4\n01 2 5\n+1 03 2\n");
  absl::StatusOr<TrainingRatings> train = ReadTrainingRatings(path);
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->users.names, (std::vector<std::string>{"1"}));
  EXPECT_EQ(train->items.names, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(RatingOf(*train, "1", "3"), 2);
}

TEST(ReadTrainingRatings, RefusesACompressedFileWhateverItsName) {
  const std::string path =
      WriteFile("ratings-really-xz.csv", std::string("\xfd\x37\x7a\x58\x5a\x00\x01", 7));
  absl::StatusOr<TrainingRatings> read = ReadTrainingRatings(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(read.status().message().find(absl::StrCat(
                "is xz-compressed; decompress it first (xz -dc '", path, "' > '", path, ".txt')")),
            std::string::npos)
      << read.status();
  // Named with the tool's suffix: its in-place form.
  const std::string named =
      WriteFile("ratings.csv.xz", std::string("\xfd\x37\x7a\x58\x5a\x00\x01", 7));
  EXPECT_NE(ReadTrainingRatings(named).status().message().find(
                absl::StrCat("decompress it first (xz -dk '", named, "')")),
            std::string::npos);
}

TEST(ReadTrainingRatings, AByteOrderMarkIsNotPartOfTheFirstId) {
  const std::string path = WriteFile("bom.txt",
                                     "\xEF\xBB\xBF"
                                     "1 1 5\n1 2 4\n2 1 3\n");
  absl::StatusOr<TrainingRatings> train = ReadTrainingRatings(path);
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->users.names, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(RatingOf(*train, "1", "1"), 5);
}

TEST(ReadTrainingRatings, ADirectoryOrBinaryFileIsRefusedReadably) {
  absl::Status directory = ReadTrainingRatings(::strads::TestTempDir()).status();
  EXPECT_EQ(directory.code(), absl::StatusCode::kInvalidArgument) << directory;
  EXPECT_NE(directory.message().find("is a directory"), std::string::npos) << directory;
  absl::StatusOr<TrainingRatings> train = ReadTrainingRatings(WriteFile("ok.txt", "1 1 5\n"));
  ASSERT_TRUE(train.ok()) << train.status();
  absl::Status test_directory = ReadTestRatings(::strads::TestTempDir(), *train).status();
  EXPECT_NE(test_directory.message().find("is a directory"), std::string::npos) << test_directory;

  // Binary bytes and a long line: the message escapes the bytes and cuts the line.
  const std::string junk = "\x7f\x8b\x08 \xff\xfe \x01\x02" + std::string(300, 'z') + "\n";
  const std::string bin = WriteFile("ratings.bin", junk + junk);  // the first is taken as a header
  absl::Status binary = ReadTrainingRatings(bin).status();
  ASSERT_EQ(binary.code(), absl::StatusCode::kInvalidArgument) << binary;
  EXPECT_NE(binary.message().find("line 2: rating '\\x01\\x02zzz"), std::string::npos) << binary;
  EXPECT_NE(binary.message().find("bytes)"), std::string::npos) << binary;
  EXPECT_LT(binary.message().size(), 400u) << binary;
  // gzip's magic bytes say what the file is.
  absl::Status gz = ReadTrainingRatings(WriteFile("ratings.txt.gz", "\x1f\x8b" + junk)).status();
  EXPECT_NE(gz.message().find("gzip-compressed"), std::string::npos) << gz;
}

TEST(ReadTrainingRatings, MatrixMarketErrorsNameFileAndLine) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n", "coordinate"},
      {"%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 1 1\n", "general"},
      {"%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n3 1 1\n",
       "line 4: row '3' is not in [1, 2]"},
      {"%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 2 2\n", "declares 3"},
      {"%%MatrixMarket matrix coordinate real general\nfoo\n", "line 2: expected the size line"},
  };
  for (const Case& c : cases) {
    const std::string path = WriteFile("bad.mtx", c.text);
    absl::Status status = ReadTrainingRatings(path).status();
    ASSERT_FALSE(status.ok()) << c.text;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_NE(status.message().find("bad.mtx"), std::string::npos) << status;
    EXPECT_NE(status.message().find(c.expected), std::string::npos) << status;
  }
}

TEST(ReadTrainingRatings, MalformedLineNamesFileAndLine) {
  const std::string path = WriteFile("ratings.txt", "1 1 5\n1 2 4\n# fine\n2 1 abc\n");
  absl::Status status = ReadTrainingRatings(path).status();
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find("ratings.txt line 4: rating 'abc' is not a number"),
            std::string::npos)
      << status;

  const std::string fields = WriteFile("fields.txt", "1 1 5\n1 2\n");
  status = ReadTrainingRatings(fields).status();
  EXPECT_NE(status.message().find("fields.txt line 2: expected 'user item rating"),
            std::string::npos)
      << status;
}

TEST(ReadTrainingRatings, RefusesNanAndInfiniteRatings) {
  for (const char* bad : {"nan", "inf", "-inf", "NaN"}) {
    const std::string path = WriteFile("nonfinite.txt", std::string("1 1 5\n2 2 ") + bad + "\n");
    absl::Status status = ReadTrainingRatings(path).status();
    ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("line 2"), std::string::npos) << status;
    EXPECT_NE(status.message().find("not finite"), std::string::npos) << status;
  }
}

TEST(ReadTrainingRatings, MissingFileIsNotFoundAndEmptyFileHasNoRatings) {
  absl::Status missing = ReadTrainingRatings(::strads::TestTempDir() + "/nope.txt").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("nope.txt"), std::string::npos) << missing;

  absl::Status empty = ReadTrainingRatings(WriteFile("empty.txt", "")).status();
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.message().find("no ratings"), std::string::npos) << empty;
}

// A pair given twice in the test file is scored once, with its last rating, and counted; pairs
// of unknown ids too (by their ids as written); "1 12" and "11 2" are different pairs.
TEST(ReadTestRatings, ARepeatedPairKeepsItsLastRatingAndIsCounted) {
  absl::StatusOr<TrainingRatings> train =
      ReadTrainingRatings(WriteFile("train-dup.txt", "1 1 5\n1 2 4\n2 1 3\n"));
  ASSERT_TRUE(train.ok()) << train.status();
  absl::StatusOr<TestRatings> test = ReadTestRatings(
      WriteFile("test-dup.txt", "1 1 1\n9 9 2\n1 12 3\n11 2 4\n1 1 5\n9 9 1\n1 1 2\n"), *train);
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(test->size(), 4);
  EXPECT_EQ(test->duplicates, 3);
  EXPECT_EQ(test->values, (std::vector<double>{2, 1, 3, 4}));
  EXPECT_EQ(test->unknown, 3);  // 9 9, 1 12 and 11 2, each once
}

TEST(ReadTestRatings, CountsUnknownIdsAsColdStartsAndAllowsAnEmptyFile) {
  absl::StatusOr<TrainingRatings> train =
      ReadTrainingRatings(WriteFile("train.txt", "1 1 5\n1 2 4\n2 1 3\n"));
  ASSERT_TRUE(train.ok()) << train.status();
  absl::StatusOr<TestRatings> test =
      ReadTestRatings(WriteFile("test.txt", "2 2 1\n9 1 2\n1 7 3\n1 1 4\n"), *train);
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(test->size(), 4);  // cold starts are kept, with -1 for what training never saw
  EXPECT_EQ(test->unknown, 2);
  EXPECT_EQ(train->users.names[test->users[0]], "2");
  EXPECT_EQ(train->items.names[test->items[0]], "2");
  EXPECT_EQ(test->users[1], -1);
  EXPECT_EQ(train->items.names[test->items[1]], "1");
  EXPECT_EQ(test->items[2], -1);

  absl::StatusOr<TestRatings> empty = ReadTestRatings(WriteFile("empty_test.txt", ""), *train);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->size(), 0);

  absl::Status bad = ReadTestRatings(WriteFile("bad_test.txt", "1 1 x\n"), *train).status();
  EXPECT_NE(bad.message().find("bad_test.txt line 1"), std::string::npos) << bad;
}

TEST(MfGenerator, IsSeededSkewedAndReadsBack) {
  MfProblemOptions options{.users = 300,
                           .items = 200,
                           .ratings = 6000,
                           .rank = 4,
                           .power_law = 1.0,
                           .noise = 0.1,
                           .test_fraction = 0.2,
                           .seed = 5};
  absl::StatusOr<MfProblem> a = GenerateMfProblem(options);
  absl::StatusOr<MfProblem> b = GenerateMfProblem(options);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a->train.size(), b->train.size());
  for (size_t k = 0; k < a->train.size(); ++k) ASSERT_EQ(a->train[k].value, b->train[k].value);
  const double total = static_cast<double>(a->train.size() + a->test.size());
  EXPECT_EQ(total, 6000);
  EXPECT_NEAR(a->test.size() / total, 0.2, 0.03);

  const std::string path = ::strads::TestTempDir() + "/generated.txt";
  ASSERT_TRUE(WriteRatingsText(path, a->train).ok());
  absl::StatusOr<TrainingRatings> train = ReadTrainingRatings(path);
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->by_user.nnz(), static_cast<int64_t>(a->train.size()));
  // Low ids are the popular ones: the first tenth of the users holds far more than a tenth of
  // the ratings.
  const int64_t tenth = train->by_user.rows / 10;
  EXPECT_GT(static_cast<double>(train->by_user.ptr[tenth]) / train->by_user.nnz(), 0.3);
  EXPECT_EQ(train->users.names[0], "1");

  options.ratings = 30001;
  EXPECT_FALSE(GenerateMfProblem(options).ok());  // more than half of users x items
}

TEST(MfGenerator, RefusesSizesItCannotHoldInsteadOfRunningOutOfMemory) {
  MfProblemOptions options{.users = 300, .items = 200, .ratings = 6000, .rank = 4, .seed = 5};
  options.rank = 100000000;
  absl::Status status = GenerateMfProblem(options).status();
  EXPECT_NE(status.message().find("rank must be at most 1000"), std::string::npos) << status;
  options.rank = 4;
  options.users = options.items = 3000000000;
  status = GenerateMfProblem(options).status();
  EXPECT_NE(status.message().find("at most 2147483647"), std::string::npos) << status;
  options.users = options.items = 2000000000;
  options.rank = 1000;
  status = GenerateMfProblem(options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_NE(status.message().find("GiB of memory"), std::string::npos) << status;
  options = {.users = 300, .items = 200, .ratings = 5, .rank = 4, .test_fraction = 0.999};
  status = GenerateMfProblem(options).status();
  EXPECT_NE(status.message().find("went to the test set"), std::string::npos) << status;
}

// Duplicates are counted, and the last rating of a (user, item) pair in file order wins,
// wherever the repeats are in the file.
TEST(ReadTrainingRatings, DuplicatePairsAreCountedAndTheLastOneWins) {
  const std::string path =
      WriteFile("dupes.csv",
                "userId,movieId,rating,timestamp\r\n1,10,4.0,1\r\n2,10,3.0,2\r\n"
                "1,10,2.5,3\r\n1,20,5.0,4\r\n1,10,1.5,5\r\n2,20,2.0,6\r\n");
  absl::StatusOr<TrainingRatings> train = ReadTrainingRatings(path);
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->duplicates, 2);
  EXPECT_EQ(train->by_user.nnz(), 4);
  EXPECT_EQ(RatingOf(*train, "1", "10"), 1.5);
  EXPECT_EQ(RatingOf(*train, "2", "10"), 3.0);
  ExpectConsistentTranspose(*train);
  EXPECT_DOUBLE_EQ(train->mean, (1.5 + 5.0 + 3.0 + 2.0) / 4);
  EXPECT_EQ(train->min_rating, 1.5);
  EXPECT_EQ(train->max_rating, 5.0);
}

}  // namespace
}  // namespace strads::mf
