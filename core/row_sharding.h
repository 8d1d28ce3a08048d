// Row sharding: data is split by samples into contiguous row ranges of about equal non-zeros, and
// each shard is serialised so a worker can fetch it and rebuild it exactly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/labeled_data.h"

namespace strads::core {

struct RowRange {
  int64_t begin = 0;  // first row, inclusive
  int64_t end = 0;    // last row, exclusive
};

// Splits rows [0, x.rows) into `num_shards` contiguous ranges whose non-zero counts are as even as
// the row granularity allows. Every range is non-empty when x.rows >= num_shards.
std::vector<RowRange> SplitRowsByNnz(const CscMatrix& x, int num_shards);

// The rows [range.begin, range.end) of `data` with local row indices (row - range.begin); all
// columns are kept so that column j means feature j on every shard.
LabeledData SliceRows(const LabeledData& data, RowRange range);

// A versioned little-endian binary encoding of a LabeledData shard.
std::string EncodeShard(const LabeledData& shard);
absl::StatusOr<LabeledData> DecodeShard(std::string_view bytes);

}  // namespace strads::core
