// The Lasso app's private wire protocol: the meaning of core::Payload ops and value layouts that
// pass between LassoSchedulerApp and LassoWorkerApp. The services move these numbers opaquely.
//
// Every cache update and shard init carries a trailing "model version" (the number of Pulls the
// model has seen), so a worker can tell an update it already has (skip) from one it missed
// (refuse): a residual must never silently absorb a delta twice or lose one.
#pragma once

#include <cstdint>

namespace strads::lasso {

// The intercept option (lasso_params.h) adds one coordinate, b0, with an implicit all-ones
// column. It travels as the reserved key `features` (M, one past the last column) in
// kInitCoefficients and kApplyDeltas, so its value or delta sits with the others and the trailing
// model version keeps its meaning. A worker applies r_p -= delta_b0 lazily: it keeps the shard's
// pending intercept offset o and its column sums 1'x_j^p, pushes x_j^p'r_p - o 1'x_j^p, and folds
// o into r_p on the next gap round (an O(rows) pass that round makes anyway), so an intercept
// update costs O(1) on push rounds. Jobs without the intercept never send the key.

// ShardInit: keys = coefficients j with b_j != 0 (and key M for b0 != 0), values = b_j, then one
// trailing value: the model version the coefficients describe.
inline constexpr int32_t kInitCoefficients = 1;

// Round task: keys = the batch J (distinct). Partial values = sum over held shards of
// x_j^p' r_p for each key in order, then one trailing value: sum over shards of ||r_p||^2
// (kept incrementally on the worker; exact at the last kComputeGap; with a pending intercept
// offset o, ||r_p||^2 = ||r_p + o||^2 - 2 o sum(r_p + o) + rows_p o^2).
inline constexpr int32_t kPushCoordinates = 2;

// Round task, no keys: partial values = X_p' r_p summed over held shards (length = features),
// then ||r||^2 recomputed exactly, then, only when the job fits an intercept, sum(r) (the
// scheduler centres the residual with it for the gap and sets b0 += sum(r) / N).
inline constexpr int32_t kComputeGap = 3;

// Round task of the working-set schedule: keys = the working set W (distinct), values = {num_old}:
// the Gram entries of the first num_old keys are known. Partial values = for every new key a
// (num_old <= a < |W|, in order), sum over held shards of x_{W[s]}^p' x_{W[a]}^p for s = 0..a
// (apps/lasso/shard_gram.h, GramValueIndex). The residual is not touched.
inline constexpr int32_t kComputeGram = 5;

// Cache update from Pull: keys = coefficients that changed, values = their deltas, then one
// trailing value: the model version after this update. Workers apply r_p -= x_j^p delta_j, and
// for key M (the intercept) r_p -= delta_b0.
inline constexpr int32_t kApplyDeltas = 4;

// Data the workers read themselves (data_access=shared, core/data_partition.h): a shard's bytes
// are an encoded DataPartition that the worker reads and parses, and the scheduler never holds
// X or y. It learns what it needs in setup rounds that run before the schedule's first round:
//
// Round task, no keys: partial values = {features_p, rows_p, sum y, sum y^2}, then for each
// j < features_p: ||x_j^p||^2, 1'x_j^p, x_j^p'y_p (three times a gap round's size, so shared data
// takes up to about 10M features under the 256 MiB message limit), then the count H of shards held
// and H pairs (shard, rows of that shard), all summed over the worker's shards (features_p is
// their largest column count). Additive over row partitions. With standardize or the intercept
// each column has two more values: its squared deviations about the worker's own mean (zeros
// included) and its largest |x|, which combine over workers exactly (Chan et al.'s pairwise
// update) into the column's standard deviation, and with the intercept into the centred squared
// norm of its coordinate steps.
inline constexpr int32_t kComputeStats = 6;
// Values per column in a stats partial, with or without the deviations.
inline constexpr int64_t StatsPerColumn(bool deviations) { return deviations ? 5 : 3; }

// Round task (dynamic schedule only), keys = every shard, values = {width, seed, N, then the
// global row offset of each key's shard}: partial values = core::AppendColumnSketches of every
// held shard (core/column_sketch.h), which the scheduler sums into its correlation sketch.
inline constexpr int32_t kComputeSketch = 7;

// ShardInit of a shared-data shard once the scheduler knows the feature count M: like
// kInitCoefficients, with M before the trailing model version, and with standardize the M column
// scales right after M (the worker divides the shard's columns by them before anything else).
// (Before the stats round a shared-data shard gets a plain kInitCoefficients at version 0.)
inline constexpr int32_t kInitCoefficientsWithFeatures = 8;

// Cache update of the stats round: like kApplyDeltas (the intercept's first value, under key M,
// when the job fits one), with M before the trailing model version, and with standardize the M
// column scales right after M. Workers widen every shard to M columns first, then divide every
// column by its scale.
inline constexpr int32_t kStartModel = 9;

}  // namespace strads::lasso
