// The MF app's private wire protocol: the meaning of core::Payload ops and value layouts that
// pass between MfSchedulerApp and MfWorkerApp. The services move these numbers opaquely.
//
// Data placement: a worker holds the ratings of the rows it solves and nothing else.
//   - Shard s (apps/mf/mf_shard.h) is user block s and item block s, cut at Prepare like the
//     balancer's first split, so at the start each worker already holds exactly its rows.
//   - When the balancer moves rows between workers, the next task of the receiving worker
//     carries their ratings ("add"), and the task of a worker that lost rows tells it to drop
//     them ("drop"). So data moves incrementally, with the rows.
//   - A worker keeps no factor between rounds: each task carries the rows of the other factor
//     that the worker's ratings touch, and nothing else. Pull sends no cache update.
// The scheduler mirrors what every worker holds (apps/mf/row_holdings.h) by the same rules the
// worker applies (shard added: hold its blocks; shard dropped: drop its blocks' rows; task:
// drop, then add), so it never sends rows a worker has, and a worker refuses to solve a row it
// does not hold rather than solve it wrongly.
//
// A round updates every row of one factor: W (users) on even rounds, H (items) on odd rounds.
#pragma once

#include <cstdint>

namespace strads::mf {

// Shard bytes start with this tag (then the format version), so a stray shard is refused.
inline constexpr char kShardMagic[8] = {'S', 'T', 'R', 'D', 'M', 'F', '0', '2'};

// ShardInit: keys = {users, items, K}; values = {lambda, mu, bias_lambda} (resolved) (the shard
// bytes hold the rows).
inline constexpr int32_t kInitShard = 1;

// Round tasks (layout: apps/mf/mf_task.h): rows to solve, rows to drop, rows to add with their
// ratings, and the other factor's rows the solved rows need. Partial values = the new rows (K + 1
// each, in solve order), then the squared error over those rows' ratings after the update, then
// the number of those ratings. work_units = ratings touched.
inline constexpr int32_t kUpdateUsers = 2;
inline constexpr int32_t kUpdateItems = 3;

}  // namespace strads::mf
