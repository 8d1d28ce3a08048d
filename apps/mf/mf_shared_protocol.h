// The wire protocol of MF jobs whose workers read the ratings themselves (--data-access shared):
// the meaning of core::Payload ops and value layouts between MfSharedSchedulerApp and
// MfSharedWorkerApp.
//
// Data placement: shard s is the s-th byte range of the training file (and of the test file),
// which its holder reads and keeps; ratings never move. A user's ratings are spread over the
// partitions, so a worker cannot solve a row alone: for every row of the round's factor that its
// ratings touch it sends the row's sums (the normal equations, apps/mf/mf_math.h
// NormalEquationsOf), which add over partitions, and the scheduler adds them and solves every row
// exactly as a served job's worker does (RowSolver::SolveFromSums). The factor rows the workers
// need travel back as the round's cache update, to every worker.
//
// Rounds: the first (the index round) asks every worker for its partition's ids and rating
// statistics; then W (users) and H (items) alternate; a last evaluation round scores the test
// ratings on the final model when the job has them.
#pragma once

#include <cstdint>

namespace strads::mf {

// ShardInit. keys = {rank, started, and when started: users, items, the user ids ascending, the
// item ids ascending}; values = {lambda, bias_lambda, and when started: mu, min rating, max
// rating, W, H (RowStride(rank) values a row)}. `started` is 0 before the index round's Pull.
inline constexpr int32_t kInitSharedShard = 11;

// Task of the index round (no keys or values). Partial values: {shards held, their numbers...,
// ratings, sum of ratings, min, max, duplicates, test ratings, test duplicates, distinct users U,
// distinct items I, then U (user id, ratings) pairs ascending, then I (item id, ratings) pairs
// ascending}; a
// worker holding no shard sends nothing.
inline constexpr int32_t kSharedIndex = 12;
// Tasks of a W (users) or H (items) round (no keys or values). Partial values: {test squared
// error of the model the worker holds (the one before this round), test ratings scored, test
// ratings with an unknown user or item, rows R, then R times {row, ratings,
// NormalEquationsOf's values}} with the rows ascending.
inline constexpr int32_t kSharedUpdateUsers = 13;
inline constexpr int32_t kSharedUpdateItems = 14;
// Task of the evaluation round: partial values {test squared error, test ratings scored}.
inline constexpr int32_t kSharedEvaluate = 15;

// Cache update after the index round: keys = {users, items, user ids..., item ids...}, values =
// {mu, min rating, max rating}. The workers then map their ratings to dense rows (ids in
// ascending order, as served data numbers integer ids) and start from InitFactors.
inline constexpr int32_t kSharedStart = 21;
// Cache update after a W or H round: values = the whole factor, row-major.
inline constexpr int32_t kSharedUserRows = 22;
inline constexpr int32_t kSharedItemRows = 23;

// Header values of an update round's partial, before its rows.
inline constexpr size_t kSharedUpdateHeader = 4;

}  // namespace strads::mf
