#include "core/row_sharding.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/csc_matrix.h"
#include "core/labeled_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace {

// Rows with between 0 and `max_row_nnz` non-zeros, in random columns.
LabeledData RandomData(uint64_t seed, int64_t rows, int64_t cols, int max_row_nnz) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> row_nnz(0, max_row_nnz);
  std::uniform_int_distribution<int64_t> col(0, cols - 1);
  std::normal_distribution<double> value;
  std::vector<Triplet> triplets;
  LabeledData d;
  for (int64_t i = 0; i < rows; ++i) {
    d.y.push_back(value(rng));
    const int n = row_nnz(rng);
    for (int t = 0; t < n; ++t) triplets.push_back({i, col(rng), value(rng)});
  }
  d.x = *CscFromTriplets(rows, cols, std::move(triplets));
  return d;
}

std::vector<int64_t> RowNnz(const CscMatrix& x) {
  std::vector<int64_t> n(x.rows, 0);
  for (int32_t r : x.row_idx) ++n[r];
  return n;
}

void ExpectSameData(const LabeledData& a, const LabeledData& b) {
  EXPECT_EQ(a.y, b.y);
  EXPECT_EQ(a.x.rows, b.x.rows);
  EXPECT_EQ(a.x.cols, b.x.cols);
  EXPECT_EQ(a.x.col_ptr, b.x.col_ptr);
  EXPECT_EQ(a.x.row_idx, b.x.row_idx);
  EXPECT_EQ(a.x.values, b.x.values);
}

TEST(SplitRowsByNnz, RangesCoverAllRowsAndBalanceNnzWithinOneRow) {
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    for (int shards : {1, 2, 3, 7, 16}) {
      SCOPED_TRACE(testing::Message() << "seed=" << seed << " shards=" << shards);
      const LabeledData d = RandomData(seed, 500, 40, 30);
      const auto ranges = SplitRowsByNnz(d.x, shards);
      ASSERT_EQ(ranges.size(), static_cast<size_t>(shards));
      const std::vector<int64_t> row_nnz = RowNnz(d.x);
      const int64_t max_row = *std::max_element(row_nnz.begin(), row_nnz.end());
      const double mean = static_cast<double>(d.x.nnz()) / shards;
      int64_t expected_begin = 0;
      for (const RowRange& r : ranges) {
        EXPECT_EQ(r.begin, expected_begin);
        EXPECT_LT(r.begin, r.end);
        int64_t nnz = 0;
        for (int64_t i = r.begin; i < r.end; ++i) nnz += row_nnz[i];
        EXPECT_LE(std::abs(nnz - mean), max_row) << "range [" << r.begin << ", " << r.end << ")";
        expected_begin = r.end;
      }
      EXPECT_EQ(expected_begin, d.x.rows);
    }
  }
}

TEST(SplitRowsByNnz, CutsAtTheBoundaryNearestTheIdealSplit) {
  // Row non-zeros 9, 10, 1: the ideal cut (10) is nearer the prefix after row 0 (9) than after
  // row 1 (19), so the shards hold 9 and 11 rather than 19 and 1.
  std::vector<Triplet> t;
  const int row_nnz[] = {9, 10, 1};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < row_nnz[i]; ++j) t.push_back({i, j, 1.0});
  }
  const auto ranges = SplitRowsByNnz(*CscFromTriplets(3, 10, t), 2);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].end, 1);
  EXPECT_EQ(ranges[1].begin, 1);
  EXPECT_EQ(ranges[1].end, 3);
}

TEST(SplitRowsByNnz, EveryRangeNonEmptyEvenWhenNnzIsConcentrated) {
  // All the non-zeros in the first row: a pure nnz split would give the others nothing.
  std::vector<Triplet> t;
  for (int64_t j = 0; j < 50; ++j) t.push_back({0, j, 1.0});
  const CscMatrix x = *CscFromTriplets(6, 50, t);
  const auto ranges = SplitRowsByNnz(x, 6);
  ASSERT_EQ(ranges.size(), 6u);
  for (int s = 0; s < 6; ++s) {
    EXPECT_EQ(ranges[s].begin, s);
    EXPECT_EQ(ranges[s].end, s + 1);
  }
}

TEST(SplitRowsByNnz, MoreShardsThanRowsLeavesEmptyTrailingRanges) {
  const CscMatrix x = *CscFromTriplets(3, 2, {{0, 0, 1}, {1, 1, 1}, {2, 0, 1}});
  const auto ranges = SplitRowsByNnz(x, 5);
  ASSERT_EQ(ranges.size(), 5u);
  for (int s = 0; s < 3; ++s) EXPECT_EQ(ranges[s].end - ranges[s].begin, 1) << s;
  for (int s = 3; s < 5; ++s) {
    EXPECT_EQ(ranges[s].begin, 3);
    EXPECT_EQ(ranges[s].end, 3);
  }
}

