// Splits a set of rows with uneven cost (e.g. the users of a rating matrix, whose cost is their
// number of ratings) into one contiguous range per worker, so that every worker finishes a round at
// about the same time, and re-balances incrementally from the times the workers measured.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/app.h"

namespace strads::core {

enum class BalanceMode {
  kStatic,   // equal row counts, never moved
  kDynamic,  // by cost (row work + overhead) and measured worker speed
};

struct LoadBalancerOptions {
  BalanceMode mode = BalanceMode::kDynamic;
  // A row costs its work (in the units workers report, e.g. non-zeros) plus this much: an empty
  // row is not free (it is still visited and solved), so ranges of them cannot grow unbounded.
  double row_overhead = 1.0;
  // Each re-balance moves a boundary this fraction of the way to its target: measured times are
  // noisy, and moving all the way at once makes the split oscillate.
  double damping = 0.5;
  // At most this fraction of the rows changes worker in one re-balance (spread over the
  // boundaries), so one bad measurement never reshuffles everything.
  double max_move_fraction = 0.1;
  // No re-balance while the predicted finish times differ by less than this fraction of their
  // mean: timing noise alone must not keep rows moving.
  double dead_band = 0.02;
};

// Who owns what: the caller (an app's scheduler half) owns a LoadBalancer per row set and calls it
// from its one scheduling thread. Not thread-safe.
class LoadBalancer {
 public:
  explicit LoadBalancer(LoadBalancerOptions options = {}) : options_(options) {}

  // Starts over for `row_work.size()` rows and `seconds_per_unit.size()` workers (a worker with an
  // infinite value gets no rows: it cannot work, e.g. it holds no data). Static: equal row counts
  // over the workers that can work. Dynamic: ranges of equal predicted time, cost / speed.
  // Allocates; the steady state (Rebalance) does not.
  void Reset(std::span<const int64_t> row_work, std::span<const double> seconds_per_unit);

  // Dynamic: moves every boundary `damping` of the way toward the split that equalises predicted
  // finish times under `seconds_per_unit` (one per worker, same count as at Reset; infinite =
  // cannot work), at most `max_move_fraction` of the rows in all. Returns how far the boundaries
  // moved in rows (the rows that changed worker when no boundary crosses a neighbour's old
  // position). Static: returns 0. O(workers * log rows), allocation-free.
  // `noise_band`: the relative imbalance that measurement noise alone produces (see
  // WorkerSpeeds::NoiseBand); no re-balance below it either, as moving rows costs more than
  // chasing noise gains.
  int64_t Rebalance(std::span<const double> seconds_per_unit, double noise_band = 0);

  int num_workers() const { return static_cast<int>(boundaries_.size()) - 1; }
  int64_t num_rows() const { return static_cast<int64_t>(prefix_.size()) - 1; }
  // Worker w owns rows [boundaries()[w], boundaries()[w + 1]).
  std::span<const int64_t> boundaries() const { return boundaries_; }
  // Cost (work + overhead) of worker w's rows.
  double Cost(int worker) const;
  double total_cost() const { return prefix_.empty() ? 0 : prefix_.back(); }
  const LoadBalancerOptions& options() const { return options_; }

 private:
  // Fills targets_ with the boundaries of equal predicted time under the given speeds.
  void ComputeTargets(std::span<const double> seconds_per_unit);
  // The row index r with prefix_[r] closest to `cost`, within [lo, num_rows()].
  int64_t RowAtCost(double cost, int64_t lo) const;

  LoadBalancerOptions options_;
  std::vector<double> prefix_;       // prefix_[r] = cost of rows [0, r)
  std::vector<int64_t> boundaries_;  // num_workers + 1, first 0, last num_rows
  std::vector<int64_t> targets_;     // scratch of Rebalance
};

// Each worker's seconds per unit of work, smoothed over rounds (exponential average), from the
// WorkerViews the round engine fills: busy seconds over work units of the worker's last round.
// Workers that have not reported yet get the mean of those that have (1 when none has), so a new
// worker starts as an average one.
class WorkerSpeeds {
 public:
  // `smoothing`: weight of the newest measurement, in (0, 1].
  explicit WorkerSpeeds(double smoothing = 0.5) : smoothing_(smoothing) {}

  // Forgets everything and tracks `num_workers` workers.
  void Reset(int num_workers);
  // The workers changed: worker w is now the one that was `from[w]` (-1: a new one, which starts
  // as an average worker). What was measured of the others is kept.
  void Remap(std::span<const int> from);
  // Takes one measurement per worker that did work last round (last_work_units > 0).
  // Allocation-free when the worker count is unchanged.
  void Observe(std::span<const WorkerView> workers) { Observe(workers, {}); }
  // The same, with the work of each worker's last round given in the caller's own cost units
  // (e.g. LoadBalancer::Cost of its last range, which counts per-row overhead that the workers'
  // work_units do not); a worker with units <= 0 is not measured.
  void Observe(std::span<const WorkerView> workers, std::span<const double> units);
  // Seconds per work unit, one per worker.
  std::span<const double> seconds_per_unit() const { return estimate_; }
  // How far apart two equally fast workers' estimates can drift from noise alone, relative to
  // their mean: three standard deviations of the difference of two smoothed estimates, from each
  // worker's running variance of its samples. 0 until workers have two samples each.
  double NoiseBand() const;

 private:
  double smoothing_;
  std::vector<double> measured_;  // < 0: no measurement yet
  std::vector<double> variance_;  // running variance of the samples around measured_
  std::vector<double> estimate_;
};

// (max - min) / mean of `values`; 0 when empty or the mean is 0. How unequal per-worker loads
// or times are.
double Spread(std::span<const double> values);

}  // namespace strads::core
