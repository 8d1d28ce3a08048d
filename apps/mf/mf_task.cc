#include "apps/mf/mf_task.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace strads::mf {
namespace {

absl::Status Malformed(const char* why) {
  return absl::InvalidArgumentError(absl::StrCat("mf task is malformed: ", why));
}

// Checks [begin, end) pairs within [0, rows) and returns how many rows they cover, or -1.
int64_t CheckRanges(std::span<const int64_t> pairs, int64_t rows) {
  int64_t covered = 0;
  for (size_t p = 0; p < pairs.size(); p += 2) {
    if (pairs[p] < 0 || pairs[p + 1] < pairs[p] || pairs[p + 1] > rows) return -1;
    covered += pairs[p + 1] - pairs[p];
  }
  return covered;
}

}  // namespace

absl::StatusOr<MfTaskView> ParseTask(const core::Payload& task, int64_t stride, int64_t rows,
                                     int64_t other_rows) {
  const std::span<const int64_t> keys = task.keys;
  if (keys.size() < kTaskHeaderKeys) return Malformed("no header");
  const int64_t solve_ranges = keys[0], drop_ranges = keys[1], add_ranges = keys[2];
  const int64_t add_nnz = keys[3], factor_rows = keys[4];
  const uint64_t limit = keys.size();
  if (solve_ranges < 0 || drop_ranges < 0 || add_ranges < 0 || add_nnz < 0 || factor_rows < 0 ||
      static_cast<uint64_t>(solve_ranges + drop_ranges + add_ranges) > limit ||
      static_cast<uint64_t>(add_nnz) > limit || static_cast<uint64_t>(factor_rows) > limit) {
    return Malformed("counts out of range");
  }
  MfTaskView view;
  size_t at = kTaskHeaderKeys;
  auto take = [&](int64_t count) {
    if (at + static_cast<size_t>(count) > keys.size()) return std::span<const int64_t>();
    std::span<const int64_t> section = keys.subspan(at, static_cast<size_t>(count));
    at += static_cast<size_t>(count);
    return section;
  };
  view.solve = take(2 * solve_ranges);
  view.drop = take(2 * drop_ranges);
  view.add = take(2 * add_ranges);
  const int64_t solved = CheckRanges(view.solve, rows);
  const int64_t added = CheckRanges(view.add, rows);
  if (view.solve.size() != static_cast<size_t>(2 * solve_ranges) ||
      view.drop.size() != static_cast<size_t>(2 * drop_ranges) ||
      view.add.size() != static_cast<size_t>(2 * add_ranges) || solved < 0 || added < 0 ||
      CheckRanges(view.drop, rows) < 0) {
    return Malformed("a row range does not fit the factor");
  }
  view.add_lengths = take(added);
  view.add_cols = take(add_nnz);
  view.factor_ids = take(factor_rows);
  if (view.add_lengths.size() != static_cast<size_t>(added) ||
      view.add_cols.size() != static_cast<size_t>(add_nnz) ||
      view.factor_ids.size() != static_cast<size_t>(factor_rows) || at != keys.size()) {
    return Malformed("key sections do not add up");
  }
  int64_t lengths = 0;
  for (int64_t length : view.add_lengths) {
    if (length < 0) return Malformed("negative row length");
    lengths += length;
  }
  if (lengths != add_nnz) return Malformed("added row lengths do not sum to their ratings");
  for (int64_t c : view.add_cols) {
    if (c < 0 || c >= other_rows) return Malformed("a rating's column does not fit");
  }
  for (int64_t id : view.factor_ids) {
    if (id < 0 || id >= other_rows) return Malformed("a factor row id does not fit");
  }
  if (task.values.size() != static_cast<size_t>(add_nnz + factor_rows * stride)) {
    return Malformed("value count does not match the keys");
  }
  view.add_ratings = std::span<const double>(task.values).first(static_cast<size_t>(add_nnz));
  view.factor_rows = std::span<const double>(task.values).subspan(static_cast<size_t>(add_nnz));
  return view;
}

void WriteTask(std::span<const int64_t> solve, std::span<const int64_t> drop,
               std::span<const int64_t> add, const RatingsCsr& m,
               std::span<const int32_t> factor_ids, std::span<const double> factor, int64_t stride,
               core::Payload* task) {
  task->keys.clear();
  task->values.clear();
  int64_t add_nnz = 0;
  for (size_t p = 0; p < add.size(); p += 2) add_nnz += m.ptr[add[p + 1]] - m.ptr[add[p]];
  const int64_t header[kTaskHeaderKeys] = {
      static_cast<int64_t>(solve.size() / 2), static_cast<int64_t>(drop.size() / 2),
      static_cast<int64_t>(add.size() / 2), add_nnz, static_cast<int64_t>(factor_ids.size())};
  task->keys.insert(task->keys.end(), header, header + kTaskHeaderKeys);
  task->keys.insert(task->keys.end(), solve.begin(), solve.end());
  task->keys.insert(task->keys.end(), drop.begin(), drop.end());
  task->keys.insert(task->keys.end(), add.begin(), add.end());
  for (size_t p = 0; p < add.size(); p += 2) {
    for (int64_t r = add[p]; r < add[p + 1]; ++r) task->keys.push_back(m.RowNnz(r));
  }
  for (size_t p = 0; p < add.size(); p += 2) {
    const int64_t begin = m.ptr[add[p]], end = m.ptr[add[p + 1]];
    task->keys.insert(task->keys.end(), m.idx.begin() + begin, m.idx.begin() + end);
    task->values.insert(task->values.end(), m.values.begin() + begin, m.values.begin() + end);
  }
  task->keys.insert(task->keys.end(), factor_ids.begin(), factor_ids.end());
  task->values.reserve(task->values.size() + factor_ids.size() * static_cast<size_t>(stride));
  for (int32_t id : factor_ids) {
    const auto row = factor.begin() + static_cast<std::ptrdiff_t>(id) * stride;
    task->values.insert(task->values.end(), row, row + stride);
  }
}

void ColumnsOfRows(const RatingsCsr& m, int64_t begin, int64_t end, int64_t stamp,
                   std::vector<int64_t>* mark, std::vector<int32_t>* out) {
  mark->resize(static_cast<size_t>(m.cols), -1);
  out->clear();
  for (int64_t e = m.ptr[begin]; e < m.ptr[end]; ++e) {
    int64_t& seen = (*mark)[static_cast<size_t>(m.idx[e])];
    if (seen == stamp) continue;
    seen = stamp;
    out->push_back(m.idx[e]);
  }
  std::sort(out->begin(), out->end());
}

}  // namespace strads::mf
