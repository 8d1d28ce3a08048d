// The worker half of the Lasso app: holds row shards of X and y (sent by the scheduler, or read
// by the worker itself from a shared data set: core/data_partition.h) and each shard's residual
// r_p = y_p - X_p b, pushes partial dot products x_j^p' r_p for the scheduled coordinates and
// applies the scheduler's deltas to the residuals. Protocol: apps/lasso/lasso_protocol.h.
// Not thread-safe: the worker runtime calls it from one thread, and it splits its loops over the
// worker's ThreadTeam: pushes by coordinate (each coordinate's dot is one thread's, in the serial
// order), cache updates and gap passes by fixed row blocks of each shard (each block's norm
// partials kept apart and summed in block order), so results never depend on the thread count.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "apps/lasso/shard_gram.h"
#include "core/app.h"
#include "core/labeled_data.h"

namespace strads::lasso {

// ||r||^2 and sum(r) over rows [begin, end) of a shard's residual: the unit of work of one thread
// in a cache update or a gap pass.
struct ResidualBlock {
  int64_t begin = 0;
  int64_t end = 0;
  double residual_sq = 0;
  double residual_sum = 0;  // kept only with the intercept
};

class LassoWorkerApp final : public core::WorkerApp {
 public:
  void UseThreads(core::ThreadTeam* team) override;
  absl::Status Configure(const core::JobSpec& spec) override;
  absl::Status AddShard(int shard, std::string_view bytes, const core::Payload& init) override;
  void DropShard(int shard) override;
  // Refuses an update that skips a model version (the shard would be silently wrong); one the
  // shard already reflects (its init was newer) is skipped.
  absl::Status Apply(const core::Payload& update) override;
  // A worker holding no shard pushes no values. Allocation-free once `out` has grown.
  absl::Status Push(const core::Payload& task, core::Partial* out) override;

  int num_shards() const { return static_cast<int>(shards_.size()); }

  // A shard's residual is cut into blocks of this many rows (the last one shorter), the unit a
  // thread updates. Fixed, not derived from the thread count, so the block sums are the same
  // whatever the team; a shard of at most this many rows is one block, as before threads.
  static constexpr int64_t kRowsPerBlock = 4096;

 private:
  // The shard's residual is r_p = residual - offset: intercept deltas accumulate in `offset`
  // (O(1) per round) and are folded into `residual` on gap rounds (lasso_protocol.h).
  struct ShardState {
    core::LabeledData data;
    std::vector<double> residual;
    // ||residual||^2 and sum(residual) per row block (the sum only with the intercept):
    // incremental between gap rounds, exact after one.
    std::vector<ResidualBlock> blocks;
    double offset = 0;             // pending intercept deltas, 0 without the intercept
    std::vector<double> col_sums;  // 1'x_j^p, only with the intercept
    int64_t version = 0;           // the model version the residual reflects
    bool scaled = false;           // its columns are divided by scales_ (shared data, standardize)
  };

  bool intercept_ = false;      // from Configure
  bool standardize_ = false;    // from Configure: shared-data shards get scales_ from the scheduler
  bool shared_stats_ = false;   // from Configure: shared data (stats rounds)
  std::vector<double> scales_;  // the job's column scales, once known (shared data, standardize)
  int64_t features_ = -1;       // from the first shard; all shards must agree
  std::map<int, ShardState> shards_;
  ShardGram gram_;  // scratch for kComputeGram

  // Runs fn(part, parts) for every part of a loop of about `work` entries: on the team when it
  // has more than one member and the loop is big enough to pay for waking them, else on the
  // calling thread as one part. Parts must write disjoint data.
  // Shared data: gives every shard (and its column sums) at least `cols` columns, so that shards
  // read from different partitions agree on the job's feature count.
  void WidenShards(int64_t cols);
  // Shared data with standardize: takes the scheduler's column scales (`scales`, M values) and
  // divides every held shard's columns (and column sums) by them, once per shard.
  absl::Status ScaleShards(std::span<const double> scales);
  void ScaleShard(ShardState* state) const;

  template <typename Fn>
  void ForParts(int64_t work, Fn&& fn);

  core::ThreadTeam* team_ = nullptr;       // lent by the runtime; nullptr means the calling thread
  std::vector<int64_t> part_units_ = {0};  // work units per part of the current push
};

}  // namespace strads::lasso
