#include "apps/lasso/lasso_scheduler_app.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/lasso_protocol.h"
#include "core/checkpoint_io.h"

namespace strads::lasso {

absl::Status LassoSchedulerApp::Prepare(const core::JobSpec& spec, int num_shards) {
  absl::StatusOr<LassoParams> params = ParseLassoParams(spec);
  if (!params.ok()) return params.status();
  if (num_shards < 1) {
    return absl::InvalidArgumentError(absl::StrCat("num_shards must be >= 1, got ", num_shards));
  }
  absl::StatusOr<core::LabeledData> data = core::ReadLibsvmFile(spec.data_path);
  if (!data.ok()) return data.status();
  if (data->x.rows == 0 || data->x.cols == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.data_path, ": no data (", data->x.rows, " samples, ", data->x.cols,
                     " features); the Lasso needs at least one sample with one feature"));
  }

  params_ = *std::move(params);
  stop_at_max_rounds_ = spec.max_rounds == 0;
  data_path_ = spec.data_path;
  data_ = *std::move(data);
  const int64_t m = data_.x.cols;
  col_sqnorm_ = core::ColumnSquaredNorms(data_.x);
  lambda_max_ = LambdaMax(data_.x, data_.y);
  lambda_ = params_.lambda_given ? params_.lambda : 0.1 * lambda_max_;
  double y_sq = 0;
  for (double v : data_.y) y_sq += v * v;
  start_objective_ = 0.5 * y_sq;
  objective_ = start_objective_;
  gap_every_ = params_.gap_every > 0 ? params_.gap_every : (m + params_.batch - 1) / params_.batch;

  // Until the first gap round measures the changes, the dynamic priority floor is eta times the
  // square of a typical first step, lambda_max / mean ||x_j||^2, so it means the same whatever
  // the units of X and y.
  double norm_sum = 0;
  int64_t nonempty = 0;
  for (double sq : col_sqnorm_) {
    if (sq > 0) {
      norm_sum += sq;
      ++nonempty;
    }
  }
  const double step = nonempty > 0 && lambda_max_ > 0 ? lambda_max_ / (norm_sum / nonempty) : 1.0;
  const double initial_floor = std::max(params_.eta * step * step, 1e-300);
  schedule_ = MakeLassoSchedule(params_, &data_.x, col_sqnorm_, initial_floor);
  ranges_ = core::SplitRowsByNnz(data_.x, num_shards);

  b_.assign(m, 0.0);
  l1_ = 0;
  nnz_ = 0;
  batch_.reserve(params_.batch);
  sums_.reserve(m + 1);
  pulls_ = 0;
  updates_ = 0;
  moved_ = 0;
  gap_rounds_ = 0;
  have_gap_ = false;
  duality_gap_ = 0;
  relative_gap_ = 0;
  converged_ = false;
  return absl::OkStatus();
}

absl::StatusOr<std::string> LassoSchedulerApp::ShardBytes(int shard) const {
  if (shard < 0 || shard >= num_shards()) {
    return absl::OutOfRangeError(
        absl::StrCat("lasso shard ", shard, " does not exist; the job has ", num_shards()));
  }
  // Encoded on demand: shards are fetched about once per worker, and keeping a second copy of the
  // data for them would double the scheduler's memory.
  return core::EncodeShard(core::SliceRows(data_, ranges_[shard]));
}

void LassoSchedulerApp::ShardInit(int shard, core::Payload* init) const {
  init->clear();
  init->op = kInitCoefficients;
  for (int64_t j = 0; j < static_cast<int64_t>(b_.size()); ++j) {
    if (b_[j] == 0) continue;
    init->keys.push_back(j);
    init->values.push_back(b_[j]);
  }
  init->values.push_back(static_cast<double>(pulls_));
}

bool LassoSchedulerApp::IsGapRound(int64_t number) const {
  return (number + 1) % (gap_every_ + 1) == 0 || number + 1 == params_.max_rounds;
}

void LassoSchedulerApp::Schedule(std::span<const core::WorkerView> workers, core::RoundPlan* plan) {
  // Rows are partitioned, so every shard contributes to every coordinate: all workers get the
  // same task.
  const bool gap_round = IsGapRound(plan->number);
  batch_.clear();
  if (!gap_round) schedule_->Next(&batch_);
  for (core::Payload& task : plan->tasks) {
    task.clear();
    task.op = gap_round ? kComputeGap : kPushCoordinates;
    task.keys.assign(batch_.begin(), batch_.end());
  }
}

absl::Status LassoSchedulerApp::CheckDivergence() const {
  if (std::isfinite(objective_) &&
      objective_ <= kDivergenceFactor * std::max(start_objective_, DBL_MIN)) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrFormat(
      "diverged at round %d: objective %g (start %g); use a smaller --batch or --scheduler "
      "dynamic",
      pulls_, objective_, start_objective_));
}

