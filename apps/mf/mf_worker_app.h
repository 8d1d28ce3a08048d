// The worker half of the MF app: holds the whole training matrix (by user and by item; every
// shard is the same matrix, kept once) and its copies of W and H, solves the rows it is
// scheduled against the other factor, and copies the scheduler's new rows into its factors.
// Protocol: apps/mf/mf_protocol.h. Not thread-safe: the worker runtime calls it from one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "apps/mf/mf_math.h"
#include "apps/mf/ratings.h"
#include "core/app.h"

namespace strads::mf {

class MfWorkerApp final : public core::WorkerApp {
 public:
  absl::Status Configure(const core::JobSpec& spec) override;
  absl::Status AddShard(int shard, std::string_view bytes, const core::Payload& init) override;
  void DropShard(int shard) override;
  // Refuses an update that skips a model version (rows would be solved against a stale factor);
  // one the factors already reflect (their init was newer) is skipped.
  absl::Status Apply(const core::Payload& update) override;
  // Allocation-free once `out` has grown.
  absl::Status Push(const core::Payload& task, core::Partial* out) override;

  int num_shards() const { return static_cast<int>(shards_.size()); }

 private:
  int64_t rank_ = 0;
  double lambda_ = 0;
  std::optional<RowSolver> solver_;
  std::set<int> shards_;
  RatingsCsr by_user_;
  RatingsCsr by_item_;
  std::vector<double> w_;
  std::vector<double> h_;
  int64_t version_ = 0;  // the model version the factors reflect
};

}  // namespace strads::mf
