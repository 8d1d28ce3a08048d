// The scheduler half of the Lasso app: owns the model b (and the intercept b0), the full design
// matrix (for column norms and the dependency check, scaled in place when the job standardizes;
// with data the workers read themselves, only per-column statistics and sketches)
// and the schedule; plans each round's coordinate batch, turns the workers' partial dot products
// into coordinate updates, and walks the lambda path. Protocol: apps/lasso/lasso_protocol.h.
// Not thread-safe: every call comes from the job's runner thread.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/lasso_params.h"
#include "apps/lasso/lasso_schedules.h"
#include "apps/lasso/residual_lasso_solver.h"
#include "apps/lasso/working_set.h"
#include "core/app.h"
#include "core/checkpoint_io.h"
#include "core/column_sketch.h"
#include "core/data_partition.h"
#include "core/dependency_filter.h"
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
  int num_shards() const override {
    return static_cast<int>(shared_ ? partitions_.size() : ranges_.size());
  }
  absl::StatusOr<std::string> ShardBytes(int shard) const override;
  void ShardInit(int shard, core::Payload* init) const override;
  // Scheduling round t+1 with priorities one round stale is harmless: workers apply round t's
  // deltas before pushing round t+1, so every update still sees the exact current residual. The
  // working-set schedule cannot: its Gram round asks for the columns its gap round chose.
  // With shared data the first rounds are setup rounds whose Pull builds the schedule, so nothing
  // is planned ahead.
  bool schedule_ahead() const override {
    return params_.scheduler != LassoScheduler::kWorkingSet && setup_rounds_ == 0;
  }
  // Pipelined rounds, for the coordinate schedules: a round's pushes miss the deltas of the
  // rounds still in flight, so its batch leaves their columns out (dynamic: they count as kept
  // in the dependency check, so the Gershgorin bound covers the union of the batches in flight),
  // the intercept's deltas are corrected exactly, and the objective monitor checks every step
  // once a push measures it, undoing every unverified step (and invalidating the rounds in
  // flight) when F rose. Gap rounds run alone: they certify the exact model. The working-set
  // schedule stays at depth 1: its Gram round needs the columns its gap round chose, and each of
  // its rounds already carries a whole subproblem's solve.
  int max_pipeline_depth() const override;
  bool RoundRunsAlone(int64_t number) const override;
  bool TakeInFlightInvalidated() override;
  // Coordinate schedules: round `plan->number` is a duality-gap round (op kComputeGap) when
  // (number + 1) is a multiple of gap_every + 1 (gap_every push rounds, then one gap round), and
  // the last round before max_rounds is one too, so a stopped job reports a fresh gap. Every other
  // round pushes the next batch (op kPushCoordinates) to every worker.
  // Working set: a gap round (X'r for every coordinate: the gap, and the priorities that choose
  // W), followed, when W gained columns, by a Gram round (op kComputeGram: their dot products with
  // W). The Lasso restricted to W is then solved exactly on the scheduler and its deltas go out
  // with that round's cache update; when W did not grow the gap round sends them itself.
  void Schedule(std::span<const core::WorkerView> workers, core::RoundPlan* plan) override;
  absl::StatusOr<core::RoundOutcome> Pull(const core::RoundPlan& plan,
                                          std::span<const core::Partial> partials,
                                          core::Payload* cache_update) override;
  void Metrics(std::vector<core::Metric>* out) const override;
  // Says so when the data make b = 0 the solution at every lambda (lambda_max 0): the job then
  // ends at its first model round.
  std::string EndNote() const override;
  // Text: "# " header lines (lambda, features, objective, duality gap), then one line per
  // non-zero coefficient "<1-based feature index> <value>" with %.17g, which round-trips.
  // Coefficients are in the original scale of the data. Only with the options: "# intercept <b0>"
  // (predict y = b0 + x'b), "# standardize ..." and one "# path k lambda=<v> nnz=<n>
  // objective=<f> rounds=<r>" line per path point reached (rounds spent on that point; the last
  // line is the final lambda, whose solution the file holds).
  absl::Status WriteModel(std::ostream& out) const override;

  // The coefficients (and intercept), the model version, the counters, the path's progress and
  // the schedule's state (dynamic: every coordinate's priority; static/cyclic: the position).
  // With shared data also what the setup rounds found (the column statistics, the scales, the
  // partitions' rows and the dynamic schedule's sketch), so a restarted scheduler resumes without
  // them: the shards' inits carry M, the scales and the coefficients, and the workers read their
  // partitions again. A checkpoint from before the setup rounds ended starts the job over.
  bool supports_checkpoints() const override { return true; }
  // Shared data's setup rounds come on top of --max-rounds, so N means N model rounds either way.
  int64_t extra_rounds() const override { return setup_rounds_; }
  absl::Status SaveCheckpoint(std::ostream& out) const override;
  absl::Status RestoreCheckpoint(std::istream& in) override;

  // One solved point of the lambda path.
  struct PathPoint {
    double lambda = 0;
    int64_t nnz = 0;
    double objective = 0;
    int64_t rounds = 0;  // rounds spent on this point (0: solved by the start, b = 0)
  };

  // The model as solved: in the scaled space when the job standardizes.
  const std::vector<double>& coefficients() const { return b_; }
  // The coefficients in the original scale of the data, b_j = b_scaled_j / s_j.
  std::vector<double> OriginalCoefficients() const;
  double intercept() const { return b0_; }
  // The column divisors s_j (empty unless the job standardizes).
  const std::vector<double>& scales() const { return scales_; }
  // The lambdas in solve order (just the job's lambda without a path).
  const std::vector<double>& path_lambdas() const { return path_lambdas_; }
  // Points of the path solved so far, in order (the final one too once the job converged).
  const std::vector<PathPoint>& path_points() const { return path_points_; }
  const LassoParams& params() const { return params_; }
  double lambda() const { return lambda_; }
  double lambda_max() const { return lambda_max_; }
  double objective() const { return objective_; }
  double relative_gap() const { return relative_gap_; }
  bool converged() const { return converged_; }
  int64_t gap_every() const { return gap_every_; }
  // Samples whose data the scheduler holds (0 with shared data).
  int64_t held_samples() const { return data_.x.rows; }
  // Rounds whose batch the objective monitor undid (dynamic schedule with the Gershgorin check).
  int64_t undone_rounds() const { return undone_rounds_; }

 private:
  // Shared data (data_access=shared): cuts the data into partitions the workers read, reads
  // nothing else; the model starts in PullStats.
  absl::Status PrepareShared(const core::JobSpec& spec, int num_shards);
  // The rest of the start from the column statistics (col_sqnorm_, col_sums_ with the intercept,
  // rows_, and with shared data col_xty_; with served data X itself): lambda_max, the path, the
  // model at b = 0 and the working set. The schedule is made by the caller.
  absl::Status StartModel(double y_sq, double y_sum);
  // The setup rounds of shared data: 0 asks for the statistics, 1 (dynamic) for the sketches.
  void ScheduleSetup(core::RoundPlan* plan) const;
  absl::StatusOr<core::RoundOutcome> PullStats(std::span<const core::Partial> partials,
                                               core::Payload* cache_update);
  // The start of a shared-data model once the statistics are summed (and scaled): StartModel,
  // the schedules that need no sketch, the model version 1.
  absl::Status StartSharedModel(double y_sq, double y_sum);
  // True once every setup round of shared data is pulled.
  bool SharedSetupDone() const;
  void WriteSharedSetup(core::CheckpointWriter& writer) const;
  absl::Status RestoreSharedSetup(core::CheckpointReader& reader);
  absl::StatusOr<core::RoundOutcome> PullSketch(std::span<const core::Partial> partials,
                                                core::Payload* cache_update);
  core::SketchShape SketchShapeOfJob() const;
  // The coordinate schedule on `x` (X, the sketch of X, or with shared data and no dependency
  // check an empty matrix of M columns); with the intercept, dynamic's check compares the
  // centred columns (of X, or of the sketch: S x_j - mean_j S1).
  void MakeSchedule(const core::CscMatrix* x);
  bool IsGapRound(int64_t number) const;
  absl::Status CheckDivergence() const;
  absl::StatusOr<core::RoundOutcome> PullCoordinates(const core::Payload& task, int stale_by,
                                                     std::span<const core::Partial> partials,
                                                     core::Payload* cache_update);
  absl::StatusOr<core::RoundOutcome> PullGap(std::span<const core::Partial> partials,
                                             core::Payload* cache_update);
  core::RoundOutcome AfterPull(core::Payload* cache_update);
  // Working set: picks W from the gap round's X'r (centred) and either asks for the Gram of its
  // new columns (the next round) or, when there are none, solves on W at once into
  // cache_update.
  void PlanWorkingSet(std::span<const double> xtr, double residual_sq, core::Payload* cache_update);
  absl::StatusOr<core::RoundOutcome> PullGram(std::span<const core::Partial> partials,
                                              core::Payload* cache_update);
  // Solves the Lasso restricted to the (complete) working set from ws_xtr_ / ws_residual_sq_ and
  // appends the deltas to cache_update (merging an intercept delta already there).
  void SolveWorkingSet(core::Payload* cache_update);
  // The same solve in residual form on the columns of W (residual_lasso_solver.h), for working
  // sets whose Gram would cost more than their columns; needs no Gram round.
  void SolveWorkingSetOnColumns(core::Payload* cache_update);
  // Turns a column solve's dual point (ResidualLassoScratch::dual_point) into a dual point of the
  // whole problem, scaled by min(1, lambda / ||X'theta||_inf) over every column of the
  // scheduler's copy of X (one pass, as cheap as a sweep), and raises dual_bound_ to its value.
  void RaiseDualBound(std::span<const double> theta);
  // The duality gap of `gap.primal` against the better of gap.dual and dual_bound_.
  DualityGap WithDualBound(DualityGap gap) const;
  // Moves b_W to `solution` and appends the deltas (and the intercept's) to cache_update.
  void ApplyWorkingSetSolution(std::span<const int64_t> keys, const GramLassoSolution& solution,
                               core::Payload* cache_update);
  // The objective monitor. `residual_sq` is the workers' ||r||^2 for the model `stale_by` Pulls
  // ago (0 without pipelining). When the steps it covers raised F above the last verified value,
  // undoes every step not yet verified into `cache_update` (the rounds in flight rest on them)
  // and returns true; otherwise counts the covered batches as accepted. Also returns, in
  // *measured, F of that model. Off for schedules without the monitor (then *measured is F with
  // the current l1).
  bool UndoneBecauseTheLastStepRaisedF(double residual_sq, int stale_by, double* measured,
                                       core::Payload* cache_update);
  void UndoUnverifiedSteps(core::Payload* cache_update);
  // Sum of the intercept deltas of the last `stale_by` Pulls' steps (what a stale push missed).
  double RecentInterceptDeltas(int stale_by) const;
  // Pipelined rounds on served data: a push sent while `stale_by` rounds were in flight computed
  // x_j'r on a residual without their steps. Their effect is known exactly here (X is here):
  // sums_[i] -= x_j'(sum_k x_k delta_k) over the missed steps, so the batch's step is the one a
  // fresh push would give and the dependency check's descent guarantee holds at any depth.
  void CorrectForMissedSteps(std::span<const int64_t> keys, int stale_by);
  bool MonitorsObjective() const;
  // Records the current path point as solved with `objective`, counting this Pull's round.
  void RecordPathPoint(double objective);

  int pipeline_depth_ = 0;  // the job's, as resolved at submission
  // Coordinate batches drawn, and the rounds in flight (this one included) when each was sent.
  int64_t planned_batches_ = 0;
  int64_t rounds_in_flight_ = 0;
  LassoParams params_;
  // True when the job left max_rounds to the app's default: the app then stops the job itself.
  // A user-set max_rounds is enforced by the engine, which reports it as such.
  bool stop_at_max_rounds_ = true;
  std::string data_path_;
  std::string labels_path_;  // MatrixMarket Y.mmt, when X is X.mmt
  core::LabeledData data_;   // served data only
  std::vector<core::RowRange> ranges_;
  // Shared data: the scheduler holds the partitions' descriptions, the per-column statistics and,
  // for the dynamic schedule, the summed column sketches (core/column_sketch.h), never X or y.
  bool shared_ = false;
  bool stats_ready_ = false;
  int64_t setup_rounds_ = 0;  // rounds before the schedule's first: 0 served, 1 or 2 shared
  std::vector<core::DataPartition> partitions_;
  std::vector<int64_t> shard_rows_;  // rows of each partition, from the stats round
  std::vector<double> col_xty_;  // x_j'y: served data until the model starts; shared data keeps it
  double y_sq_ = 0;              // shared data: ||y||^2 and sum(y), kept for checkpoints
  double y_sum_ = 0;
  core::CscMatrix sketch_;  // what the schedule's correlations are computed on
  double initial_floor_ = 0;
  std::vector<double> col_sqnorm_;
  double lambda_ = 0;  // the current path point's
  double lambda_max_ = 0;
  // Set by StartModel when no column that can move correlates with the (centred) labels: b = 0
  // solves every lambda, and the first model round is a gap round that ends the job.
  bool solved_at_start_ = false;
  double start_objective_ = 0;  // F at the start (b = 0, b0 = mean(y) with the intercept)
  double divergence_base_ = 0;  // what the divergence check compares the objective with
  int64_t gap_every_ = 1;
  std::unique_ptr<LassoSchedule> schedule_;

  // The model. l1_ and nnz_ are kept incrementally on push rounds and recomputed on gap rounds.
  std::vector<double> b_;
  double l1_ = 0;
  int64_t nnz_ = 0;

  // The intercept (params_.intercept): b0 is the reserved coordinate M, updated exactly after
  // every round from sum(r), which the scheduler tracks through the column sums (push rounds)
  // and the workers report (gap rounds).
  double b0_ = 0;
  std::vector<double> col_sums_;  // 1'x_j, only with the intercept
  // The coordinate steps' squared norms: col_sqnorm_, or with the intercept the centred columns'
  // ||x_j - mean_j||^2 (0 for a constant column). With the intercept the coordinate schedules
  // step on the centred column: gradient x_j'r - mean_j 1'r, and b0 moves by -mean_j per unit of
  // b_j, which the intercept step after the batch takes with it (1'r is unchanged by the steps).
  // A column far from zero with a small spread then converges as if it were centred, instead of
  // taking steps ||x_j - mean_j||^2 / ||x_j||^2 too short.
  std::vector<double> step_sqnorm_;
  double residual_sum_ = 0;  // sum(r) for the current model
  double rows_ = 0;

  std::vector<double> scales_;  // standardize: the column divisors s_j, else empty

  // The lambda path: lambdas in solve order, the current index, the Pull count at which the
  // current point started, and the points solved so far.
  std::vector<double> path_lambdas_;
  size_t path_point_ = 0;
  int64_t point_start_pulls_ = 0;
  std::vector<PathPoint> path_points_;

  // The batches of the last rounds planned (those in flight and the one planned ahead), by
  // round number, in a ring; reused when the engine plans a round again. Buffers reused.
  struct PlannedBatch {
    int64_t number = -1;
    std::vector<int64_t> keys;
  };
  static constexpr size_t kRecentBatches = core::kMaxPipelineDepth + 1;
  std::vector<PlannedBatch> recent_batches_ = std::vector<PlannedBatch>(kRecentBatches);
  size_t next_recent_ = 0;
  int64_t last_pulled_number_ = -1;      // the round number of the last Pull
  std::vector<int64_t> in_flight_keys_;  // scratch: the batches in flight, for Schedule
  bool in_flight_invalidated_ = false;   // an undo left the rounds in flight stale
  std::vector<double> sums_;             // reused by Pull: partials summed over workers
  std::vector<double> predicted_;        // reused by gap rounds: every coordinate's would-be change

  // The working-set schedule: W and its Gram, whether the next round asks for W's new columns,
  // and X'r (every coordinate) and ||r||^2 of the gap round that chose W. Buffers reused.
  std::unique_ptr<WorkingSetGram> ws_gram_;
  bool gram_pending_ = false;
  std::vector<double> ws_xtr_;
  double ws_residual_sq_ = 0;
  std::vector<std::pair<double, int64_t>> ws_scratch_;
  std::vector<int64_t> ws_chosen_;
  std::vector<double> ws_start_, ws_sub_xtr_, ws_col_sums_;
  int64_t inner_sweeps_ = 0;
  int64_t working_set_size_ = 0;
  int64_t column_solves_ = 0;  // working-set solves done in residual form
  std::vector<double> ws_residual_;
  ResidualLassoScratch ws_residual_scratch_;
  // The best lower bound on the optimum at the current lambda, from the column solves' dual
  // points: every dual feasible point's value bounds F* from below for good, so a gap round
  // compares its primal with this as well as with its own scaled residual. -inf when none;
  // reset with every new lambda. Not checkpointed (a resumed job only starts without it).
  double dual_bound_ = -std::numeric_limits<double>::infinity();
  std::vector<double> dual_xtr_;  // scratch for RaiseDualBound

  // The objective monitor's record of the push rounds' steps not yet verified (one without
  // pipelining: the last), oldest first, so they can be undone when a later round's exact
  // ||r||^2 shows that they raised F. Slots [0, unverified_) are in use; buffers are reused.
  struct AppliedStep {
    int64_t version_after = 0;  // pulls_ once the step's cache update is applied
    double l1_before = 0;
    double delta_b0 = 0;
    std::vector<int64_t> keys;
    std::vector<double> deltas;  // the cache update's values (the intercept's under key M)
    double residual_sum_before = 0;
  };
  std::vector<AppliedStep> steps_;
  size_t unverified_ = 0;
  // F of the last model a push measured and the monitor accepted (every step before it is
  // verified); valid when have_verified_.
  double verified_objective_ = 0;
  bool have_verified_ = false;
  std::vector<double> undo_scratch_;     // per coordinate (and the intercept): summed undo deltas
  std::vector<double> missed_residual_;  // per sample: CorrectForMissedSteps' sum_k x_k delta_k
  int64_t undone_rounds_ = 0;

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