TEST(SplitRowsByNnz, AllZeroMatrixSplitsRowsEvenly) {
  CscMatrix x;
  x.rows = 10;
  x.cols = 3;
  x.col_ptr = {0, 0, 0, 0};
  const auto ranges = SplitRowsByNnz(x, 3);
  ASSERT_EQ(ranges.size(), 3u);
  for (const RowRange& r : ranges) {
    EXPECT_GE(r.end - r.begin, 3);
    EXPECT_LE(r.end - r.begin, 4);
  }
  EXPECT_EQ(ranges.back().end, 10);
}

TEST(SliceRows, KeepsAllColumnsAndRenumbersRows) {
  const LabeledData d{*CscFromTriplets(4, 3, {{0, 0, 1}, {1, 0, 2}, {2, 2, 3}, {3, 0, 4}}),
                      {10, 11, 12, 13}};
  const LabeledData s = SliceRows(d, {1, 3});
  EXPECT_EQ(s.x.rows, 2);
  EXPECT_EQ(s.x.cols, 3);
  EXPECT_THAT(s.y, testing::ElementsAre(11, 12));
  EXPECT_THAT(s.x.col_ptr, testing::ElementsAre(0, 1, 1, 2));
  EXPECT_THAT(s.x.row_idx, testing::ElementsAre(0, 1));
  EXPECT_THAT(s.x.values, testing::ElementsAre(2, 3));
}

TEST(SliceRows, SlicesReassembleToTheOriginal) {
  const uint64_t seed = 77;
  SCOPED_TRACE(testing::Message() << "seed=" << seed);
  const LabeledData d = RandomData(seed, 200, 30, 8);
  std::vector<Triplet> rebuilt;
  std::vector<double> y;
  for (const RowRange& r : SplitRowsByNnz(d.x, 4)) {
    const LabeledData s = SliceRows(d, r);
    ASSERT_EQ(s.x.rows, r.end - r.begin);
    y.insert(y.end(), s.y.begin(), s.y.end());
    for (int64_t j = 0; j < s.x.cols; ++j) {
      for (int64_t p = s.x.col_ptr[j]; p < s.x.col_ptr[j + 1]; ++p) {
        rebuilt.push_back({s.x.row_idx[p] + r.begin, j, s.x.values[p]});
      }
    }
  }
  ExpectSameData({*CscFromTriplets(d.x.rows, d.x.cols, rebuilt), y}, d);
}

TEST(EncodeShard, DecodeRoundTripsASlice) {
  const uint64_t seed = 5;
  SCOPED_TRACE(testing::Message() << "seed=" << seed);
  const LabeledData d = RandomData(seed, 300, 50, 12);
  for (const RowRange& r : SplitRowsByNnz(d.x, 3)) {
    const LabeledData slice = SliceRows(d, r);
    auto back = DecodeShard(EncodeShard(slice));
    ASSERT_TRUE(back.ok()) << back.status();
    ExpectSameData(*back, slice);
  }
}

TEST(EncodeShard, EmptyShardRoundTrips) {
  LabeledData empty;
  auto back = DecodeShard(EncodeShard(empty));
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSameData(*back, empty);
}

TEST(DecodeShard, EveryTruncationIsDataLoss) {
  const LabeledData d = RandomData(9, 6, 4, 3);
  const std::string bytes = EncodeShard(d);
  EXPECT_EQ(bytes.substr(0, 8), "STRADSH1");
  for (size_t len = 0; len < bytes.size(); ++len) {
    // A copy of exactly `len` bytes, so a sanitizer would see any over-read.
    const std::string cut = bytes.substr(0, len);
    auto r = DecodeShard(cut);
    ASSERT_FALSE(r.ok()) << "len=" << len;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << "len=" << len;
  }
}

TEST(DecodeShard, EveryCorruptedByteIsDataLoss) {
  const LabeledData d = RandomData(10, 6, 4, 3);
  const std::string bytes = EncodeShard(d);
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80, 0xff}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      auto r = DecodeShard(bad);
      ASSERT_FALSE(r.ok()) << "byte " << i << " ^ " << int{flip};
      EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
    }
  }
  std::string longer = bytes + "x";
  EXPECT_EQ(DecodeShard(longer).status().code(), absl::StatusCode::kDataLoss);
}

TEST(DecodeShard, HugeCountsInTheHeaderDoNotAllocate) {
  std::string bytes = EncodeShard(LabeledData{});
  const int64_t huge = int64_t{1} << 62;
  for (size_t offset : {16u, 24u, 32u}) {  // rows, cols, nnz
    std::string bad = bytes;
    std::memcpy(bad.data() + offset, &huge, 8);
    EXPECT_EQ(DecodeShard(bad).status().code(), absl::StatusCode::kDataLoss) << offset;
  }
}

}  // namespace
}  // namespace strads::core
