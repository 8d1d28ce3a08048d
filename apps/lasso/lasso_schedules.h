// The four ways the Lasso app picks a round's coordinates, behind one interface so that they run
// in the same system and compare fairly: dynamic (STRADS: priority sampling, then the dependency
// check), random (Shotgun), static (round-robin blocks) and cyclic (sequential CD).
// Each costs O(batch log M + filter work) per round, never O(M). Not thread-safe; owned by the
// LassoSchedulerApp and used on its thread.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/lasso/lasso_params.h"
#include "core/csc_matrix.h"
#include "core/dependency_filter.h"
#include "core/priority_sampler.h"

namespace strads::lasso {

class LassoSchedule {
 public:
  virtual ~LassoSchedule() = default;
  // Fills `batch` (cleared first) with distinct coordinates for the next round.
  virtual void Next(std::vector<int64_t>* batch) = 0;
  // Pipelined rounds: the next batch for a round whose pushes will not see the updates of the
  // batches still in flight (`in_flight`, their union). No in-flight column is drawn again (its
  // pushes would step from a stale value). This default drops them from Next's batch; the dynamic
  // schedule instead counts them as kept in its dependency check, so that its bounds hold for
  // the union of the batches in flight.
  virtual void NextBeside(std::span<const int64_t> in_flight, std::vector<int64_t>* batch);
  // Coordinate j was just updated by `delta` (0 when it did not move).
  virtual void OnUpdated(int64_t j, double delta) {}
  // A full gradient pass says coordinate j would move by predicted_delta[j] if updated now (all
  // coordinates at once; O(M log M), so only on gap rounds).
  virtual void OnGradientPass(std::span<const double> predicted_delta) {}
  // Average candidates drawn, and kept after the dependency check, per round (dynamic only; the
  // gap between them is what the check and the batch limit cost).
  virtual double candidates_per_round() const { return 0; }
  virtual double kept_per_round() const { return 0; }
  // The objective monitor's verdict on the last batch applied: accepted (it did not raise the
  // objective) or undone. An adaptive schedule grows its batch limit after acceptances and halves
  // it after an undo; the others ignore both.
  virtual void OnBatchAccepted() {}
  virtual void OnBatchUndone() {}
  // The current batch limit (the job's batch unless the schedule adapts it).
  virtual int64_t batch_limit() const { return 0; }

  // What a checkpoint keeps, so a resumed job goes on from the same priorities or position
  // instead of sweeping every coordinate again (random draws are not replayed).
  virtual std::vector<double> State() const { return {}; }
  virtual size_t state_size() const { return 0; }
  // Takes a State() of the same size; DataLoss (and nothing changed) if it cannot be one.
  virtual absl::Status SetState(std::span<const double> state) { return absl::OkStatus(); }
};

// Shotgun: `batch` distinct coordinates uniformly at random, no dependency check.
class RandomSchedule final : public LassoSchedule {
 public:
  RandomSchedule(int64_t features, int64_t batch, uint64_t seed);
  void Next(std::vector<int64_t>* batch) override;

 private:
  int64_t features_;
  int64_t batch_;
  std::mt19937_64 rng_;
  std::vector<uint8_t> taken_;  // all 0 between rounds
};

// Round t takes the next `batch` coordinates in index order, wrapping around. batch = 1 is
// sequential cyclic coordinate descent.
class BlockSchedule final : public LassoSchedule {
 public:
  BlockSchedule(int64_t features, int64_t batch);
  void Next(std::vector<int64_t>* batch) override;
  std::vector<double> State() const override { return {static_cast<double>(next_)}; }
  size_t state_size() const override { return 1; }
  absl::Status SetState(std::span<const double> state) override;

 private:
  int64_t features_;
  int64_t batch_;
  int64_t next_ = 0;
};

// STRADS: draws ceil(candidates_factor * batch) distinct coordinates with probability
// proportional to (delta b_j)^2 + floor, then keeps at most the batch limit of them whose pairwise
// correlation is under rho (and, with max_row_sum, whose correlation row sums stay under it).
// The limit starts at `batch`, halves after an undone batch and grows back by a quarter after
// each accepted one. Coordinates never tried yet carry a huge weight, so the first
// rounds sweep every coordinate once (in random order) before priorities take over. All-zero
// columns get weight 0 (updating them can do nothing).
// The floor is eta times the mean squared change the last gradient pass predicted: a fixed
// floor would, as the changes shrink by orders of magnitude on the way to convergence, first
// dominate them and turn the schedule into uniform sampling. Before the first pass the floor is
// `initial_floor`.
class DynamicSchedule final : public LassoSchedule {
 public:
  // `x` must outlive this object. With `centring` (the intercept's centred steps) the dependency
  // check compares centred columns; col_sqnorm is then the centred squared norms.
  DynamicSchedule(const core::CscMatrix* x, std::span<const double> col_sqnorm, int64_t batch,
                  double rho, double max_row_sum, double eta, double initial_floor,
                  double candidates_factor, uint64_t seed,
                  const core::ColumnCentring* centring = nullptr);
  void Next(std::vector<int64_t>* batch) override;
  void NextBeside(std::span<const int64_t> in_flight, std::vector<int64_t>* batch) override;
  void OnUpdated(int64_t j, double delta) override;
  void OnGradientPass(std::span<const double> predicted_delta) override;
  double floor() const { return floor_; }
  double candidates_per_round() const override;
  double kept_per_round() const override;
  void OnBatchAccepted() override;
  void OnBatchUndone() override;
  int64_t batch_limit() const override { return batch_limit_; }
  // Every coordinate's weight, then the floor.
  std::vector<double> State() const override;
  size_t state_size() const override { return empty_column_.size() + 1; }
  absl::Status SetState(std::span<const double> state) override;

  static constexpr double kUntriedWeight = 1e30;

 private:
  int64_t batch_;
  int64_t batch_limit_;
  int64_t last_kept_ = 0;
  int64_t num_candidates_;
  double eta_;
  double floor_;
  std::vector<uint8_t> empty_column_;
  core::PrioritySampler sampler_;
  core::ColumnCorrelation correlation_;
  core::DependencyFilter filter_;
  std::mt19937_64 rng_;
  std::vector<int64_t> candidates_;
  int64_t rounds_ = 0;
  int64_t drawn_ = 0;
  int64_t kept_ = 0;
};

// Builds the schedule `params.scheduler` names. `x` and `col_sqnorm` (the steps' squared norms)
// must outlive it. `initial_floor` is the dynamic priority floor until the first gradient pass.
// `centring` (copied; with the intercept) makes the dynamic check compare centred columns.
std::unique_ptr<LassoSchedule> MakeLassoSchedule(const LassoParams& params,
                                                 const core::CscMatrix* x,
                                                 std::span<const double> col_sqnorm,
                                                 double initial_floor,
                                                 const core::ColumnCentring* centring = nullptr);

}  // namespace strads::lasso
