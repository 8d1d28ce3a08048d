// The MF app's private wire protocol: the meaning of core::Payload ops and value layouts that
// pass between MfSchedulerApp and MfWorkerApp. The services move these numbers opaquely.
//
// Data placement (current design): every shard is the WHOLE training matrix (CSR by user; the
// worker builds the CSR by item from it), so any worker can update any row and the scheduler can
// move rows between workers every round without moving data. A worker holding several shards
// keeps one copy. Workers receive only factor rows, through ShardInit and cache updates.
//
// A round updates every row of one factor: W (users) on even rounds, H (items) on odd rounds.
// Row ranges travel as [begin, end) pairs of dense row indices in `keys`.
//
// Every cache update and shard init carries a trailing "model version" (the number of Pulls the
// model has seen), so a worker can tell an update it already has (skip) from one it missed
// (refuse): it must never solve against a stale factor.
#pragma once

#include <cstdint>

namespace strads::mf {

// Shard bytes start with this tag (then the format version), so a stray shard is refused.
inline constexpr char kShardMagic[8] = {'S', 'T', 'R', 'D', 'M', 'F', '0', '1'};

// ShardInit: keys = {users, items, K}; values = W (users x K, row-major), then H (items x K),
// then the model version.
inline constexpr int32_t kInitFactors = 1;

// Round tasks: keys = [begin, end) row ranges (possibly none). Partial values = the new rows
// (K each, in key order), then the squared error sum over the ratings of those rows after the
// update, then the number of those ratings. work_units = ratings touched.
inline constexpr int32_t kUpdateUsers = 2;
inline constexpr int32_t kUpdateItems = 3;

// Cache updates from Pull: keys = [begin, end) ranges, values = the new rows (K each, in key
// order), then the model version after this update. Workers copy them into W (resp. H).
inline constexpr int32_t kSetUserRows = 4;
inline constexpr int32_t kSetItemRows = 5;

}  // namespace strads::mf
