#include "core/load_balancer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace strads::core {
namespace {

// A worker's share of the work per second; 0 for one that cannot work (infinite or invalid
// seconds per unit).
double Capacity(double seconds_per_unit) {
  if (!(seconds_per_unit > 0) || std::isinf(seconds_per_unit)) return 0;
  return 1.0 / seconds_per_unit;
}

}  // namespace

double Spread(std::span<const double> values) {
  if (values.empty()) return 0;
  double low = values[0];
  double high = values[0];
  double sum = 0;
  for (double v : values) {
    low = std::min(low, v);
    high = std::max(high, v);
    sum += v;
  }
  const double mean = sum / static_cast<double>(values.size());
  return mean > 0 ? (high - low) / mean : 0;
}

void LoadBalancer::Reset(std::span<const int64_t> row_work,
                         std::span<const double> seconds_per_unit) {
  const int64_t rows = static_cast<int64_t>(row_work.size());
  const int workers = std::max<int>(1, static_cast<int>(seconds_per_unit.size()));
  prefix_.assign(rows + 1, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    prefix_[r + 1] = prefix_[r] + static_cast<double>(row_work[r]) + options_.row_overhead;
  }
  boundaries_.assign(workers + 1, 0);
  targets_.assign(workers + 1, 0);
  if (options_.mode == BalanceMode::kDynamic && !seconds_per_unit.empty()) {
    ComputeTargets(seconds_per_unit);
    boundaries_ = targets_;
    return;
  }
  // Static: equal counts over the workers that can work (all of them when none is marked).
  int able = 0;
  for (double s : seconds_per_unit) able += Capacity(s) > 0;
  const bool all = able == 0;
  if (all) able = workers;
  int k = 0;
  for (int w = 0; w < workers; ++w) {
    const bool can = all || Capacity(seconds_per_unit[w]) > 0;
    if (can) ++k;
    boundaries_[w + 1] = rows * k / able;
  }
}

int64_t LoadBalancer::RowAtCost(double cost, int64_t lo) const {
  const int64_t rows = num_rows();
  auto it = std::lower_bound(prefix_.begin() + lo, prefix_.end(), cost);
  int64_t r = std::min<int64_t>(it - prefix_.begin(), rows);
  if (r > lo && cost - prefix_[r - 1] < prefix_[r] - cost) --r;
  return r;
}

void LoadBalancer::ComputeTargets(std::span<const double> seconds_per_unit) {
  const int workers = num_workers();
  const int64_t rows = num_rows();
  double capacity_sum = 0;
  for (double s : seconds_per_unit) capacity_sum += Capacity(s);
  const bool all = capacity_sum == 0;  // nobody marked able: treat everyone as equal
  if (all) capacity_sum = workers;
  const double total = total_cost();
  double cumulative = 0;
  targets_[0] = 0;
  for (int w = 0; w < workers; ++w) {
    const double capacity = all ? 1.0 : Capacity(seconds_per_unit[w]);
    cumulative += capacity;
    if (capacity == 0) {
      targets_[w + 1] = targets_[w];
    } else if (cumulative >= capacity_sum * (1 - 1e-12)) {
      targets_[w + 1] = rows;  // the last able worker takes the tail, whatever rounding says
    } else {
      targets_[w + 1] = RowAtCost(total * cumulative / capacity_sum, targets_[w]);
    }
  }
  targets_[workers] = rows;
}

