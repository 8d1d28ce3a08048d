// The layout of an MF round task (see apps/mf/mf_protocol.h for what travels and why):
//   keys   = [solve_ranges, drop_ranges, add_ranges, add_nnz, factor_rows,   (header)
//             solve [begin, end) pairs, drop pairs, add pairs,
//             the ratings count of every added row (in add order), their columns,
//             the ids of the other factor's rows carried]
//   values = [the added rows' ratings, then the carried factor rows (`stride` = K + 1 each:
//   factors, then
//             bias, in id order)]
// Rows are dense indices of the factor being updated; columns and factor ids index the other.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/mf/ratings.h"
#include "core/app.h"

namespace strads::mf {

inline constexpr int kTaskHeaderKeys = 5;

// Views into a task payload, valid while it lives.
struct MfTaskView {
  std::span<const int64_t> solve;  // [begin, end) pairs
  std::span<const int64_t> drop;
  std::span<const int64_t> add;
  std::span<const int64_t> add_lengths;  // one per added row
  std::span<const int64_t> add_cols;
  std::span<const double> add_ratings;
  std::span<const int64_t> factor_ids;
  std::span<const double> factor_rows;  // stride per id
};

// Checks every count, range and index against a factor of `rows` rows whose ratings index
// `other_rows` columns; InvalidArgument names what is off.
absl::StatusOr<MfTaskView> ParseTask(const core::Payload& task, int64_t stride, int64_t rows,
                                     int64_t other_rows);

// Writes a task for solving `solve`, dropping `drop` and adding `add` (each [begin, end) pairs;
// the added rows' ratings come from `m`, the matrix by the factor being updated), carrying rows
// `factor_ids` of `factor` (the other factor, row-major, `stride` wide). Keeps `task->op`; reuses
// its capacity.
void WriteTask(std::span<const int64_t> solve, std::span<const int64_t> drop,
               std::span<const int64_t> add, const RatingsCsr& m,
               std::span<const int32_t> factor_ids, std::span<const double> factor, int64_t stride,
               core::Payload* task);

// The distinct columns of rows [begin, end) of `m`, ascending: the other factor's rows a worker
// solving those rows needs. `mark` is scratch of m.cols entries that persists between calls
// (stamped with `stamp`, which must differ from every earlier call's, so it is never cleared).
void ColumnsOfRows(const RatingsCsr& m, int64_t begin, int64_t end, int64_t stamp,
                   std::vector<int64_t>* mark, std::vector<int32_t>* out);

}  // namespace strads::mf
