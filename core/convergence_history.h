// A job's convergence curve as the scheduler keeps it: the app's metrics at sampled rounds, bounded
// in size however long the job runs, so it can travel with the job's status and be drawn later
// (`strads plot`, the summary JSON). Plain data; the owner (the job's snapshot) serialises access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/app.h"
#include "nlohmann/json.hpp"

namespace strads::core {

// One sampled round: when it ended and the metrics the app reported then.
struct ConvergencePoint {
  int64_t round = 0;
  double seconds = 0;
  std::vector<Metric> metrics;
  std::optional<double> Find(const std::string& name) const;
};

// Keeps at most `max_points` points, spread over the whole run: a point is kept when its round is
// at least `stride` past the last kept one; when the store fills up every other kept point is
// dropped and the stride doubles (so the first rounds, where curves move most, are never lost to a
// long tail). The newest point is always kept, so the curve ends where the job ended. A round
// number at or below the last kept one (a job resumed from an earlier checkpoint) replaces the
// points from that round on.
class ConvergenceHistory {
 public:
  static constexpr int kDefaultMaxPoints = 256;
  explicit ConvergenceHistory(int max_points = kDefaultMaxPoints);

  void Add(int64_t round, double seconds, const std::vector<Metric>& metrics);
  void Add(ConvergencePoint point);
  // Oldest first; at most max_points(); the newest point added is the last.
  std::vector<ConvergencePoint> Points() const;
  bool empty() const { return kept_.empty() && !newest_.has_value(); }
  int max_points() const { return max_points_; }
  int64_t stride() const { return stride_; }

 private:
  void Thin();

  int max_points_;
  int64_t stride_ = 1;
  std::vector<ConvergencePoint> kept_;      // rounds strictly increasing
  std::optional<ConvergencePoint> newest_;  // a later point not (yet) kept
};

// [{"round": 1, "seconds": 0.12, "metrics": {"objective": 3.5, ...}}, ...]: the shape of the
// history in job records and in the CLI's summary JSON.
nlohmann::json HistoryToJson(const std::vector<ConvergencePoint>& points);
// Refuses anything not of that shape, naming what is wrong.
absl::StatusOr<std::vector<ConvergencePoint>> HistoryFromJson(const nlohmann::json& json);

}  // namespace strads::core
