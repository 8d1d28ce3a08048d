// The pieces behind MF data placement (apps/mf/mf_protocol.h): the shard codec, the task codec,
// the worker's held rows and the scheduler's mirror of them.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "apps/mf/held_rows.h"
#include "apps/mf/mf_shard.h"
#include "apps/mf/mf_task.h"
#include "apps/mf/row_holdings.h"
#include "gtest/gtest.h"

namespace strads::mf {
namespace {

// 4 users x 3 items:
//   user 0: items 0, 2    user 1: item 1    user 2: none    user 3: items 0, 1, 2
RatingsCsr SmallByUser() {
  RatingsCsr m;
  m.rows = 4;
  m.cols = 3;
  m.ptr = {0, 2, 3, 3, 6};
  m.idx = {0, 2, 1, 0, 1, 2};
  m.values = {5, 4, 3, 1, 2, 3};
  return m;
}

void ExpectSameRows(const RatingsCsr& whole, const RowBlock& block) {
  for (int64_t r = 0; r < block.rows.rows; ++r) {
    const std::span<const int32_t> cols = block.rows.RowIdx(r);
    const std::span<const double> values = block.rows.RowValues(r);
    EXPECT_EQ(std::vector<int32_t>(cols.begin(), cols.end()),
              std::vector<int32_t>(whole.RowIdx(block.begin + r).begin(),
                                   whole.RowIdx(block.begin + r).end()))
        << "row " << block.begin + r;
    EXPECT_EQ(std::vector<double>(values.begin(), values.end()),
              std::vector<double>(whole.RowValues(block.begin + r).begin(),
                                  whole.RowValues(block.begin + r).end()))
        << "row " << block.begin + r;
  }
}

TEST(MfShard, RoundTripsBlocksIncludingEmptyAndWholeOnes) {
  const RatingsCsr by_user = SmallByUser();
  const RatingsCsr by_item = Transpose(by_user);
  for (const auto& [ub, ue, ib, ie] : std::vector<std::array<int64_t, 4>>{
           {1, 3, 0, 2}, {0, 4, 0, 3}, {2, 2, 3, 3}, {3, 4, 1, 2}}) {
    absl::StatusOr<MfShard> shard = DecodeShard(EncodeShard(by_user, ub, ue, by_item, ib, ie));
    ASSERT_TRUE(shard.ok()) << shard.status();
    EXPECT_EQ(shard->users, 4);
    EXPECT_EQ(shard->items, 3);
    EXPECT_EQ(shard->by_user.begin, ub);
    EXPECT_EQ(shard->by_user.end(), ue);
    EXPECT_EQ(shard->by_item.begin, ib);
    EXPECT_EQ(shard->by_item.end(), ie);
    ExpectSameRows(by_user, shard->by_user);
    ExpectSameRows(by_item, shard->by_item);
  }
}

TEST(MfShard, RefusesAnythingButAWholeConsistentShard) {
  const RatingsCsr by_user = SmallByUser();
  const RatingsCsr by_item = Transpose(by_user);
  const std::string bytes = EncodeShard(by_user, 0, 4, by_item, 0, 3);
  auto code = [](const std::string& b) { return DecodeShard(b).status().code(); };
  EXPECT_EQ(code(bytes.substr(0, bytes.size() - 1)), absl::StatusCode::kDataLoss);
  EXPECT_EQ(code(bytes + "x"), absl::StatusCode::kDataLoss);
  EXPECT_EQ(code("lasso shard"), absl::StatusCode::kDataLoss);
  std::string bad_magic = bytes;
  bad_magic[7] = '1';  // the previous format version
  EXPECT_EQ(code(bad_magic), absl::StatusCode::kDataLoss);
  // The user block's end (header word 3) past the matrix.
  std::string bad_header = bytes;
  const int64_t too_far = 9;
  std::memcpy(bad_header.data() + 8 + 3 * sizeof(int64_t), &too_far, sizeof(too_far));
  EXPECT_EQ(code(bad_header), absl::StatusCode::kDataLoss);
  // A column index out of range: the first user column sits after the header and 5 pointers.
  std::string bad_column = bytes;
  const int32_t column = 7;
  std::memcpy(bad_column.data() + 8 + 8 * sizeof(int64_t) + 5 * sizeof(int64_t), &column,
              sizeof(column));
  EXPECT_EQ(code(bad_column), absl::StatusCode::kDataLoss);
}

TEST(MfTask, ParsesBackExactlyWhatWasWritten) {
  const RatingsCsr m = SmallByUser();
  const std::vector<double> factor = {0.1, 0.2, 1.1, 1.2, 2.1, 2.2};  // 3 rows, rank 2
  const int64_t solve[] = {0, 4};
  const int64_t drop[] = {1, 2};
  const int64_t add[] = {0, 1, 3, 4};
  const int32_t ids[] = {0, 2};
  core::Payload task;
  WriteTask(solve, drop, add, m, ids, factor, 2, &task);
  absl::StatusOr<MfTaskView> view = ParseTask(task, 2, 4, 3);
  ASSERT_TRUE(view.ok()) << view.status();
  using Keys = std::vector<int64_t>;
  EXPECT_EQ(Keys(view->solve.begin(), view->solve.end()), (Keys{0, 4}));
  EXPECT_EQ(Keys(view->drop.begin(), view->drop.end()), (Keys{1, 2}));
  EXPECT_EQ(Keys(view->add.begin(), view->add.end()), (Keys{0, 1, 3, 4}));
  EXPECT_EQ(Keys(view->add_lengths.begin(), view->add_lengths.end()), (Keys{2, 3}));
  EXPECT_EQ(Keys(view->add_cols.begin(), view->add_cols.end()), (Keys{0, 2, 0, 1, 2}));
  EXPECT_EQ(std::vector<double>(view->add_ratings.begin(), view->add_ratings.end()),
            (std::vector<double>{5, 4, 1, 2, 3}));
  EXPECT_EQ(Keys(view->factor_ids.begin(), view->factor_ids.end()), (Keys{0, 2}));
  EXPECT_EQ(std::vector<double>(view->factor_rows.begin(), view->factor_rows.end()),
            (std::vector<double>{0.1, 0.2, 2.1, 2.2}));

  WriteTask({}, {}, {}, m, {}, factor, 2, &task);
  view = ParseTask(task, 2, 4, 3);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_TRUE(view->solve.empty() && view->add.empty() && view->factor_ids.empty());
}

TEST(MfTask, RefusesMalformedTasks) {
  const RatingsCsr m = SmallByUser();
  const std::vector<double> factor(6, 1.0);
  const int64_t solve[] = {0, 2};
  const int64_t add[] = {0, 1};
  const int32_t ids[] = {1};
  core::Payload good;
  WriteTask(solve, {}, add, m, ids, factor, 2, &good);
  ASSERT_TRUE(ParseTask(good, 2, 4, 3).ok());
  // keys: [1, 0, 1, 2, 1 | 0 2 | 0 1 | 2 | 0 2 | 1], values: [5 4 | 1 1]
  auto refused = [&](auto change) {
    core::Payload task = good;
    change(task);
    return ParseTask(task, 2, 4, 3).status().code() == absl::StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(refused([](core::Payload& t) { t.keys.resize(3); }));     // no header
  EXPECT_TRUE(refused([](core::Payload& t) { t.keys[0] = -1; }));       // negative count
  EXPECT_TRUE(refused([](core::Payload& t) { t.keys[6] = 5; }));        // past the rows
  EXPECT_TRUE(refused([](core::Payload& t) { t.keys[5] = 3; }));        // begin > end
  EXPECT_TRUE(refused([](core::Payload& t) { t.keys[10] = 3; }));       // column too big
  EXPECT_TRUE(refused([](core::Payload& t) { t.keys[12] = 3; }));       // factor id
  EXPECT_TRUE(refused([](core::Payload& t) { t.values.pop_back(); }));  // value count
  EXPECT_TRUE(refused([](core::Payload& t) { t.keys.push_back(0); }));  // trailing key
  EXPECT_TRUE(refused([](core::Payload& t) { t.keys[9] = 1; }));        // lengths != nnz
}

TEST(ColumnsOfRows, ReturnsTheSortedDistinctColumnsOfARange) {
  const RatingsCsr m = SmallByUser();
  std::vector<int64_t> mark;
  std::vector<int32_t> out;
  ColumnsOfRows(m, 0, 2, 1, &mark, &out);
  EXPECT_EQ(out, (std::vector<int32_t>{0, 1, 2}));
  ColumnsOfRows(m, 0, 1, 2, &mark, &out);  // the same scratch, a new stamp
  EXPECT_EQ(out, (std::vector<int32_t>{0, 2}));
  ColumnsOfRows(m, 2, 3, 3, &mark, &out);
  EXPECT_TRUE(out.empty());
  ColumnsOfRows(m, 1, 1, 4, &mark, &out);
  EXPECT_TRUE(out.empty());
}

TEST(HeldRows, AddsDropsAndReplacesRows) {
  HeldRows held;
  held.Reset(6);
  const std::vector<int32_t> cols = {0, 2};
  const std::vector<double> ratings = {1, 2};
  held.Add(3, cols, ratings);
  EXPECT_TRUE(held.Has(3));
  EXPECT_FALSE(held.Has(2));
  EXPECT_EQ(held.held_rows(), 1);
  EXPECT_EQ(held.held_ratings(), 2);
  const std::vector<int64_t> wide = {1};
  const std::vector<double> one = {9};
  held.Add(3, wide, one);  // replaces
  EXPECT_EQ(std::vector<int32_t>(held.Cols(3).begin(), held.Cols(3).end()),
            (std::vector<int32_t>{1}));
  EXPECT_EQ(held.Ratings(3)[0], 9);
  EXPECT_EQ(held.held_ratings(), 1);
  held.DropRange(0, 3);  // nothing held there
  EXPECT_EQ(held.held_rows(), 1);
  held.Add(4, cols, ratings);
  EXPECT_EQ(held.Ranges(), (std::vector<int64_t>{3, 5}));
  held.DropRange(3, 4);
  EXPECT_EQ(held.Ranges(), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(held.held_ratings(), 2);
}

TEST(HeldRows, KeepsEveryRowsDataThroughCompaction) {
  HeldRows held;
  held.Reset(3);
  const std::vector<int32_t> small_cols = {4, 5};
  const std::vector<double> small_ratings = {0.5, 1.5};
  held.Add(0, small_cols, small_ratings);
  std::vector<int32_t> big_cols(1000);
  std::vector<double> big_ratings(1000);
  for (int i = 0; i < 1000; ++i) {
    big_cols[i] = i;
    big_ratings[i] = i * 0.25;
  }
  // 200 adds and drops of a 1000-rating row leave far more dead ratings than the 65536 that
  // trigger compaction.
  for (int i = 0; i < 200; ++i) {
    held.Add(1, big_cols, big_ratings);
    if (i % 2 == 0) held.DropRange(1, 2);
  }
  held.Add(2, small_cols, small_ratings);
  EXPECT_EQ(held.held_ratings(), 1004);
  EXPECT_EQ(std::vector<int32_t>(held.Cols(0).begin(), held.Cols(0).end()), small_cols);
  EXPECT_EQ(std::vector<double>(held.Ratings(0).begin(), held.Ratings(0).end()), small_ratings);
  EXPECT_EQ(std::vector<int32_t>(held.Cols(1).begin(), held.Cols(1).end()), big_cols);
  EXPECT_EQ(std::vector<double>(held.Ratings(1).begin(), held.Ratings(1).end()), big_ratings);
  EXPECT_EQ(std::vector<double>(held.Ratings(2).begin(), held.Ratings(2).end()), small_ratings);
}

// Applies [begin, end) pairs to a row model, checking they are ascending, non-empty, disjoint,
// and only change rows in the direction they claim.
void ApplyPairs(const std::vector<int64_t>& pairs, bool value, std::vector<bool>* model) {
  ASSERT_EQ(pairs.size() % 2, 0u);
  for (size_t p = 0; p < pairs.size(); p += 2) {
    ASSERT_LT(pairs[p], pairs[p + 1]);
    if (p > 0) ASSERT_GT(pairs[p], pairs[p - 1]) << "pairs must be ascending and not touch";
    for (int64_t r = pairs[p]; r < pairs[p + 1]; ++r) {
      ASSERT_NE((*model)[r], value) << "row " << r << " already " << value;
      (*model)[r] = value;
    }
  }
}

TEST(RowHoldings, MoveToSendsExactlyTheDifference) {
  RowHoldings holdings;
  holdings.Reset(20);
  holdings.AddMember(1);
  std::vector<int64_t> drop, add;
  holdings.MoveTo(1, 5, 10, &drop, &add);
  EXPECT_TRUE(drop.empty());
  EXPECT_EQ(add, (std::vector<int64_t>{5, 10}));
  drop.clear();
  add.clear();
  holdings.MoveTo(1, 7, 14, &drop, &add);  // shift right
  EXPECT_EQ(drop, (std::vector<int64_t>{5, 7}));
  EXPECT_EQ(add, (std::vector<int64_t>{10, 14}));
  drop.clear();
  add.clear();
  holdings.MoveTo(1, 2, 16, &drop, &add);  // grow on both sides
  EXPECT_TRUE(drop.empty());
  EXPECT_EQ(add, (std::vector<int64_t>{2, 7, 14, 16}));
  drop.clear();
  add.clear();
  holdings.MoveTo(1, 18, 20, &drop, &add);  // a disjoint jump
  EXPECT_EQ(drop, (std::vector<int64_t>{2, 16}));
  EXPECT_EQ(add, (std::vector<int64_t>{18, 20}));
  drop.clear();
  add.clear();
  holdings.MoveTo(1, 0, 0, &drop, &add);  // nothing
  EXPECT_EQ(drop, (std::vector<int64_t>{18, 20}));
  EXPECT_TRUE(add.empty());
  EXPECT_EQ(holdings.HeldRowCount(1), 0);
}

TEST(RowHoldings, TwoBlocksAndHolesGoThroughTheScan) {
  RowHoldings holdings;
  holdings.Reset(20);
  holdings.AddMember(7);
  holdings.AddRange(7, 0, 5);
  holdings.AddRange(7, 10, 15);   // a second, separate block
  holdings.DropRange(7, 11, 12);  // and a hole in it
  std::vector<int64_t> drop, add;
  holdings.MoveTo(7, 3, 13, &drop, &add);
  EXPECT_EQ(drop, (std::vector<int64_t>{0, 3, 13, 15}));
  EXPECT_EQ(add, (std::vector<int64_t>{5, 10, 11, 12}));
  EXPECT_EQ(holdings.HeldRowCount(7), 10);

  holdings.AddMember(8);
  holdings.RetainOnly({8});
  EXPECT_FALSE(holdings.Has(7));
  EXPECT_TRUE(holdings.Has(8));
}

// Random block gains and losses and moves, against a plain model of the rows held: what MoveTo
// asks to drop was held, what it asks to add was not, and afterwards exactly the range is held.
TEST(RowHoldings, AgreesWithAPlainModelUnderRandomChanges) {
  constexpr int64_t kRows = 50;
  RowHoldings holdings;
  holdings.Reset(kRows);
  holdings.AddMember(3);
  std::vector<bool> model(kRows, false);
  std::mt19937_64 rng(17);
  auto range = [&] {
    int64_t a = static_cast<int64_t>(rng() % (kRows + 1));
    int64_t b = static_cast<int64_t>(rng() % (kRows + 1));
    return std::make_pair(std::min(a, b), std::max(a, b));
  };
  for (int step = 0; step < 400; ++step) {
    const auto [begin, end] = range();
    switch (rng() % 3) {
      case 0:
        holdings.AddRange(3, begin, end);
        for (int64_t r = begin; r < end; ++r) model[r] = true;
        break;
      case 1:
        holdings.DropRange(3, begin, end);
        for (int64_t r = begin; r < end; ++r) model[r] = false;
        break;
      default: {
        std::vector<int64_t> drop, add;
        holdings.MoveTo(3, begin, end, &drop, &add);
        ApplyPairs(drop, false, &model);
        ApplyPairs(add, true, &model);
        for (int64_t r = 0; r < kRows; ++r) {
          ASSERT_EQ(model[r], r >= begin && r < end) << "step " << step << " row " << r;
        }
      }
    }
    ASSERT_EQ(holdings.HeldRowCount(3), std::count(model.begin(), model.end(), true))
        << "step " << step;
  }
}

}  // namespace
}  // namespace strads::mf
