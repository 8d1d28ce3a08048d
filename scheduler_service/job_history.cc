#include "scheduler_service/job_history.h"

#include <algorithm>
#include <string_view>

namespace strads::scheduler {

std::optional<double> CurvePoint::Value(std::string_view name) const {
  for (size_t i = 0; i < kNumCurveMetrics; ++i) {
    if (name == kCurveMetrics[i] && !std::isnan(values[i])) return values[i];
  }
  return std::nullopt;
}

JobHistory::JobHistory(size_t capacity) : capacity_(std::max<size_t>(capacity, 4)) {}

void JobHistory::Add(int64_t round, double seconds, const std::vector<core::Metric>& metrics) {
  if (have_latest_ && round <= latest_.round) return;
  CurvePoint point{.round = round, .seconds = seconds};
  for (const core::Metric& metric : metrics) {
    for (size_t i = 0; i < kNumCurveMetrics; ++i) {
      if (metric.name == kCurveMetrics[i]) point.values[i] = metric.value;
    }
  }
  // The latest report is held apart; it joins the kept points when the stride selects it.
  if (reports_ % static_cast<int64_t>(stride_) == 0) {
    kept_.push_back(point);
    // One slot stays free for the latest report.
    if (kept_.size() >= capacity_) Thin();
  }
  ++reports_;
  latest_ = std::move(point);
  have_latest_ = true;
}

void JobHistory::Thin() {
  // Keeps points 0, 2, 4, ...: the first point stays, the spacing doubles.
  size_t out = 0;
  for (size_t i = 0; i < kept_.size(); i += 2) kept_[out++] = std::move(kept_[i]);
  kept_.resize(out);
  stride_ *= 2;
  // Re-phase the report counter so that the next kept report is `stride_` reports after the
  // last kept one, whatever reports_ was.
  reports_ = 0;
}

std::vector<CurvePoint> JobHistory::Points() const {
  std::vector<CurvePoint> points = kept_;
  if (have_latest_ && (points.empty() || points.back().round != latest_.round)) {
    points.push_back(latest_);
  }
  return points;
}

}  // namespace strads::scheduler
