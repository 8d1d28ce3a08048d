// The scheduler half of MF jobs with shared data (--data-access shared): the workers read the
// training and test files themselves, a byte range each, and the scheduler never holds a
// rating. It holds the model (W, H), each row's number of ratings and the ids: O(users + items)
// whatever the number of ratings. Each round it adds the workers' normal equations of every
// row of one factor and solves the rows as a served job's workers do, so the model, the
// objective and the stopping round are those of served data up to rounding (protocol:
// apps/mf/mf_shared_protocol.h). Not thread-safe: every call comes from the job's runner thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/mf/mf_math.h"
#include "apps/mf/mf_params.h"
#include "apps/mf/partition_ratings.h"
#include "core/app.h"
#include "core/data_partition.h"

namespace strads::mf {

class MfSharedSchedulerApp final : public core::SchedulerApp {
 public:
  // Reads only the files' sizes and first lines (ParseMfParams refuses lambda=auto with shared
  // data).
  absl::Status Prepare(const core::JobSpec& spec, int num_shards) override;
  int num_shards() const override { return static_cast<int>(train_parts_.size()); }
  absl::StatusOr<std::string> ShardBytes(int shard) const override;
  void ShardInit(int shard, core::Payload* init) const override;
  bool schedule_ahead() const override { return false; }
  bool RoundRunsAlone(int64_t number) const override { return !started_; }
  // The index round, and with test ratings the evaluation round (before the index round: when
  // there is a test file; after it, when that file held ratings).
  int64_t extra_rounds() const override {
    return 1 + ((started_ ? test_ratings_ > 0 : !test_path_.empty()) ? 1 : 0);
  }
  void Schedule(std::span<const core::WorkerView> workers, core::RoundPlan* plan) override;
  absl::StatusOr<core::RoundOutcome> Pull(const core::RoundPlan& plan,
                                          std::span<const core::Partial> partials,
                                          core::Payload* cache_update) override;
  void Metrics(std::vector<core::Metric>* out) const override;
  // A checkpoint holds what the index round found (ids, counts, mu, the rating range) and the
  // model, so a restarted scheduler resumes without an index round: the shards' inits then carry
  // the ids and the model, and the workers read their partitions again. A checkpoint taken before
  // the index round ended holds nothing, and the job starts over.
  bool supports_checkpoints() const override { return true; }
  absl::Status SaveCheckpoint(std::ostream& out) const override;
  absl::Status RestoreCheckpoint(std::istream& in) override;
  // The format of MfSchedulerApp::WriteModel, ids written as integers.
  absl::Status WriteModel(std::ostream& out) const override;

  const std::vector<double>& w() const { return w_; }
  const std::vector<double>& h() const { return h_; }
  double train_rmse() const { return train_rmse_; }
  std::optional<double> test_rmse() const;
  double objective() const { return objective_; }
  int64_t rounds() const { return pulls_; }
  bool converged() const { return converged_; }

 private:
  absl::StatusOr<core::RoundOutcome> PullIndex(std::span<const core::Partial> partials,
                                               core::Payload* cache_update);
  absl::StatusOr<core::RoundOutcome> PullRows(bool users, std::span<const core::Partial> partials,
                                              core::Payload* cache_update);
  absl::StatusOr<core::RoundOutcome> PullEvaluation(std::span<const core::Partial> partials);
  // The outcome of an update round whose stopping rule said `outcome`: with test ratings, one
  // evaluation round first scores them on the final model. kContinue: the job's max_rounds
  // budget ends it (the engine stops after the evaluation round).
  core::RoundOutcome Finish(core::RoundOutcome outcome);

  MfParams params_;
  bool stop_at_max_rounds_ = true;
  std::string data_path_;
  std::string test_path_;
  std::vector<core::DataPartition> train_parts_;
  std::vector<core::DataPartition> test_parts_;
  // Set for MatrixMarket files.
  std::optional<MatrixMarketShape> train_shape_;
  std::optional<MatrixMarketShape> test_shape_;

  // From the index round.
  bool started_ = false;
  std::vector<int64_t> user_ids_;  // ascending: dense row -> id
  std::vector<int64_t> item_ids_;
  std::vector<int64_t> user_ratings_;  // per row
  std::vector<int64_t> item_ratings_;
  int64_t ratings_ = 0;
  int64_t duplicates_ = 0;
  int64_t test_ratings_ = 0;
  // Repeats within each test partition (each scored once, with its last rating); a pair
  // repeated in two partitions is not seen, and is scored twice.
  int64_t test_duplicates_ = 0;
  int64_t test_unknown_ = 0;
  double min_rating_ = 0;
  double max_rating_ = 0;

  SolveOptions solve_;
  std::optional<RowSolver> solver_;
  std::vector<double> w_;
  std::vector<double> h_;
  std::vector<size_t> cursor_;  // scratch of PullRows: each partial's next row
  // Each worker's busy seconds in the last update round (for the summary only: each worker keeps
  // its byte range, so nothing is re-balanced on them).
  std::vector<double> busy_;

  int64_t pulls_ = 0;  // update rounds
  double train_rmse_ = 0;
  double test_rmse_ = 0;
  double objective_ = 0;
  std::array<double, 2> previous_objective_{-1.0, -1.0};
  bool converged_ = false;
  // Set when the stopping rule has ended the updates and the evaluation round is due.
  std::optional<core::RoundOutcome> evaluate_then_;
};

}  // namespace strads::mf
