#include "apps/mf/held_rows.h"

#include <algorithm>
#include <utility>

namespace strads::mf {

void HeldRows::Reset(int64_t rows) {
  start_.assign(static_cast<size_t>(rows), -1);
  length_.assign(static_cast<size_t>(rows), 0);
  cols_.clear();
  ratings_.clear();
  held_rows_ = 0;
  held_ratings_ = 0;
}

template <typename Col>
void HeldRows::AddRow(int64_t row, std::span<const Col> cols, std::span<const double> ratings) {
  Drop(row);
  start_[static_cast<size_t>(row)] = static_cast<int64_t>(cols_.size());
  length_[static_cast<size_t>(row)] = static_cast<int32_t>(cols.size());
  for (Col c : cols) cols_.push_back(static_cast<int32_t>(c));
  ratings_.insert(ratings_.end(), ratings.begin(), ratings.end());
  ++held_rows_;
  held_ratings_ += static_cast<int64_t>(cols.size());
}

void HeldRows::Add(int64_t row, std::span<const int32_t> cols, std::span<const double> ratings) {
  AddRow(row, cols, ratings);
  MaybeCompact();
}

void HeldRows::Add(int64_t row, std::span<const int64_t> cols, std::span<const double> ratings) {
  AddRow(row, cols, ratings);
  MaybeCompact();
}

void HeldRows::AddBlock(const RowBlock& block) {
  for (int64_t r = 0; r < block.rows.rows; ++r) {
    AddRow(block.begin + r, block.rows.RowIdx(r), block.rows.RowValues(r));
  }
  MaybeCompact();
}

void HeldRows::Drop(int64_t row) {
  const size_t r = static_cast<size_t>(row);
  if (start_[r] < 0) return;
  start_[r] = -1;
  --held_rows_;
  held_ratings_ -= length_[r];
  length_[r] = 0;
}

void HeldRows::DropRange(int64_t begin, int64_t end) {
  for (int64_t r = begin; r < end; ++r) Drop(r);
  MaybeCompact();
}

void HeldRows::MaybeCompact() {
  // Rewriting the arena costs one pass over what is held; doing it only once the dead part
  // outweighs the live part keeps that at O(1) amortised per rating moved.
  const int64_t dead = static_cast<int64_t>(cols_.size()) - held_ratings_;
  if (dead < (int64_t{1} << 16) || dead < held_ratings_) return;
  std::vector<int32_t> cols;
  std::vector<double> ratings;
  cols.reserve(static_cast<size_t>(held_ratings_));
  ratings.reserve(static_cast<size_t>(held_ratings_));
  for (size_t r = 0; r < start_.size(); ++r) {
    if (start_[r] < 0) continue;
    const auto from = static_cast<std::ptrdiff_t>(start_[r]);
    start_[r] = static_cast<int64_t>(cols.size());
    cols.insert(cols.end(), cols_.begin() + from, cols_.begin() + from + length_[r]);
    ratings.insert(ratings.end(), ratings_.begin() + from, ratings_.begin() + from + length_[r]);
  }
  cols_ = std::move(cols);
  ratings_ = std::move(ratings);
}

std::vector<int64_t> HeldRows::Ranges() const {
  std::vector<int64_t> ranges;
  for (int64_t r = 0; r < rows(); ++r) {
    if (!Has(r)) continue;
    if (!ranges.empty() && ranges.back() == r) {
      ranges.back() = r + 1;
    } else {
      ranges.push_back(r);
      ranges.push_back(r + 1);
    }
  }
  return ranges;
}

}  // namespace strads::mf
