// An MF shard: one block of consecutive users (their ratings by user) and one block of
// consecutive items (their ratings by item), the rows a worker starts out solving. Rows moved to
// the worker later by the load balancer travel in its tasks instead (apps/mf/mf_task.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "apps/mf/ratings.h"

namespace strads::mf {

// Rows [begin, begin + rows.rows) of a whole matrix; rows.cols is the whole matrix's.
struct RowBlock {
  int64_t begin = 0;
  RatingsCsr rows;

  int64_t end() const { return begin + rows.rows; }
};

struct MfShard {
  int64_t users = 0;  // of the whole training matrix
  int64_t items = 0;
  RowBlock by_user;
  RowBlock by_item;
};

// Encodes users [user_begin, user_end) of `by_user` and items [item_begin, item_end) of
// `by_item` (its transpose), without copying them first.
std::string EncodeShard(const RatingsCsr& by_user, int64_t user_begin, int64_t user_end,
                        const RatingsCsr& by_item, int64_t item_begin, int64_t item_end);
// DataLoss for anything that is not a whole, consistent shard.
absl::StatusOr<MfShard> DecodeShard(std::string_view bytes);

}  // namespace strads::mf
