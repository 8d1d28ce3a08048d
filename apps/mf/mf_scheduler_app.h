// The scheduler half of the MF app: owns the ratings (for row costs, shards, row transfers and
// test RMSE), the factors W and H (the truth), and the load balancing. Each round updates every
// row of one factor (W on even rounds, H on odd), split into one contiguous row range per worker
// by core::LoadBalancer; each task carries the ratings of rows newly given to the worker and the
// other factor's rows its ratings touch; Pull writes the workers' new rows into the model.
// Protocol: apps/mf/mf_protocol.h. Not thread-safe: every call comes from the job's runner thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/mf/lambda_search.h"
#include "apps/mf/mf_math.h"
#include "apps/mf/mf_params.h"
#include "apps/mf/ratings.h"
#include "apps/mf/row_holdings.h"
#include "core/app.h"
#include "core/load_balancer.h"

namespace strads::mf {

// Busy-time spread is averaged over this many recent rounds ("busy_spread_avg").
inline constexpr int kBusyWindow = 10;

class MfSchedulerApp final : public core::SchedulerApp {
 public:
  MfSchedulerApp() = default;
  MfSchedulerApp(const MfSchedulerApp&) = delete;
  MfSchedulerApp& operator=(const MfSchedulerApp&) = delete;

  absl::Status Prepare(const core::JobSpec& spec, int num_shards) override;
  int num_shards() const override { return num_shards_; }
  // Shard s: user block s and item block s (the first split over num_shards workers).
  absl::StatusOr<std::string> ShardBytes(int shard) const override;
  void ShardInit(int shard, core::Payload* init) const override;
  // Round t+1 (the other factor) needs round t's rows: nothing to overlap.
  bool schedule_ahead() const override { return false; }
  void Schedule(std::span<const core::WorkerView> workers, core::RoundPlan* plan) override;
  absl::StatusOr<core::RoundOutcome> Pull(const core::RoundPlan& plan,
                                          std::span<const core::Partial> partials,
                                          core::Payload* cache_update) override;
  void Metrics(std::vector<core::Metric>* out) const override;
  // Text: "# " header lines, "G <mu> <min rating> <max rating>", then "W <user id> <bias> f1 ...
  // fK" for every user and "H <item id> <bias> f1 ... fK" for every item, with the ids as
  // written in the training file; values in the shortest form that reads back exactly.
  absl::Status WriteModel(std::ostream& out) const override;

  // The factors (with the biases), mu, the resolved lambda, the round count and the convergence
  // state; the balancers start over (they re-learn the workers' speeds within a few rounds).
  bool supports_checkpoints() const override { return true; }
  absl::Status SaveCheckpoint(std::ostream& out) const override;
  absl::Status RestoreCheckpoint(std::istream& in) override;

  const MfParams& params() const { return params_; }
  const TrainingRatings& train() const { return train_; }
  // Augmented rows, RowStride(rank) values each: factors, then the row's bias.
  const std::vector<double>& w() const { return w_; }
  const std::vector<double>& h() const { return h_; }
  double train_rmse() const { return train_rmse_; }
  std::optional<double> test_rmse() const;
  double objective() const { return objective_; }
  double mu() const { return solve_.mu; }
  double lambda() const { return solve_.lambda; }  // the resolved one under lambda=auto
  const std::optional<LambdaChoice>& lambda_choice() const { return lambda_choice_; }
  bool converged() const { return converged_; }
  const core::LoadBalancer& user_balancer() const { return user_balancer_; }
  const core::LoadBalancer& item_balancer() const { return item_balancer_; }

 private:
  void ResetBalancers();
  void RecordBusy(std::span<const core::Partial> partials);
  // Brings the holdings up to date with the workers' shards: a new member holds its shards'
  // blocks; a known one gains or loses the blocks of shards added or dropped since.
  void SyncMembers(std::span<const core::WorkerView> workers);
  // True (and remembered) when a worker joined, left or had its shards changed since the last
  // Schedule.
  bool PlacementChanged(std::span<const core::WorkerView> workers);
  // Decides which worker takes which range: see slot_worker_.
  void OrderSlots(std::span<const core::WorkerView> workers);
  // Fills worker w's task for the phase: its rows, the transfers that make it hold exactly them,
  // and the other factor's rows they need.
  void WriteWorkerTask(bool users, size_t w, const core::WorkerView& view, int64_t begin,
                       int64_t end, core::Payload* task);

