// A job's convergence curve for the status page: its metrics (objective, duality gap, RMSE)
// against rounds and seconds, kept in bounded memory however long the job runs. Points arrive
// with every progress report; when the history is full, every other point is dropped and from
// then on only every second report is kept (the stride doubles), so the curve stays evenly
// spread over the whole run. The first point and the latest report are always kept.
// Owns: its points. Not thread-safe: the job manager guards it with its own mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/app.h"

namespace strads::scheduler {

struct CurvePoint {
  int64_t round = 0;
  double seconds = 0;
  std::map<std::string, double> values;  // only the metrics named by kCurveMetrics
};

// The metrics a curve follows, when the app reports them.
inline constexpr const char* kCurveMetrics[] = {"objective", "duality_gap", "relative_gap",
                                                "train_rmse", "test_rmse"};

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
