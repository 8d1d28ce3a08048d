#include "core/matrix_market.h"

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/labeled_data.h"
#include "core/test_temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kBanner[] = "%%MatrixMarket matrix coordinate real general\n";

std::string TempPath(const std::string& name) { return ::strads::TestTempDir() + "/" + name; }

std::string WriteText(const std::string& name, const std::string& text) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The dense rows x cols matrix of `m`, row-major, for comparisons.
std::vector<double> Dense(const CscMatrix& m) {
  std::vector<double> out(static_cast<size_t>(m.rows * m.cols), 0.0);
  for (int64_t j = 0; j < m.cols; ++j) {
    for (int64_t p = m.col_ptr[j]; p < m.col_ptr[j + 1]; ++p) {
      out[m.row_idx[p] * m.cols + j] = m.values[p];
    }
  }
  return out;
}

std::string ErrorOf(std::string_view text) {
  absl::StatusOr<CscMatrix> m = ParseMatrixMarket(text, "X.mmt");
  EXPECT_FALSE(m.ok()) << "accepted:\n" << text;
  if (m.ok()) return "";
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << m.status();
  return std::string(m.status().message());
}

TEST(ParseMatrixMarket, ReadsCoordinatesWithCommentsInAnyOrder) {
  absl::StatusOr<CscMatrix> m = ParseMatrixMarket(std::string(kBanner) +
                                                      "% a comment\n"
                                                      "%another\n"
                                                      "\n"
                                                      "3 2 4\n"
                                                      "3 1 -2.5\n"
                                                      "1 1 1e2\n"
                                                      "% between entries\n"
                                                      "2 2 7\n"
                                                      "1 2 +0.5\r\n",
                                                  "X.mmt");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->rows, 3);
  EXPECT_EQ(m->cols, 2);
  EXPECT_THAT(Dense(*m), ElementsAre(100, 0.5, 0, 7, -2.5, 0));
  EXPECT_THAT(m->ColRows(0), ElementsAre(0, 2));  // sorted within the column
}

TEST(ParseMatrixMarket, ReadsIntegerPatternAndArrayFields) {
  absl::StatusOr<CscMatrix> integer = ParseMatrixMarket(
      "%%MatrixMarket MATRIX Coordinate INTEGER general\n2 2 2\n1 1 3\n2 2 -4\n", "X.mmt");
  ASSERT_TRUE(integer.ok()) << integer.status();
  EXPECT_THAT(Dense(*integer), ElementsAre(3, 0, 0, -4));

  absl::StatusOr<CscMatrix> pattern = ParseMatrixMarket(
      "%%MatrixMarket matrix coordinate pattern general\n2 3 2\n1 3\n2 1\n", "X.mmt");
  ASSERT_TRUE(pattern.ok()) << pattern.status();
  EXPECT_THAT(Dense(*pattern), ElementsAre(0, 0, 1, 1, 0, 0));

  // Column by column; zeros are not stored.
  absl::StatusOr<CscMatrix> array = ParseMatrixMarket(
      "%%MatrixMarket matrix array real general\n% c\n2 3\n1\n2\n0\n4\n5\n6\n", "X.mmt");
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(Dense(*array), ElementsAre(1, 0, 5, 2, 4, 6));
  EXPECT_EQ(array->nnz(), 5);
}

TEST(ParseMatrixMarket, MirrorsSymmetricAndSkewSymmetricMatrices) {
  absl::StatusOr<CscMatrix> symmetric = ParseMatrixMarket(
      "%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n1 1 2\n3 1 5\n3 2 -1\n", "S.mmt");
  ASSERT_TRUE(symmetric.ok()) << symmetric.status();
  EXPECT_THAT(Dense(*symmetric), ElementsAre(2, 0, 5, 0, 0, -1, 5, -1, 0));

  absl::StatusOr<CscMatrix> skew = ParseMatrixMarket(
      "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 3\n", "K.mmt");
  ASSERT_TRUE(skew.ok()) << skew.status();
  EXPECT_THAT(Dense(*skew), ElementsAre(0, -3, 3, 0));
}