  MfParams params_;
  // True when the job left max_rounds to the app's default: the app then stops the job itself.
  bool stop_at_max_rounds_ = true;
  std::string data_path_;
  std::string test_path_;
  int num_shards_ = 0;
  TrainingRatings train_;
  TestRatings test_;
  std::vector<int64_t> user_work_;  // ratings per user: the balancer's row work
  std::vector<int64_t> item_work_;
  std::vector<int64_t> user_blocks_;  // shard s holds users [user_blocks_[s], user_blocks_[s+1])
  std::vector<int64_t> item_blocks_;

  // What each worker holds, by member number, and the shards it held at the last Schedule.
  RowHoldings user_holdings_;
  RowHoldings item_holdings_;
  absl::flat_hash_map<uint64_t, std::vector<int>> member_shards_;
  // Per phase and worker: the other factor's rows needed by its range, kept while the range
  // (and member) stays the same.
  struct NeededRows {
    uint64_t member = 0;
    int64_t begin = -1;
    int64_t end = -1;
    std::vector<int32_t> ids;
  };
  std::array<std::vector<NeededRows>, 2> needed_;
  std::vector<int64_t> column_mark_;  // scratch of ColumnsOfRows
  int64_t column_stamp_ = 0;
  std::vector<int64_t> drop_;  // scratch
  std::vector<int64_t> add_;
  int64_t factor_rows_sent_ = 0;  // last round, all workers
  int64_t ratings_sent_ = 0;      // last round: ratings of rows moved to a new worker
  int64_t factor_rows_sent_total_ = 0;
  int64_t factor_rows_broadcast_total_ = 0;  // what sending every row to every worker would be
  int64_t ratings_sent_total_ = 0;

  // The model: how rows are solved (lambda resolved, mu) and predicted, and the factors.
  SolveOptions solve_;
  Predictor predictor_;
  std::optional<LambdaChoice> lambda_choice_;  // under lambda=auto
  std::vector<double> w_;
  std::vector<double> h_;

  core::LoadBalancer user_balancer_;
  core::LoadBalancer item_balancer_;
  // Seconds per unit of balancer cost, per phase (users, items): a user round and an item round
  // do different work per rating, so each phase is balanced with its own measurements.
  std::array<core::WorkerSpeeds, 2> speeds_;
  std::vector<double> last_costs_;        // scratch: each worker's cost in the previous round
  std::vector<double> seconds_per_unit_;  // of this phase; infinite for a worker holding no shard
  std::vector<bool> can_work_;            // at the last Schedule; a change re-splits from scratch
  // The balancers split rows into ranges by slot; slot k's range goes to worker slot_worker_[k]
  // (workers ordered by the rows they hold), and worker w has slot worker_slot_[w].
  std::vector<size_t> slot_worker_;
  std::vector<size_t> worker_slot_;
  std::vector<std::pair<uint64_t, std::vector<int>>> placement_;  // member and shards, per worker
  std::vector<int> moved_from_;  // at the last placement change: each worker's previous index

  int64_t pulls_ = 0;
  double train_rmse_ = 0;
  double test_rmse_ = 0;
  double objective_ = 0;
  std::array<double, 2> previous_objective_{};  // per phase (users, items); < 0: none yet
  bool converged_ = false;
  int64_t rows_moved_ = 0;

  std::vector<double> busy_;  // last round, per worker
  std::array<double, kBusyWindow> spreads_{};
  int64_t busy_rounds_ = 0;
  std::chrono::steady_clock::time_point started_{};
  bool have_started_ = false;
  double elapsed_seconds_ = 0;
  double last_round_seconds_ = 0;
  std::chrono::steady_clock::time_point last_pull_{};
};

}  // namespace strads::mf
