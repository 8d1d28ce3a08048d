#include "core/column_sketch.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace strads::core {
namespace {

// splitmix64: a full-avalanche mix, so buckets and signs behave as independent draws.
uint64_t Mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool IsIndex(double v, int64_t limit) {
  return v >= 0 && v < static_cast<double>(limit) && v == std::floor(v);
}

}  // namespace

void SketchRow(const SketchShape& shape, int64_t g, int64_t* bucket, double* sign) {
  if (shape.exact()) {
    *bucket = g;
    *sign = 1;
    return;
  }
  const uint64_t h = Mix(static_cast<uint64_t>(g) ^ Mix(shape.seed));
  *bucket = static_cast<int64_t>((h >> 1) % static_cast<uint64_t>(shape.width));
  *sign = (h & 1) != 0 ? 1.0 : -1.0;
}

void AppendColumnSketches(const CscMatrix& x, int64_t row_offset, const SketchShape& shape,
                          std::vector<double>* out) {
  std::vector<std::pair<int64_t, double>> entries;
  for (int64_t j = 0; j < x.cols; ++j) {
    const int64_t begin = x.col_ptr[j];
    const int64_t end = x.col_ptr[j + 1];
    if (begin == end) continue;
    entries.clear();
    for (int64_t k = begin; k < end; ++k) {
      int64_t bucket = 0;
      double sign = 0;
      SketchRow(shape, row_offset + x.row_idx[k], &bucket, &sign);
      entries.emplace_back(bucket, sign * x.values[k]);
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    out->push_back(static_cast<double>(j));
    const size_t count_at = out->size();
    out->push_back(0);
    int64_t count = 0;
    for (size_t i = 0; i < entries.size();) {
      const int64_t bucket = entries[i].first;
      double sum = 0;
      for (; i < entries.size() && entries[i].first == bucket; ++i) sum += entries[i].second;
      out->push_back(static_cast<double>(bucket));
      out->push_back(sum);
      ++count;
    }
    (*out)[count_at] = static_cast<double>(count);
  }
}

ColumnSketchSum::ColumnSketchSum(const SketchShape& shape, int64_t cols)
    : shape_(shape), cols_(cols) {}

absl::Status ColumnSketchSum::Add(std::span<const double> partial) {
  const int64_t rows = shape_.rows();
  size_t i = 0;
  while (i < partial.size()) {
    if (i + 2 > partial.size() || !IsIndex(partial[i], cols_) ||
        !IsIndex(partial[i + 1], static_cast<int64_t>(partial.size()))) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed column sketch at value ", i, " (", cols_, " columns)"));
    }
    const int64_t j = static_cast<int64_t>(partial[i]);
    const size_t count = static_cast<size_t>(partial[i + 1]);
    i += 2;
    if (i + 2 * count > partial.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("column sketch of column ", j, " is cut short"));
    }
    for (size_t e = 0; e < count; ++e, i += 2) {
      if (!IsIndex(partial[i], rows)) {
        return absl::InvalidArgumentError(
            absl::StrCat("column sketch of column ", j, ": bucket out of range"));
      }
      entries_.push_back({static_cast<int64_t>(partial[i]), j, partial[i + 1]});
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CscMatrix> ColumnSketchSum::Build() && {
  return CscFromTriplets(shape_.rows(), cols_, std::move(entries_));
}

}  // namespace strads::core
