#include "core/compressed_sparse.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace strads::core {
namespace {

// Entries sharing an outer index keep their order (the readers find duplicates and keep the
// last one by that), and empty groups get empty ranges.
TEST(CompressedSparse, GroupsByOuterIndexKeepingOrderWithinAGroup) {
  const std::vector<int32_t> outer = {2, 0, 2, 2, 0};
  const std::vector<int32_t> inner = {5, 1, 3, 5, 0};
  const std::vector<double> values = {1, 2, 3, 4, 5};
  const CompressedEntries m = CompressByOuter(4, outer, inner, values);
  EXPECT_EQ(m.ptr, (std::vector<int64_t>{0, 2, 2, 5, 5}));
  EXPECT_EQ(m.idx, (std::vector<int32_t>{1, 0, 5, 3, 5}));
  EXPECT_EQ(m.values, (std::vector<double>{2, 5, 1, 3, 4}));
}

// Transposing twice gives back a layout whose groups were sorted, and the transpose lists each
// group in outer order.
TEST(CompressedSparse, TransposeListsEachGroupInOuterOrderAndUndoesItself) {
  // Rows: 0 -> {1: 1.0, 3: 2.0}; 1 -> {}; 2 -> {0: 3.0, 1: 4.0}.
  const std::vector<int64_t> ptr = {0, 2, 2, 4};
  const std::vector<int32_t> idx = {1, 3, 0, 1};
  const std::vector<double> values = {1.0, 2.0, 3.0, 4.0};
  const CompressedEntries t = Transpose(4, ptr, idx, values);
  EXPECT_EQ(t.ptr, (std::vector<int64_t>{0, 1, 3, 3, 4}));
  EXPECT_EQ(t.idx, (std::vector<int32_t>{2, 0, 2, 0}));
  EXPECT_EQ(t.values, (std::vector<double>{3.0, 1.0, 4.0, 2.0}));
  const CompressedEntries back = Transpose(3, t.ptr, t.idx, t.values);
  EXPECT_EQ(back.ptr, ptr);
  EXPECT_EQ(back.idx, idx);
  EXPECT_EQ(back.values, values);
}

TEST(CompressedSparse, NoEntries) {
  const CompressedEntries m = CompressByOuter(3, {}, {}, {});
  EXPECT_EQ(m.ptr, (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_TRUE(m.idx.empty());
  const CompressedEntries t = Transpose(2, m.ptr, m.idx, m.values);
  EXPECT_EQ(t.ptr, (std::vector<int64_t>{0, 0, 0}));
}

}  // namespace
}  // namespace strads::core
