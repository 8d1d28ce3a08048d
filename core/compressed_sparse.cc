#include "core/compressed_sparse.h"

#include <cstddef>

namespace strads::core {
namespace {

// `for_each(visit)` calls visit(bucket, inner, value) for every entry, in order, each time.
template <typename ForEach>
CompressedEntries CountingSort(int64_t buckets, size_t entries, ForEach for_each) {
  CompressedEntries out;
  out.ptr.assign(static_cast<size_t>(buckets) + 1, 0);
  for_each([&](int64_t bucket, int32_t, double) { ++out.ptr[bucket + 1]; });
  for (int64_t b = 0; b < buckets; ++b) out.ptr[b + 1] += out.ptr[b];
  out.idx.resize(entries);
  out.values.resize(entries);
  std::vector<int64_t> next(out.ptr.begin(), out.ptr.end() - 1);
  for_each([&](int64_t bucket, int32_t inner, double value) {
    const int64_t slot = next[bucket]++;
    out.idx[slot] = inner;
    out.values[slot] = value;
  });
  return out;
}

}  // namespace

CompressedEntries CompressByOuter(int64_t outer_count, std::span<const int32_t> outer,
                                  std::span<const int32_t> inner, std::span<const double> values) {
  return CountingSort(outer_count, values.size(), [&](auto visit) {
    for (size_t e = 0; e < values.size(); ++e) visit(outer[e], inner[e], values[e]);
  });
}

CompressedEntries Transpose(int64_t inner_count, std::span<const int64_t> ptr,
                            std::span<const int32_t> idx, std::span<const double> values) {
  return CountingSort(inner_count, values.size(), [&](auto visit) {
    for (size_t r = 0; r + 1 < ptr.size(); ++r) {
      for (int64_t k = ptr[r]; k < ptr[r + 1]; ++k) {
        visit(idx[k], static_cast<int32_t>(r), values[k]);
      }
    }
  });
}

}  // namespace strads::core
