// The worker half of MF jobs with shared data (--data-access shared): reads its shards' byte
// ranges of the training and test files itself, and for every round sends the normal equations
// of the rows its ratings touch (protocol: apps/mf/mf_shared_protocol.h). Keeps the whole model
// (W and H, from the cache updates) and its ratings mapped to dense rows. Not thread-safe: the
// worker runtime calls it from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "Eigen/Core"
#include "absl/status/status.h"
#include "apps/mf/mf_math.h"
#include "apps/mf/partition_ratings.h"
#include "apps/mf/ratings.h"
#include "core/app.h"
#include "core/thread_team.h"

namespace strads::mf {

class MfSharedWorkerApp final : public core::WorkerApp {
 public:
  // A round's rows are cut over the team by their ratings; each row's sums are computed by one
  // member into its fixed place, so the partial is bit-identical whatever the team's size.
  void UseThreads(core::ThreadTeam* team) override { team_ = team; }
  absl::Status Configure(const core::JobSpec& spec) override;
  absl::Status AddShard(int shard, std::string_view bytes, const core::Payload& init) override;
  void DropShard(int shard) override;
  absl::Status Apply(const core::Payload& update) override;
  absl::Status Push(const core::Payload& task, core::Partial* out) override;

  // The held ratings by user, in dense rows (empty before the index round's cache update).
  const RatingsCsr& by_user() const { return by_user_; }

 private:
  struct ShardRatings {
    PartitionRatings train;
    PartitionRatings test;
  };
  // Takes the job's ids and rating scale, and starts the factors from InitFactors.
  void Start(std::vector<int64_t> user_ids, std::vector<int64_t> item_ids, double mu,
             double min_rating, double max_rating);
  // Maps every held shard's ratings to dense rows (after a shard change or the start).
  absl::Status Rebuild();
  void PushIndex(core::Partial* out) const;
  // ResourceExhausted when the sums would not fit in one message.
  absl::Status PushRows(bool users, core::Partial* out);
  double TestSquaredErrorNow() const;

  bool configured_ = false;
  uint64_t seed_ = 1;
  SolveOptions solve_;
  int64_t stride_ = 0;
  std::map<int, ShardRatings> shards_;  // ordered, so every rebuild sums in the same order

  bool started_ = false;
  std::vector<int64_t> user_ids_;  // ascending: dense row -> id
  std::vector<int64_t> item_ids_;
  Predictor predictor_;
  std::vector<double> w_;
  std::vector<double> h_;
  RatingsCsr by_user_;
  RatingsCsr by_item_;
  TestRatings test_;
  core::ThreadTeam* team_ = nullptr;  // lent by the runtime; nullptr means the calling thread
  // Scratch of PushRows: the rows with ratings, the ratings before each (where the parts are
  // cut), and per member a Gram matrix and a feature vector.
  std::vector<int32_t> rows_;
  std::vector<int64_t> ratings_before_;
  std::vector<Eigen::MatrixXd> grams_;
  std::vector<Eigen::VectorXd> features_;
};

}  // namespace strads::mf