absl::StatusOr<core::RoundOutcome> LassoSchedulerApp::Pull(const core::RoundPlan& plan,
                                                           std::span<const core::Partial> partials,
                                                           core::Payload* cache_update) {
  if (plan.tasks.empty() || partials.size() != plan.tasks.size()) {
    return absl::InternalError(absl::StrCat("lasso pull: ", partials.size(), " partials for ",
                                            plan.tasks.size(), " tasks"));
  }
  const core::Payload& task = plan.tasks[0];
  if (task.op == kComputeGap) return PullGap(partials, cache_update);
  if (task.op == kPushCoordinates) return PullCoordinates(task, partials, cache_update);
  return absl::InternalError(absl::StrCat("lasso pull: unknown task op ", task.op));
}

// Sums the workers' partials into sums_ (`expected` values each). A worker holding no shard
// sends nothing and contributes nothing.
static absl::Status SumPartials(std::span<const core::Partial> partials, size_t expected,
                                std::vector<double>* sums) {
  sums->assign(expected, 0.0);
  for (size_t w = 0; w < partials.size(); ++w) {
    const std::vector<double>& values = partials[w].values;
    if (values.empty()) continue;
    if (values.size() != expected) {
      return absl::InternalError(absl::StrCat("lasso pull: worker ", w, " sent ", values.size(),
                                              " values, expected ", expected));
    }
    for (size_t i = 0; i < expected; ++i) (*sums)[i] += values[i];
  }
  return absl::OkStatus();
}

absl::StatusOr<core::RoundOutcome> LassoSchedulerApp::PullCoordinates(
    const core::Payload& task, std::span<const core::Partial> partials,
    core::Payload* cache_update) {
  const size_t num_keys = task.keys.size();
  if (absl::Status status = SumPartials(partials, num_keys + 1, &sums_); !status.ok()) {
    return status;
  }
  // The residual norm describes the model before this round's deltas.
  objective_ = LassoObjective(sums_[num_keys], l1_, lambda_);
  if (absl::Status status = CheckDivergence(); !status.ok()) return status;
  if (params_.target_objective > 0 && objective_ <= params_.target_objective) {
    // Benchmarks stop at a known suboptimality; the model is the one the objective describes.
    converged_ = true;
    reached_target_ = true;
    cache_update->clear();
    cache_update->op = kApplyDeltas;
    ++pulls_;
    cache_update->values.push_back(static_cast<double>(pulls_));
    return core::RoundOutcome::kConverged;
  }

  cache_update->clear();
  cache_update->op = kApplyDeltas;
  for (size_t i = 0; i < num_keys; ++i) {
    const int64_t j = task.keys[i];
    const double sqnorm = col_sqnorm_[j];
    if (sqnorm == 0) {
      schedule_->OnUpdated(j, 0);
      continue;
    }
    const double old_value = b_[j];
    const double new_value = CoordinateMinimizer(sums_[i], old_value, sqnorm, lambda_);
    const double delta = new_value - old_value;
    schedule_->OnUpdated(j, delta);
    if (delta == 0) continue;
    b_[j] = new_value;
    l1_ += std::abs(new_value) - std::abs(old_value);
    nnz_ += (new_value != 0) - (old_value != 0);
    cache_update->keys.push_back(j);
    cache_update->values.push_back(delta);
    ++moved_;
  }
  updates_ += static_cast<int64_t>(num_keys);
  return AfterPull(cache_update);
}

absl::StatusOr<core::RoundOutcome> LassoSchedulerApp::PullGap(
    std::span<const core::Partial> partials, core::Payload* cache_update) {
  const size_t m = b_.size();
  if (absl::Status status = SumPartials(partials, m + 1, &sums_); !status.ok()) return status;
  const std::span<const double> xtr(sums_.data(), m);
  const double residual_sq = sums_[m];

  // Exact bookkeeping, so incremental drift in l1_ and nnz_ never outlives a gap round.
  l1_ = 0;
  nnz_ = 0;
  for (double v : b_) {
    l1_ += std::abs(v);
    nnz_ += v != 0;
  }
  const DualityGap gap = ComputeDualityGap(residual_sq, xtr, b_, lambda_);
  objective_ = gap.primal;
  if (absl::Status status = CheckDivergence(); !status.ok()) return status;
  duality_gap_ = gap.gap;
  relative_gap_ = gap.relative_gap;
  have_gap_ = true;
  ++gap_rounds_;

  // The full gradient tells exactly how far every coordinate would move now: the best priority
  // the dynamic schedule can have, for O(M log M) once per gap round.
  predicted_.resize(m);
  for (size_t j = 0; j < m; ++j) {
    predicted_[j] = col_sqnorm_[j] == 0
                        ? 0.0
                        : CoordinateMinimizer(xtr[j], b_[j], col_sqnorm_[j], lambda_) - b_[j];
  }
  schedule_->OnGradientPass(predicted_);

  cache_update->clear();
  cache_update->op = kApplyDeltas;
  if (gap.relative_gap <= params_.tolerance) {
    converged_ = true;
    ++pulls_;
    cache_update->values.push_back(static_cast<double>(pulls_));
    return core::RoundOutcome::kConverged;
  }
  return AfterPull(cache_update);
}

