// A job's convergence curve for the status page: its metrics (objective, duality gap, RMSE)
// against rounds and seconds, kept in bounded memory however long the job runs. Points arrive
// with every progress report; when the history is full, every other point is dropped and from
// then on only every second report is kept (the stride doubles), so the curve stays evenly
// spread over the whole run. The first point and the latest report are always kept.
// Owns: its points. Not thread-safe: the job manager guards it with its own mutex.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "core/app.h"

namespace strads::scheduler {

// The metrics a curve follows, when the app reports them.
inline constexpr const char* kCurveMetrics[] = {"objective", "duality_gap", "relative_gap",
                                                "train_rmse", "test_rmse"};
inline constexpr size_t kNumCurveMetrics = std::size(kCurveMetrics);

// One point of a curve. Values are kept in a fixed array (NaN where the app did not report the
// metric), so that a scheduler keeping many finished jobs keeps their curves in a few tens of KB
// each.
struct CurvePoint {
  int64_t round = 0;
  double seconds = 0;
  std::array<double, kNumCurveMetrics> values = MissingValues();  // in kCurveMetrics order

  static constexpr std::array<double, kNumCurveMetrics> MissingValues() {
    std::array<double, kNumCurveMetrics> missing{};
    missing.fill(std::numeric_limits<double>::quiet_NaN());
    return missing;
  }
  // The value of curve metric `name`, or nullopt when the point lacks it.
  std::optional<double> Value(std::string_view name) const;
};

class JobHistory {
 public:
  static constexpr size_t kDefaultCapacity = 512;
  // `capacity` >= 4: the most points kept, the latest report included.
  explicit JobHistory(size_t capacity = kDefaultCapacity);

  // A progress report. Reports of a round already recorded replace nothing (a resumed job
  // reports its checkpoint's round again); a report with none of the curve's metrics is kept too,
  // so rounds and seconds still plot.
  void Add(int64_t round, double seconds, const std::vector<core::Metric>& metrics);
  // The kept points in round order, the latest report last.
  std::vector<CurvePoint> Points() const;
  size_t stride() const { return stride_; }

 private:
  void Thin();

  size_t capacity_;
  size_t stride_ = 1;    // one report in `stride_` is kept
  int64_t reports_ = 0;  // reports seen, for the stride
  std::vector<CurvePoint> kept_;
  CurvePoint latest_;
  bool have_latest_ = false;
};

}  // namespace strads::scheduler
