// The Lasso app's private wire protocol: the meaning of core::Payload ops and value layouts that
// pass between LassoSchedulerApp and LassoWorkerApp. The services move these numbers opaquely.
//
// Every cache update and shard init carries a trailing "model version" (the number of Pulls the
// model has seen), so a worker can tell an update it already has (skip) from one it missed
// (refuse): a residual must never silently absorb a delta twice or lose one.
#pragma once

#include <cstdint>

namespace strads::lasso {

// ShardInit: keys = coefficients j with b_j != 0, values = b_j, then one trailing value: the
// model version the coefficients describe.
inline constexpr int32_t kInitCoefficients = 1;

// Round task: keys = the batch J (distinct). Partial values = sum over held shards of
// x_j^p' r_p for each key in order, then one trailing value: sum over shards of ||r_p||^2
// (kept incrementally on the worker; exact at the last kComputeGap).
inline constexpr int32_t kPushCoordinates = 2;

// Round task, no keys: partial values = X_p' r_p summed over held shards (length = features),
// then ||r||^2 recomputed exactly.
inline constexpr int32_t kComputeGap = 3;

// Cache update from Pull: keys = coefficients that changed, values = their deltas, then one
// trailing value: the model version after this update. Workers apply r_p -= x_j^p delta_j.
inline constexpr int32_t kApplyDeltas = 4;

}  // namespace strads::lasso