core::RoundOutcome LassoSchedulerApp::AfterPull(core::Payload* cache_update) {
  ++pulls_;
  cache_update->values.push_back(static_cast<double>(pulls_));
  if (stop_at_max_rounds_ && pulls_ >= params_.max_rounds) return core::RoundOutcome::kStopped;
  return core::RoundOutcome::kContinue;
}

void LassoSchedulerApp::Metrics(std::vector<core::Metric>* out) const {
  out->push_back({"objective", objective_});
  if (have_gap_) {
    out->push_back({"duality_gap", duality_gap_});
    out->push_back({"relative_gap", relative_gap_});
  }
  out->push_back({"nnz", static_cast<double>(nnz_)});
  out->push_back({"updates", static_cast<double>(updates_)});
  out->push_back({"moved", static_cast<double>(moved_)});
  out->push_back({"rounds", static_cast<double>(pulls_)});
  out->push_back({"gap_rounds", static_cast<double>(gap_rounds_)});
  out->push_back({"lambda", lambda_});
  out->push_back({"lambda_max", lambda_max_});
  out->push_back({"converged", converged_ ? 1.0 : 0.0});
  if (schedule_ != nullptr && params_.scheduler == "dynamic") {
    out->push_back({"candidates_per_round", schedule_->candidates_per_round()});
    out->push_back({"kept_per_round", schedule_->kept_per_round()});
  }
}

absl::Status LassoSchedulerApp::WriteModel(std::ostream& out) const {
  out << "# strads lasso model\n";
  out << absl::StrFormat("# data %s\n", data_path_);
  out << absl::StrFormat("# lambda %.17g\n", lambda_);
  out << absl::StrFormat("# features %d\n", static_cast<int64_t>(b_.size()));
  out << absl::StrFormat("# nnz %d\n", nnz_);
  out << absl::StrFormat("# objective %.17g\n", objective_);
  if (have_gap_) {
    out << absl::StrFormat("# duality_gap %.17g\n", duality_gap_);
    out << absl::StrFormat("# relative_gap %.17g\n", relative_gap_);
  }
  out << "# format: <feature index, 1-based as in LIBSVM> <coefficient>, non-zeros only\n";
  for (size_t j = 0; j < b_.size(); ++j) {
    if (b_[j] == 0) continue;
    out << absl::StrFormat("%d %.17g\n", static_cast<int64_t>(j) + 1, b_[j]);
  }
  if (!out) return absl::DataLossError("writing the lasso model failed");
  return absl::OkStatus();
}

namespace {
constexpr std::string_view kCheckpointTag = "strads-lasso-1";
}  // namespace

absl::Status LassoSchedulerApp::SaveCheckpoint(std::ostream& out) const {
  core::CheckpointWriter writer(out, kCheckpointTag);
  writer.Double(lambda_);
  writer.Int(pulls_);
  writer.Int(updates_);
  writer.Int(moved_);
  writer.Int(gap_rounds_);
  writer.Double(objective_);
  writer.Int(have_gap_ ? 1 : 0);
  writer.Double(duality_gap_);
  writer.Double(relative_gap_);
  writer.Doubles(b_);
  return writer.Finish();
}

absl::Status LassoSchedulerApp::RestoreCheckpoint(std::istream& in) {
  core::CheckpointReader reader(in, kCheckpointTag);
  const double lambda = reader.Double();
  if (reader.status().ok() && lambda != lambda_) {
    return absl::DataLossError(
        absl::StrCat("the checkpoint is for lambda ", lambda, ", the job has ", lambda_));
  }
  const int64_t pulls = reader.Int();
  const int64_t updates = reader.Int();
  const int64_t moved = reader.Int();
  const int64_t gap_rounds = reader.Int();
  const double objective = reader.Double();
  const bool have_gap = reader.Int() != 0;
  const double duality_gap = reader.Double();
  const double relative_gap = reader.Double();
  std::vector<double> b;
  reader.Doubles(b_.size(), &b);
  if (absl::Status status = reader.Finish(); !status.ok()) return status;
  pulls_ = pulls;
  updates_ = updates;
  moved_ = moved;
  gap_rounds_ = gap_rounds;
  objective_ = objective;
  have_gap_ = have_gap;
  duality_gap_ = duality_gap;
  relative_gap_ = relative_gap;
  b_ = std::move(b);
  l1_ = 0;
  nnz_ = 0;
  for (double v : b_) {
    l1_ += std::abs(v);
    nnz_ += v != 0;
  }
  return absl::OkStatus();
}

}  // namespace strads::lasso
