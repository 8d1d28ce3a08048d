#include "core/convergence_history.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace strads::core {

std::optional<double> ConvergencePoint::Find(const std::string& name) const {
  for (const Metric& metric : metrics) {
    if (metric.name == name) return metric.value;
  }
  return std::nullopt;
}

ConvergenceHistory::ConvergenceHistory(int max_points) : max_points_(std::max(max_points, 3)) {}

void ConvergenceHistory::Add(int64_t round, double seconds, const std::vector<Metric>& metrics) {
  Add(ConvergencePoint{round, seconds, metrics});
}

void ConvergenceHistory::Add(ConvergencePoint point) {
  // A resumed job repeats rounds after its checkpoint: the later run's points replace them.
  if (newest_.has_value() && point.round <= newest_->round) newest_.reset();
  while (!kept_.empty() && point.round <= kept_.back().round) kept_.pop_back();
  if (kept_.empty() || point.round >= kept_.back().round + stride_) {
    kept_.push_back(std::move(point));
    newest_.reset();
    // One slot stays free for a newest point between kept ones.
    if (static_cast<int>(kept_.size()) >= max_points_) Thin();
  } else {
    newest_ = std::move(point);
  }
}

void ConvergenceHistory::Thin() {
  // Keep the first point and every other one after it; the last kept point moves to `newest_`
  // when thinning would drop it, so the curve still ends at the latest round.
  ConvergencePoint last = kept_.back();
  std::vector<ConvergencePoint> thinned;
  thinned.reserve(kept_.size() / 2 + 1);
  for (size_t i = 0; i < kept_.size(); i += 2) thinned.push_back(std::move(kept_[i]));
  kept_ = std::move(thinned);
  stride_ *= 2;
  if (kept_.back().round != last.round) newest_ = std::move(last);
}

std::vector<ConvergencePoint> ConvergenceHistory::Points() const {
  std::vector<ConvergencePoint> points = kept_;
  if (newest_.has_value()) points.push_back(*newest_);
  return points;
}

nlohmann::json HistoryToJson(const std::vector<ConvergencePoint>& points) {
  nlohmann::json out = nlohmann::json::array();
  for (const ConvergencePoint& point : points) {
    nlohmann::json metrics = nlohmann::json::object();
    // JSON has no NaN or infinity; such a value is left out rather than written as null.
    for (const Metric& metric : point.metrics) {
      if (std::isfinite(metric.value)) metrics[metric.name] = metric.value;
    }
    out.push_back({{"round", point.round}, {"seconds", point.seconds}, {"metrics", metrics}});
  }
  return out;
}

absl::StatusOr<std::vector<ConvergencePoint>> HistoryFromJson(const nlohmann::json& json) {
  if (!json.is_array()) return absl::InvalidArgumentError("history: not a JSON array");
  std::vector<ConvergencePoint> points;
  points.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    const nlohmann::json& item = json[i];
    auto bad = [i](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("history point ", i, ": ", what));
    };
    if (!item.is_object()) return bad("not an object");
    ConvergencePoint point;
    if (!item.contains("round") || !item["round"].is_number_integer()) {
      return bad("'round' is missing or not an integer");
    }
    point.round = item["round"].get<int64_t>();
    if (item.contains("seconds")) {
      if (!item["seconds"].is_number()) return bad("'seconds' is not a number");
      point.seconds = item["seconds"].get<double>();
    }
    if (item.contains("metrics")) {
      if (!item["metrics"].is_object()) return bad("'metrics' is not an object");
      for (const auto& [name, value] : item["metrics"].items()) {
        if (!value.is_number()) return bad(absl::StrCat("metric '", name, "' is not a number"));
        point.metrics.push_back({name, value.get<double>()});
      }
    }
    points.push_back(std::move(point));
  }
  return points;
}

}  // namespace strads::core
