#include "core/csc_matrix.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CscFromTriplets, SortsByColumnThenRow) {
  auto m = CscFromTriplets(3, 3, {{2, 1, 5.0}, {0, 2, 1.0}, {1, 1, 4.0}, {0, 0, 2.0}});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->rows, 3);
  EXPECT_EQ(m->cols, 3);
  EXPECT_THAT(m->col_ptr, ElementsAre(0, 1, 3, 4));
  EXPECT_THAT(m->ColRows(1), ElementsAre(1, 2));
  EXPECT_THAT(m->ColValues(1), ElementsAre(4.0, 5.0));
  EXPECT_THAT(m->ColRows(0), ElementsAre(0));
  EXPECT_THAT(m->ColValues(2), ElementsAre(1.0));
  EXPECT_EQ(m->nnz(), 4);
}

TEST(CscFromTriplets, SumsDuplicateEntries) {
  auto m = CscFromTriplets(2, 2, {{1, 0, 1.5}, {0, 0, 1.0}, {1, 0, 2.0}, {1, 0, -0.5}});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(m->ColRows(0), ElementsAre(0, 1));
  EXPECT_THAT(m->ColValues(0), ElementsAre(1.0, 3.0));
  EXPECT_EQ(m->nnz(), 2);
  EXPECT_THAT(m->col_ptr, ElementsAre(0, 2, 2));
}

TEST(CscFromTriplets, EmptyColumnsHaveEmptySpans) {
  auto m = CscFromTriplets(4, 5, {{3, 4, 1.0}});
  ASSERT_TRUE(m.ok()) << m.status();
  for (int j = 0; j < 4; ++j) EXPECT_TRUE(m->ColRows(j).empty()) << j;
  EXPECT_THAT(m->ColRows(4), ElementsAre(3));
}

TEST(CscFromTriplets, RejectsOutOfRangeIndices) {
  for (const Triplet& t : std::vector<Triplet>{{3, 0, 1}, {0, 2, 1}, {-1, 0, 1}, {0, -1, 1}}) {
    auto m = CscFromTriplets(3, 2, {{0, 0, 1.0}, t});
    ASSERT_FALSE(m.ok()) << t.row << "," << t.col;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(m.status().message()), HasSubstr("outside the 3 x 2 matrix"));
    EXPECT_THAT(std::string(m.status().message()), HasSubstr("entry 1"));
  }
}

TEST(CscFromTriplets, RejectsMoreRowsThanInt32) {
  auto m = CscFromTriplets(int64_t{std::numeric_limits<int32_t>::max()} + 1, 1, {});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CscFromTriplets(std::numeric_limits<int32_t>::max(), 1, {}).ok());
}

TEST(ColumnSquaredNorms, SumsSquaresPerColumn) {
  auto m = CscFromTriplets(3, 3, {{0, 0, 3.0}, {2, 0, 4.0}, {1, 2, -2.0}});
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(ColumnSquaredNorms(*m), ElementsAre(25.0, 0.0, 4.0));
}

}  // namespace
}  // namespace strads::core
