// The worker half of the Lasso app: holds row shards of X and y and each shard's residual
// r_p = y_p - X_p b, pushes partial dot products x_j^p' r_p for the scheduled coordinates and
// applies the scheduler's deltas to the residuals. Protocol: apps/lasso/lasso_protocol.h.
// Not thread-safe: the worker runtime calls it from one thread.
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

class LassoWorkerApp final : public core::WorkerApp {
 public:
  absl::Status Configure(const core::JobSpec& spec) override;
  absl::Status AddShard(int shard, std::string_view bytes, const core::Payload& init) override;
  void DropShard(int shard) override;
  // Refuses an update that skips a model version (the shard would be silently wrong); one the
  // shard already reflects (its init was newer) is skipped.
  absl::Status Apply(const core::Payload& update) override;
  // A worker holding no shard pushes no values. Allocation-free once `out` has grown.
  absl::Status Push(const core::Payload& task, core::Partial* out) override;

  int num_shards() const { return static_cast<int>(shards_.size()); }

 private:
  // The shard's residual is r_p = residual - offset: intercept deltas accumulate in `offset`
  // (O(1) per round) and are folded into `residual` on gap rounds (lasso_protocol.h).
  struct ShardState {
    core::LabeledData data;
    std::vector<double> residual;
    double residual_sq = 0;   // ||residual||^2: incremental between gap rounds, exact after one
    double residual_sum = 0;  // sum(residual), likewise; kept only with the intercept
    double offset = 0;        // pending intercept deltas, 0 without the intercept
    std::vector<double> col_sums;  // 1'x_j^p, only with the intercept
    int64_t version = 0;           // the model version the residual reflects
  };

  bool intercept_ = false;  // from Configure
  int64_t features_ = -1;   // from the first shard; all shards must agree
  std::map<int, ShardState> shards_;
  ShardGram gram_;  // scratch for kComputeGram
};

}  // namespace strads::lasso