TEST(ParseMatrixMarket, AgreesWithLibsvmOnRandomSparseData) {
  std::mt19937_64 rng(11);  // seed 11
  std::uniform_real_distribution<double> value(-3, 3);
  std::string libsvm;
  std::string mmt;
  int64_t entries = 0;
  std::string lines;
  const int rows = 40;
  const int cols = 25;
  for (int i = 1; i <= rows; ++i) {
    libsvm += "0";
    for (int j = 1; j <= cols; ++j) {
      if (rng() % 5 != 0) continue;
      const double v = value(rng);
      libsvm += " " + std::to_string(j) + ":" + std::to_string(v);
      lines += std::to_string(i) + " " + std::to_string(j) + " " + std::to_string(v) + "\n";
      ++entries;
    }
    libsvm += "\n";
  }
  mmt = std::string(kBanner) + std::to_string(rows) + " " + std::to_string(cols) + " " +
        std::to_string(entries) + "\n" + lines;
  absl::StatusOr<LabeledData> from_libsvm = ParseLibsvm(libsvm, "t.libsvm", cols);
  absl::StatusOr<CscMatrix> from_mmt = ParseMatrixMarket(mmt, "t.mmt");
  ASSERT_TRUE(from_libsvm.ok()) << from_libsvm.status();
  ASSERT_TRUE(from_mmt.ok()) << from_mmt.status();
  EXPECT_EQ(from_mmt->col_ptr, from_libsvm->x.col_ptr);
  EXPECT_EQ(from_mmt->row_idx, from_libsvm->x.row_idx);
  EXPECT_EQ(from_mmt->values, from_libsvm->x.values);
}

