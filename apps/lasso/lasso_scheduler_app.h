// The scheduler half of the Lasso app: owns the model b, the full design matrix (for column norms
// and the dependency check) and the schedule; plans each round's coordinate batch and turns the
// workers' partial dot products into coordinate updates. Protocol: apps/lasso/lasso_protocol.h.
// Not thread-safe: every call comes from the job's runner thread.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/lasso/lasso_params.h"
#include "apps/lasso/lasso_schedules.h"
#include "core/app.h"
#include "core/labeled_data.h"
#include "core/row_sharding.h"

namespace strads::lasso {

// Objective above this multiple of the starting objective 0.5||y||^2 means the parallel updates
// are diverging (coordinate descent never raises the objective above F(0)).
inline constexpr double kDivergenceFactor = 1e3;

class LassoSchedulerApp final : public core::SchedulerApp {
 public:
  LassoSchedulerApp() = default;
  // The schedule points into data_, so the app stays where it was built.
  LassoSchedulerApp(const LassoSchedulerApp&) = delete;
  LassoSchedulerApp& operator=(const LassoSchedulerApp&) = delete;

  absl::Status Prepare(const core::JobSpec& spec, int num_shards) override;
  int num_shards() const override { return static_cast<int>(ranges_.size()); }
  absl::StatusOr<std::string> ShardBytes(int shard) const override;
  void ShardInit(int shard, core::Payload* init) const override;
  // Scheduling round t+1 with priorities one round stale is harmless: workers apply round t's
  // deltas before pushing round t+1, so every update still sees the exact current residual.
  bool schedule_ahead() const override { return true; }
  // Round `plan->number` is a duality-gap round (op kComputeGap) when (number + 1) is a multiple
  // of gap_every + 1 (gap_every push rounds, then one gap round), and the last round before
  // max_rounds is one too, so a stopped job reports a fresh gap. Every other round pushes the
  // next batch (op kPushCoordinates) to every worker.
  void Schedule(std::span<const core::WorkerView> workers, core::RoundPlan* plan) override;
  absl::StatusOr<core::RoundOutcome> Pull(const core::RoundPlan& plan,
                                          std::span<const core::Partial> partials,
                                          core::Payload* cache_update) override;
  void Metrics(std::vector<core::Metric>* out) const override;
  // Text: "# " header lines (lambda, features, objective, duality gap), then one line per
  // non-zero coefficient "<1-based feature index> <value>" with %.17g, which round-trips.
  absl::Status WriteModel(std::ostream& out) const override;

  // The coefficients, the model version and the counters; the schedule's priorities start over
  // (the first rounds after a resume revisit every coordinate once).
  bool supports_checkpoints() const override { return true; }
  absl::Status SaveCheckpoint(std::ostream& out) const override;
  absl::Status RestoreCheckpoint(std::istream& in) override;

  const std::vector<double>& coefficients() const { return b_; }
  const LassoParams& params() const { return params_; }
  double lambda() const { return lambda_; }
  double lambda_max() const { return lambda_max_; }
  double objective() const { return objective_; }
  double relative_gap() const { return relative_gap_; }
  bool converged() const { return converged_; }
  int64_t gap_every() const { return gap_every_; }

 private:
  bool IsGapRound(int64_t number) const;
  absl::Status CheckDivergence() const;
  absl::StatusOr<core::RoundOutcome> PullCoordinates(const core::Payload& task,
                                                     std::span<const core::Partial> partials,
                                                     core::Payload* cache_update);
  absl::StatusOr<core::RoundOutcome> PullGap(std::span<const core::Partial> partials,
                                             core::Payload* cache_update);
  core::RoundOutcome AfterPull(core::Payload* cache_update);

  LassoParams params_;
  // True when the job left max_rounds to the app's default: the app then stops the job itself.
  // A user-set max_rounds is enforced by the engine, which reports it as such.
  bool stop_at_max_rounds_ = true;
  std::string data_path_;
  core::LabeledData data_;
  std::vector<core::RowRange> ranges_;
  std::vector<double> col_sqnorm_;
  double lambda_ = 0;
  double lambda_max_ = 0;
  double start_objective_ = 0;
  int64_t gap_every_ = 1;
  std::unique_ptr<LassoSchedule> schedule_;

  // The model. l1_ and nnz_ are kept incrementally on push rounds and recomputed on gap rounds.
  std::vector<double> b_;
  double l1_ = 0;
  int64_t nnz_ = 0;

  std::vector<int64_t> batch_;     // reused by Schedule
  std::vector<double> sums_;       // reused by Pull: partials summed over workers
  std::vector<double> predicted_;  // reused by gap rounds: every coordinate's would-be change

  int64_t pulls_ = 0;    // also the model version sent with cache updates
  int64_t updates_ = 0;  // coordinates processed by push rounds
  int64_t moved_ = 0;    // of those, coordinates whose value changed
  int64_t gap_rounds_ = 0;
  double objective_ = 0;   // last known; lags a push round by its own deltas
  bool have_gap_ = false;  // duality-gap metrics are reported once one was computed
  double duality_gap_ = 0;
  double relative_gap_ = 0;
  bool converged_ = false;
  bool reached_target_ = false;
};

}  // namespace strads::lasso
