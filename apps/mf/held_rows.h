// The rows of one rating matrix (by user, or by item) that a worker holds: any subset of the
// rows, added and dropped as the load balancer moves rows between workers. Lookup is O(1) per
// row; the ratings live in one arena, compacted once dropped rows make up most of it.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "apps/mf/mf_shard.h"

namespace strads::mf {

class HeldRows {
 public:
  // Holds nothing, of a matrix of `rows` rows.
  void Reset(int64_t rows);

  // Holds `row` with these ratings (replacing what it held of it).
  void Add(int64_t row, std::span<const int32_t> cols, std::span<const double> ratings);
  void Add(int64_t row, std::span<const int64_t> cols, std::span<const double> ratings);
  void AddBlock(const RowBlock& block);
  // Drops the held rows of [begin, end); rows not held are skipped.
  void DropRange(int64_t begin, int64_t end);

  int64_t rows() const { return static_cast<int64_t>(start_.size()); }
  bool Has(int64_t row) const { return start_[static_cast<size_t>(row)] >= 0; }
  std::span<const int32_t> Cols(int64_t row) const {
    return {cols_.data() + start_[static_cast<size_t>(row)],
            static_cast<size_t>(length_[static_cast<size_t>(row)])};
  }
  std::span<const double> Ratings(int64_t row) const {
    return {ratings_.data() + start_[static_cast<size_t>(row)],
            static_cast<size_t>(length_[static_cast<size_t>(row)])};
  }
  int64_t held_rows() const { return held_rows_; }
  int64_t held_ratings() const { return held_ratings_; }
  // The held rows as ascending [begin, end) pairs (for tests and diagnostics; O(rows)).
  std::vector<int64_t> Ranges() const;

 private:
  void Drop(int64_t row);
  template <typename Col>
  void AddRow(int64_t row, std::span<const Col> cols, std::span<const double> ratings);
  void MaybeCompact();

  std::vector<int64_t> start_;   // offset into the arena, -1 = not held
  std::vector<int32_t> length_;  // ratings of the row
  std::vector<int32_t> cols_;    // arena
  std::vector<double> ratings_;  // arena
  int64_t held_rows_ = 0;
  int64_t held_ratings_ = 0;  // live part of the arena; the rest is dropped rows
};

}  // namespace strads::mf