TEST(ParseMatrixMarket, RefusesBadBanners) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("X.mmt: is empty"));
  EXPECT_THAT(ErrorOf("1 1:0.5\n"), HasSubstr("X.mmt line 1: no MatrixMarket banner"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix coordinate real\n1 1 0\n"),
              HasSubstr("line 1: the banner"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket vector coordinate real general\n1 1 0\n"),
              HasSubstr("object 'vector' is not supported"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix dense real general\n1 1\n"),
              HasSubstr("format 'dense' is not supported"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix coordinate complex general\n1 1 0\n"),
              HasSubstr("field 'complex' is not supported"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix coordinate real hermitian\n1 1 0\n"),
              HasSubstr("symmetry 'hermitian' is not supported"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix array pattern general\n1 1\n"),
              HasSubstr("cannot be 'pattern'"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix array real symmetric\n1 1\n1\n"),
              HasSubstr("symmetric array is not supported"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix coordinate real symmetric\n2 3 0\n"),
              HasSubstr("line 2: a symmetric matrix must be square, got 2 x 3"));
}

TEST(ParseMatrixMarket, RefusesBadSizeLines) {
  const std::string b = kBanner;
  EXPECT_THAT(ErrorOf(b + "% only comments\n"), HasSubstr("X.mmt: has no size line"));
  EXPECT_THAT(ErrorOf(b + "3 2\n"), HasSubstr("line 2: the size line '3 2' must be"));
  EXPECT_THAT(ErrorOf(b + "%c\n3 x 1\n"), HasSubstr("line 3: the number of columns 'x'"));
  EXPECT_THAT(ErrorOf(b + "-3 2 1\n"), HasSubstr("the number of rows '-3'"));
  EXPECT_THAT(ErrorOf(b + "2 2 5\n"), HasSubstr("5 entries do not fit in a 2 x 2 matrix"));
  EXPECT_THAT(ErrorOf(b + "1 99999999999 0\n"), HasSubstr("features are supported"));
  EXPECT_THAT(ErrorOf(b + "99999999999 1 0\n"), HasSubstr("samples are supported"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix array real general\n100000 100000\n1\n"),
              HasSubstr("array does not fit in a file of"));
}

TEST(ParseMatrixMarket, RefusesWrongCounts) {
  const std::string b = kBanner;
  EXPECT_THAT(ErrorOf(b + "2 2 3\n1 1 1\n2 2 1\n"),
              HasSubstr("X.mmt: ends after 2 of the 3 entries declared on line 2"));
  EXPECT_THAT(ErrorOf(b + "2 2 1\n1 1 1\n2 2 1\n"),
              HasSubstr("line 4: more entries than the 1 declared on line 2"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n"),
              HasSubstr("ends after 3 of the 4 values declared on line 2"));
}

TEST(ParseMatrixMarket, RefusesBadEntries) {
  const std::string b = std::string(kBanner) + "3 2 2\n1 1 1\n";
  EXPECT_THAT(ErrorOf(b + "2 2\n"), HasSubstr("line 4: expected 'row column value', got '2 2'"));
  EXPECT_THAT(ErrorOf(b + "2 2 1 9\n"), HasSubstr("line 4: expected 'row column value'"));
  EXPECT_THAT(ErrorOf(b + "0 1 1\n"),
              HasSubstr("line 4: row index 0 is outside 1..3 (MatrixMarket indices start at 1)"));
  EXPECT_THAT(ErrorOf(b + "1 3 1\n"), HasSubstr("line 4: column index 3 is outside 1..2"));
  EXPECT_THAT(ErrorOf(b + "1.5 1 1\n"), HasSubstr("line 4: row index '1.5' is not an integer"));
  EXPECT_THAT(ErrorOf(b + "2 1 abc\n"), HasSubstr("line 4: value 'abc' is not a number"));
  EXPECT_THAT(ErrorOf(b + "2 1 nan\n"), HasSubstr("line 4: value is NaN"));
  EXPECT_THAT(ErrorOf(b + "2 1 -inf\n"), HasSubstr("line 4: value is infinite"));
  EXPECT_THAT(ErrorOf(b + "2 1 1e999\n"), HasSubstr("line 4: value '1e999' is not a number"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 2.5\n"),
              HasSubstr("line 3: value '2.5' is not an integer (the banner says integer)"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix coordinate pattern general\n1 1 1\n1 1 2\n"),
              HasSubstr("line 3: expected 'row column', got '1 1 2'"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix array real general\n1 1\n\x01\x02\n"),
              HasSubstr("line 3: value '\\x01\\x02' is not a number"));
  EXPECT_THAT(ErrorOf("%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 1 1\n"),
              HasSubstr("line 3: entry (1, 1) is on the diagonal of a skew-symmetric matrix"));
}

TEST(ParseMatrixMarket, RefusesDuplicateEntriesNamingBothLines) {
  EXPECT_THAT(ErrorOf(std::string(kBanner) + "3 3 3\n2 3 1\n% c\n1 1 1\n2 3 5\n"),
              HasSubstr("X.mmt line 6: entry (2, 3) is given twice; first on line 3"));
  // Through symmetry: (1, 2) mirrors to (2, 1), which is also listed.
  EXPECT_THAT(
      ErrorOf("%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n2 1 1\n1 2 1\n"),
      HasSubstr("is given twice (a symmetric file lists each off-diagonal pair once); first on "
                "line 3"));
}

TEST(ParseMatrixMarketVector, ReadsArrayAndCoordinateVectors) {
  absl::StatusOr<std::vector<double>> array = ParseMatrixMarketVector(
      "%%MatrixMarket matrix array real general\n3 1\n1.5\n0\n-2\n", "Y.mmt");
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(*array, ElementsAre(1.5, 0, -2));
  absl::StatusOr<std::vector<double>> coordinate =
      ParseMatrixMarketVector(std::string(kBanner) + "4 1 2\n4 1 7\n2 1 -1\n", "Y.mmt");
  ASSERT_TRUE(coordinate.ok()) << coordinate.status();
  EXPECT_THAT(*coordinate, ElementsAre(0, -1, 0, 7));
  absl::StatusOr<std::vector<double>> row =
      ParseMatrixMarketVector("%%MatrixMarket matrix array integer general\n1 2\n3\n4\n", "Y");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_THAT(*row, ElementsAre(3, 4));
}

TEST(ParseMatrixMarketVector, RefusesMatricesAndPatterns) {
  absl::StatusOr<std::vector<double>> matrix =
      ParseMatrixMarketVector("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n", "Y");
  EXPECT_THAT(matrix.status().message(),
              HasSubstr("Y line 2: expected a vector (N x 1), got a 2 x 2 matrix"));
  absl::StatusOr<std::vector<double>> pattern = ParseMatrixMarketVector(
      "%%MatrixMarket matrix coordinate pattern general\n2 1 1\n1 1\n", "Y");
  EXPECT_THAT(pattern.status().message(), HasSubstr("a pattern file has no values"));
}

TEST(ReadMatrixMarketData, ReadsXAndYAndChecksTheirLengths) {
  const std::string x = WriteText("x.mmt", std::string(kBanner) + "3 2 2\n1 1 1\n3 2 2\n");
  const std::string y =
      WriteText("y.mmt", "%%MatrixMarket matrix array real general\n3 1\n1\n2\n3\n");
  absl::StatusOr<LabeledData> data = ReadMatrixMarketData(x, y);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_THAT(data->y, ElementsAre(1, 2, 3));
  EXPECT_THAT(Dense(data->x), ElementsAre(1, 0, 0, 0, 0, 2));

  const std::string short_y =
      WriteText("short_y.mmt", "%%MatrixMarket matrix array real general\n2 1\n1\n2\n");
  absl::StatusOr<LabeledData> mismatch = ReadMatrixMarketData(x, short_y);
  EXPECT_THAT(mismatch.status().message(),
              HasSubstr(short_y + ": 2 labels, but " + x + " has 3 rows (samples)"));

  absl::StatusOr<LabeledData> missing = ReadMatrixMarketData(x, TempPath("nope.mmt"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.mmt"));
}

}  // namespace
}  // namespace strads::core
