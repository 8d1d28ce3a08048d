// Compressed sparse layouts (CSR or CSC: offsets per outer index, then each entry's inner index
// and value), built by a stable counting sort: O(entries + outer) time, and entries that share an
// outer index keep their order, which the readers rely on to find duplicates and keep file order.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace strads::core {

struct CompressedEntries {
  std::vector<int64_t> ptr;  // outer + 1 offsets
  std::vector<int32_t> idx;  // inner index of each entry
  std::vector<double> values;
};

// Coordinate entries (outer[e], inner[e], values[e]) grouped by outer index in [0, outer_count).
CompressedEntries CompressByOuter(int64_t outer_count, std::span<const int32_t> outer,
                                  std::span<const int32_t> inner, std::span<const double> values);

// The transpose of a compressed layout (`ptr`, `idx`, `values`) whose inner indices lie in
// [0, inner_count): grouped by inner index, each group in outer order.
CompressedEntries Transpose(int64_t inner_count, std::span<const int64_t> ptr,
                            std::span<const int32_t> idx, std::span<const double> values);

}  // namespace strads::core
