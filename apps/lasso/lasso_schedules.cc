#include "apps/lasso/lasso_schedules.h"

#include <algorithm>
#include <cmath>

namespace strads::lasso {

RandomSchedule::RandomSchedule(int64_t features, int64_t batch, uint64_t seed)
    : features_(features), batch_(std::min(batch, features)), rng_(seed), taken_(features, 0) {}

void RandomSchedule::Next(std::vector<int64_t>* batch) {
  batch->clear();
  // Floyd's algorithm: batch_ distinct draws in O(batch_), marks cleared afterwards.
  for (int64_t top = features_ - batch_; top < features_; ++top) {
    const int64_t pick = std::uniform_int_distribution<int64_t>(0, top)(rng_);
    const int64_t chosen = taken_[pick] ? top : pick;
    taken_[chosen] = 1;
    batch->push_back(chosen);
  }
  for (int64_t j : *batch) taken_[j] = 0;
}

BlockSchedule::BlockSchedule(int64_t features, int64_t batch)
    : features_(features), batch_(std::min(batch, features)) {}

void BlockSchedule::Next(std::vector<int64_t>* batch) {
  batch->clear();
  for (int64_t i = 0; i < batch_; ++i) {
    batch->push_back(next_);
    if (++next_ == features_) next_ = 0;
  }
}

DynamicSchedule::DynamicSchedule(const core::CscMatrix* x, std::span<const double> col_sqnorm,
                                 int64_t batch, double rho, double max_row_sum, double eta,
                                 double initial_floor, double candidates_factor, uint64_t seed,
                                 const core::ColumnCentring* centring)
    : batch_(std::min(batch, x->cols)),
      batch_limit_(batch_),
      num_candidates_(std::min<int64_t>(
          x->cols,
          static_cast<int64_t>(std::ceil(candidates_factor * static_cast<double>(batch))))),
      eta_(eta),
      floor_(initial_floor),
      empty_column_(x->cols, 0),
      sampler_(x->cols, kUntriedWeight),
      correlation_(centring != nullptr ? core::ColumnCorrelation(x, *centring)
                                       : core::ColumnCorrelation(x)),
      filter_(&correlation_, rho, max_row_sum),
      rng_(seed) {
  for (int64_t j = 0; j < x->cols; ++j) {
    if (col_sqnorm[j] == 0) {
      empty_column_[j] = 1;
      sampler_.Set(j, 0);
    }
  }
  candidates_.reserve(num_candidates_);
}

void LassoSchedule::NextBeside(std::span<const int64_t> in_flight, std::vector<int64_t>* batch) {
  Next(batch);
  if (in_flight.empty()) return;
  std::erase_if(*batch, [&](int64_t j) {
    return std::find(in_flight.begin(), in_flight.end(), j) != in_flight.end();
  });
}

void DynamicSchedule::Next(std::vector<int64_t>* batch) { NextBeside({}, batch); }

void DynamicSchedule::NextBeside(std::span<const int64_t> in_flight, std::vector<int64_t>* batch) {
  sampler_.SampleDistinct(num_candidates_, rng_, &candidates_);
  filter_.Filter(candidates_, batch_limit_, in_flight, batch);
  last_kept_ = static_cast<int64_t>(batch->size());
  ++rounds_;
  drawn_ += static_cast<int64_t>(candidates_.size());
  kept_ += static_cast<int64_t>(batch->size());
}

void DynamicSchedule::OnUpdated(int64_t j, double delta) {
  if (empty_column_[j]) return;
  sampler_.Set(j, delta * delta + floor_);
}

void DynamicSchedule::OnGradientPass(std::span<const double> predicted_delta) {
  double sum_sq = 0;
  for (double delta : predicted_delta) sum_sq += delta * delta;
  // Kept positive so that every non-empty coordinate stays reachable even at the optimum.
  floor_ = std::max(eta_ * sum_sq / static_cast<double>(predicted_delta.size()), 1e-300);
  for (size_t j = 0; j < predicted_delta.size(); ++j) {
    if (empty_column_[j]) continue;
    sampler_.Set(static_cast<int64_t>(j), predicted_delta[j] * predicted_delta[j] + floor_);
  }
}

void DynamicSchedule::OnBatchAccepted() {
  batch_limit_ = std::min(batch_, batch_limit_ + std::max<int64_t>(1, batch_limit_ / 4));
}

void DynamicSchedule::OnBatchUndone() {
  // Halves what was actually kept, not the limit: the check may have kept far fewer.
  batch_limit_ = std::max<int64_t>(1, std::min(batch_limit_, last_kept_) / 2);
}

double DynamicSchedule::candidates_per_round() const {
  return rounds_ > 0 ? static_cast<double>(drawn_) / static_cast<double>(rounds_) : 0.0;
}

double DynamicSchedule::kept_per_round() const {
  return rounds_ > 0 ? static_cast<double>(kept_) / static_cast<double>(rounds_) : 0.0;
}

absl::Status BlockSchedule::SetState(std::span<const double> state) {
  if (state.size() != 1 || !(state[0] >= 0) || state[0] >= static_cast<double>(features_) ||
      state[0] != std::floor(state[0])) {
    return absl::DataLossError("the checkpoint's schedule position does not fit the data");
  }
  next_ = static_cast<int64_t>(state[0]);
  return absl::OkStatus();
}

std::vector<double> DynamicSchedule::State() const {
  std::vector<double> state;
  state.reserve(state_size());
  for (int64_t j = 0; j < sampler_.size(); ++j) state.push_back(sampler_.Get(j));
  state.push_back(floor_);
  return state;
}

absl::Status DynamicSchedule::SetState(std::span<const double> state) {
  if (state.size() != state_size()) {
    return absl::DataLossError("the checkpoint's priorities do not fit the data");
  }
  for (double weight : state) {
    if (!std::isfinite(weight) || weight < 0) {
      return absl::DataLossError("the checkpoint's priorities are not finite and non-negative");
    }
  }
  for (int64_t j = 0; j < sampler_.size(); ++j) {
    // An empty column stays at 0 whatever the checkpoint says: it can never move.
    sampler_.Set(j, empty_column_[static_cast<size_t>(j)] ? 0 : state[static_cast<size_t>(j)]);
  }
  floor_ = state.back();
  return absl::OkStatus();
}

std::unique_ptr<LassoSchedule> MakeLassoSchedule(const LassoParams& params,
                                                 const core::CscMatrix* x,
                                                 std::span<const double> col_sqnorm,
                                                 double initial_floor,
                                                 const core::ColumnCentring* centring) {
  switch (params.scheduler) {
    case LassoScheduler::kRandom:
      return std::make_unique<RandomSchedule>(x->cols, params.batch, params.seed);
    case LassoScheduler::kStatic:
      return std::make_unique<BlockSchedule>(x->cols, params.batch);
    case LassoScheduler::kCyclic:
      return std::make_unique<BlockSchedule>(x->cols, 1);
    case LassoScheduler::kDynamic:
    case LassoScheduler::kWorkingSet:  // plans its own rounds; this only keeps priorities
      break;
  }
  const double max_row_sum =
      params.dependency_check == DependencyCheck::kGershgorin ? core::kGershgorinRowSum : 0.0;
  return std::make_unique<DynamicSchedule>(x, col_sqnorm, params.batch, params.rho, max_row_sum,
                                           params.eta, initial_floor, params.candidates_factor,
                                           params.seed, centring);
}

}  // namespace strads::lasso