int64_t LoadBalancer::Rebalance(std::span<const double> seconds_per_unit, double noise_band) {
  const int workers = num_workers();
  if (options_.mode != BalanceMode::kDynamic || workers <= 1 ||
      static_cast<int>(seconds_per_unit.size()) != workers) {
    return 0;
  }
  // Predicted finish times; a worker that cannot work but holds rows must lose them.
  double low = std::numeric_limits<double>::infinity();
  double high = 0;
  double sum = 0;
  int counted = 0;
  bool stranded = false;
  for (int w = 0; w < workers; ++w) {
    const double cost = Cost(w);
    if (Capacity(seconds_per_unit[w]) == 0) {
      stranded |= cost > 0;
      continue;
    }
    const double time = cost * seconds_per_unit[w];
    low = std::min(low, time);
    high = std::max(high, time);
    sum += time;
    ++counted;
  }
  if (!stranded && (counted == 0 || sum == 0 ||
                    (high - low) / (sum / counted) < std::max(options_.dead_band, noise_band))) {
    return 0;
  }

  ComputeTargets(seconds_per_unit);
  const int64_t rows = num_rows();
  const int64_t cap = std::max<int64_t>(
      1, static_cast<int64_t>(options_.max_move_fraction * static_cast<double>(rows) /
                              static_cast<double>(workers - 1)));
  int64_t moved = 0;
  for (int w = 1; w < workers; ++w) {
    const int64_t old_boundary = boundaries_[w];
    const int64_t gap = targets_[w] - old_boundary;
    // Round the damped step away from zero so a boundary always makes progress toward its target.
    int64_t step = static_cast<int64_t>(std::ceil(options_.damping * std::abs(gap)));
    step = std::min({step, std::abs(gap), cap});
    int64_t boundary = old_boundary + (gap < 0 ? -step : step);
    boundary = std::clamp(boundary, boundaries_[w - 1], rows);
    boundaries_[w] = boundary;
    moved += std::abs(boundary - old_boundary);
  }
  return moved;
}

double LoadBalancer::Cost(int worker) const {
  return prefix_[boundaries_[worker + 1]] - prefix_[boundaries_[worker]];
}

void WorkerSpeeds::Reset(int num_workers) {
  measured_.assign(num_workers, -1.0);
  variance_.assign(num_workers, 0.0);
  estimate_.assign(num_workers, 1.0);
}

void WorkerSpeeds::Remap(std::span<const int> from) {
  std::vector<double> measured(from.size(), -1.0);
  std::vector<double> variance(from.size(), 0.0);
  for (size_t w = 0; w < from.size(); ++w) {
    const int old = from[w];
    if (old < 0 || old >= static_cast<int>(measured_.size())) continue;
    measured[w] = measured_[static_cast<size_t>(old)];
    variance[w] = variance_[static_cast<size_t>(old)];
  }
  measured_ = std::move(measured);
  variance_ = std::move(variance);
  double sum = 0;
  int known = 0;
  for (double m : measured_) {
    if (m < 0) continue;
    sum += m;
    ++known;
  }
  const double fallback = known > 0 ? sum / known : 1.0;
  estimate_.resize(measured_.size());
  for (size_t w = 0; w < measured_.size(); ++w) {
    estimate_[w] = measured_[w] >= 0 ? measured_[w] : fallback;
  }
}

void WorkerSpeeds::Observe(std::span<const WorkerView> workers, std::span<const double> units) {
  if (workers.size() != measured_.size()) Reset(static_cast<int>(workers.size()));
  double sum = 0;
  int known = 0;
  for (size_t w = 0; w < workers.size(); ++w) {
    const WorkerView& view = workers[w];
    const double work =
        units.size() == workers.size() ? units[w] : static_cast<double>(view.last_work_units);
    if (work > 0 && view.last_busy_seconds > 0) {
      const double sample = view.last_busy_seconds / work;
      if (measured_[w] < 0) {
        measured_[w] = sample;
      } else {
        // Exponentially weighted mean and variance (West's incremental form).
        const double diff = sample - measured_[w];
        measured_[w] += smoothing_ * diff;
        variance_[w] = (1 - smoothing_) * (variance_[w] + smoothing_ * diff * diff);
      }
    }
    if (measured_[w] >= 0) {
      sum += measured_[w];
      ++known;
    }
  }
  const double fallback = known > 0 ? sum / known : 1.0;
  for (size_t w = 0; w < workers.size(); ++w) {
    estimate_[w] = measured_[w] >= 0 ? measured_[w] : fallback;
  }
}

double WorkerSpeeds::NoiseBand() const {
  // A smoothed estimate's standard deviation is sqrt(a / (2 - a)) of a sample's; two independent
  // ones differ by sqrt(2) times that, and noise alone exceeds 3 such deviations in well under 1%
  // of rounds.
  double sum = 0;
  int counted = 0;
  for (size_t w = 0; w < measured_.size(); ++w) {
    if (measured_[w] <= 0) continue;
    sum += variance_[w] / (measured_[w] * measured_[w]);
    ++counted;
  }
  if (counted == 0) return 0;
  const double relative_sample_sd = std::sqrt(sum / counted);
  return 3 * std::sqrt(2 * smoothing_ / (2 - smoothing_)) * relative_sample_sd;
}

}  // namespace strads::core
