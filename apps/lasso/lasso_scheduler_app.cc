#include "apps/lasso/lasso_scheduler_app.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <limits>

#include "Eigen/Core"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/lasso/gram_lasso_solver.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/lasso_protocol.h"
#include "apps/lasso/shard_gram.h"
#include "core/checkpoint_io.h"
#include "core/data_partition.h"
#include "core/labeled_data_source.h"
#include "core/limits.h"

namespace strads::lasso {

namespace {

// The column solve's gap target as a fraction of the whole problem's last gap (see
// SolveWorkingSetOnColumns).
constexpr double kColumnSolveGapFraction = 0.1;

absl::Status TooLargeFeature(const std::string& data_path, int64_t j) {
  return absl::InvalidArgumentError(
      absl::StrCat(data_path, ": feature ", j + 1,
                   " has values too large (their squares overflow a double); scale the data"));
}

}  // namespace

absl::Status LassoSchedulerApp::Prepare(const core::JobSpec& spec, int num_shards) {
  absl::StatusOr<LassoParams> params = ParseLassoParams(spec);
  if (!params.ok()) return params.status();
  if (num_shards < 1) {
    return absl::InvalidArgumentError(absl::StrCat("num_shards must be >= 1, got ", num_shards));
  }
  pipeline_depth_ = spec.pipeline;
  if (params->data_access == DataAccess::kShared) {
    params_ = *std::move(params);
    return PrepareShared(spec, num_shards);
  }
  absl::StatusOr<core::LabeledData> data = core::ReadLabeledData(spec.data_path, spec.labels_path);
  if (!data.ok()) return data.status();
  if (data->x.rows == 0 || data->x.cols == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.data_path, ": no data (", data->x.rows, " samples, ", data->x.cols,
                     " features); the Lasso needs at least one sample with one feature"));
  }

  params_ = *std::move(params);
  stop_at_max_rounds_ = spec.max_rounds == 0;
  data_path_ = spec.data_path;
  labels_path_ = spec.labels_path;
  shared_ = false;
  setup_rounds_ = 0;
  data_ = *std::move(data);
  const int64_t m = data_.x.cols;
  // Scaled here, before sharding, so every worker holds the scaled columns and the whole solve
  // (norms, correlations, lambda_max) happens in that scale.
  scales_.clear();
  if (params_.standardize) {
    scales_ = StandardizationScales(data_.x, params_.intercept);
    for (int64_t j = 0; j < m; ++j) {
      // An infinite scale (squares that overflow) would silently zero the column.
      if (!std::isfinite(scales_[j])) return TooLargeFeature(spec.data_path, j);
    }
    DivideColumns(scales_, &data_.x);
  }
  col_sqnorm_ = core::ColumnSquaredNorms(data_.x);
  rows_ = static_cast<double>(data_.x.rows);
  double y_sq = 0;
  double y_sum = 0;
  for (double v : data_.y) {
    y_sq += v * v;
    y_sum += v;
  }
  col_sums_.clear();
  if (params_.intercept) col_sums_ = ColumnSums(data_.x);
  step_sqnorm_ = params_.intercept ? CentredSquaredNorms(data_.x) : col_sqnorm_;
  if (absl::Status status = StartModel(y_sq, y_sum); !status.ok()) return status;
  schedule_.reset();
  if (params_.scheduler != LassoScheduler::kWorkingSet) MakeSchedule(&data_.x);
  ranges_ = core::SplitRowsByNnz(data_.x, num_shards);
  return absl::OkStatus();
}

absl::Status LassoSchedulerApp::StartModel(double y_sq, double y_sum) {
  const int64_t m = static_cast<int64_t>(col_sqnorm_.size());
  const std::string& data_path = data_path_;
  // Values near 1e154 and beyond square to infinity: every update would then be NaN. Said here,
  // naming what to do, rather than as a divergence many rounds later.
  if (!std::isfinite(y_sq)) {
    return absl::InvalidArgumentError(absl::StrCat(
        data_path, ": the labels are too large (their squares overflow a double); scale y"));
  }
  for (int64_t j = 0; j < m; ++j) {
    if (!std::isfinite(col_sqnorm_[j])) return TooLargeFeature(data_path, j);
  }
  b0_ = 0;
  residual_sum_ = y_sum;
  std::vector<double> correlations;  // x_j'r at the start
  if (params_.intercept) {
    // Start at b = 0 with its optimal intercept mean(y): the residual is y - mean(y).
    b0_ = y_sum / rows_;
    double centred_sq = 0;
    double centred_sum = 0;
    if (!shared_) {
      std::vector<double> centred = data_.y;
      for (double& v : centred) {
        v -= b0_;
        centred_sq += v * v;
        centred_sum += v;
      }
      correlations.resize(m);
      TransposeTimes(data_.x, centred, correlations);
    } else {
      // From the workers' sums: ||y - b0||^2 = ||y||^2 - 2 b0 sum(y) + N b0^2, and
      // x_j'(y - b0) = x_j'y - b0 1'x_j.
      centred_sq = std::max(0.0, y_sq - 2 * b0_ * y_sum + rows_ * b0_ * b0_);
      centred_sum = y_sum - rows_ * b0_;
      correlations.resize(m);
      for (int64_t j = 0; j < m; ++j) correlations[j] = col_xty_[j] - b0_ * col_sums_[j];
    }
    start_objective_ = 0.5 * centred_sq;
    residual_sum_ = centred_sum;
  } else {
    if (!shared_) {
      correlations.resize(m);
      TransposeTimes(data_.x, data_.y, correlations);
    } else {
      correlations = col_xty_;
    }
    start_objective_ = 0.5 * y_sq;
  }
  // lambda_max over the columns that can move: one of step norm 0 (empty, or constant with the
  // intercept) never does, and its correlation is rounding.
  lambda_max_ = 0;
  double max_step_sqnorm = 0;
  for (int64_t j = 0; j < m; ++j) {
    if (step_sqnorm_[j] == 0) continue;
    lambda_max_ = std::max(lambda_max_, std::abs(correlations[j]));
    max_step_sqnorm = std::max(max_step_sqnorm, step_sqnorm_[j]);
  }
  // No column correlates with the (centred) labels beyond rounding: y is 0 (or constant with the
  // intercept), or no column varies. Then b = 0 (b0 = mean(y)) solves the Lasso at every lambda,
  // and the default lambda (a fraction of lambda_max) would be 0, where the gap certifies
  // nothing: the first round measures the model and the job ends there, saying why.
  solved_at_start_ = lambda_max_ <= 1e-12 * std::sqrt(max_step_sqnorm) * std::sqrt(y_sq);
  if (solved_at_start_) lambda_max_ = 0;
  // F never rises above its start; with an intercept the start can be ~0 (constant y), so the
  // base is floored at a tiny fraction of 0.5||y||^2 to keep rounding from looking like
  // divergence.
  divergence_base_ = std::max({start_objective_, 1e-10 * 0.5 * y_sq, DBL_MIN});
  objective_ = start_objective_;

  // The lambda path: log-spaced from lambda_max down to the job's lambda. Leading points at or
  // above lambda_max are solved by the start (b = 0) and recorded without rounds; the last point
  // is always solved by rounds, so a job has at least one gap round.
  const double final_lambda = params_.lambda_given  ? params_.lambda
                              : params_.alpha_given ? params_.alpha * rows_
                                                    : params_.path_ratio * lambda_max_;
  path_lambdas_.assign(params_.path, final_lambda);
  const double top = std::max(lambda_max_, final_lambda);
  if (params_.path > 1 && top > 0) {
    const double log_ratio = std::log(final_lambda / top);
    for (int64_t k = 0; k + 1 < params_.path; ++k) {
      path_lambdas_[k] = top * std::exp(log_ratio * static_cast<double>(k) /
                                        static_cast<double>(params_.path - 1));
    }
  }
  path_points_.clear();
  path_point_ = 0;
  point_start_pulls_ = 0;
  while (path_point_ + 1 < path_lambdas_.size() && path_lambdas_[path_point_] >= lambda_max_) {
    path_points_.push_back({path_lambdas_[path_point_], 0, start_objective_, 0});
    ++path_point_;
  }
  lambda_ = path_lambdas_[path_point_];
  dual_bound_ = -std::numeric_limits<double>::infinity();

  // Until the first gap round measures the changes, the dynamic priority floor is eta times the
  // square of a typical first step, lambda_max / mean ||x_j||^2 (centred with the intercept), so
  // it means the same whatever the units of X and y.
  double norm_sum = 0;
  int64_t nonempty = 0;
  for (double sq : step_sqnorm_) {
    if (sq > 0) {
      norm_sum += sq;
      ++nonempty;
    }
  }
  const double step = nonempty > 0 && lambda_max_ > 0 ? lambda_max_ / (norm_sum / nonempty) : 1.0;
  // About one sweep of the coordinates that can move between gap rounds; all-zero columns (a
  // stray large index makes millions) are never updated and must not space the checks out.
  const int64_t sweep = std::max<int64_t>(nonempty, 1);
  gap_every_ =
      params_.gap_every > 0 ? params_.gap_every : (sweep + params_.batch - 1) / params_.batch;
  initial_floor_ = std::max(params_.eta * step * step, 1e-300);
  ws_gram_.reset();
  if (params_.scheduler == LassoScheduler::kWorkingSet) {
    ws_gram_ = std::make_unique<WorkingSetGram>(m);
  }
  gram_pending_ = false;
  inner_sweeps_ = 0;
  unverified_ = 0;
  have_verified_ = false;
  in_flight_invalidated_ = false;
  last_pulled_number_ = -1;
  undone_rounds_ = 0;

  b_.assign(m, 0.0);
  l1_ = 0;
  nnz_ = 0;
  for (PlannedBatch& recent : recent_batches_) {
    recent.number = -1;
    recent.keys.clear();
    recent.keys.reserve(params_.batch);
  }
  next_recent_ = 0;
  sums_.reserve(m + 2);
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

absl::Status LassoSchedulerApp::PrepareShared(const core::JobSpec& spec, int num_shards) {
  if (!spec.labels_path.empty() || core::IsMatrixMarketPath(spec.data_path)) {
    return absl::InvalidArgumentError(
        "workers read their own data in LIBSVM only (a file, or a directory of part-* files); "
        "use --data-access served for MatrixMarket");
  }
  absl::StatusOr<std::vector<core::DataPartition>> partitions =
      core::CutDataPartitions(spec.data_path, num_shards);
  if (!partitions.ok()) return partitions.status();
  stop_at_max_rounds_ = spec.max_rounds == 0;
  data_path_ = spec.data_path;
  labels_path_.clear();
  data_ = core::LabeledData{};
  ranges_.clear();
  partitions_ = *std::move(partitions);
  shared_ = true;
  stats_ready_ = false;
  solved_at_start_ = false;
  scales_.clear();
  // The stats round, then (dynamic) the sketch round.
  setup_rounds_ = params_.scheduler == LassoScheduler::kDynamic ? 2 : 1;
  schedule_.reset();
  ws_gram_.reset();
  sketch_ = core::CscMatrix{};
  b_.clear();
  col_sqnorm_.clear();
  step_sqnorm_.clear();
  pulls_ = 0;
  objective_ = 0;
  have_gap_ = false;
  converged_ = false;
  path_lambdas_.clear();
  path_points_.clear();
  return absl::OkStatus();
}

absl::StatusOr<core::RoundOutcome> LassoSchedulerApp::PullStats(
    std::span<const core::Partial> partials, core::Payload* cache_update) {
  int64_t m = 0;
  for (const core::Partial& partial : partials) {
    if (partial.values.empty()) continue;
    if (partial.values.size() < 5) return absl::InternalError("lasso pull: short stats partial");
    m = std::max(m, static_cast<int64_t>(partial.values[0]));
  }
  const bool with_deviations = params_.standardize || params_.intercept;
  const int64_t stride = StatsPerColumn(with_deviations);
  col_sqnorm_.assign(m, 0.0);
  col_sums_.assign(m, 0.0);
  col_xty_.assign(m, 0.0);
  // With standardize or the intercept: each column's mean and squared deviations over the rows
  // seen so far (combined worker by worker), and its largest |x|.
  std::vector<double> means, deviations, max_abs;
  if (with_deviations) {
    means.assign(m, 0.0);
    deviations.assign(m, 0.0);
    max_abs.assign(m, 0.0);
  }
  double rows = 0, y_sum = 0, y_sq = 0;
  shard_rows_.assign(partitions_.size(), -1);
  for (size_t w = 0; w < partials.size(); ++w) {
    const std::vector<double>& v = partials[w].values;
    if (v.empty()) continue;
    const int64_t mp = static_cast<int64_t>(v[0]);
    const size_t shards_at = 4 + static_cast<size_t>(stride * mp);
    if (v.size() < shards_at + 1 ||
        v.size() != shards_at + 1 + 2 * static_cast<size_t>(v[shards_at])) {
      return absl::InternalError(absl::StrCat("lasso pull: malformed stats from worker ", w));
    }
    if (with_deviations && v[1] > 0) {
      // Chan et al.: two groups' (rows, mean, squared deviations) combine exactly. This worker's
      // columns beyond its own count are all zeros: mean 0, no deviations.
      const double before = rows;
      const double here = v[1];
      for (int64_t j = 0; j < m; ++j) {
        const double* column = &v[4 + stride * j];
        const double mean = j < mp ? column[1] / here : 0.0;
        const double delta = mean - means[j];
        deviations[j] +=
            (j < mp ? column[3] : 0.0) + delta * delta * before * here / (before + here);
        means[j] += delta * here / (before + here);
        if (j < mp) max_abs[j] = std::max(max_abs[j], column[4]);
      }
    }
    rows += v[1];
    y_sum += v[2];
    y_sq += v[3];
    for (int64_t j = 0; j < mp; ++j) {
      col_sqnorm_[j] += v[4 + stride * j];
      col_sums_[j] += v[5 + stride * j];
      col_xty_[j] += v[6 + stride * j];
    }
    for (size_t i = shards_at + 1; i + 1 < v.size(); i += 2) {
      const int64_t shard = static_cast<int64_t>(v[i]);
      if (shard < 0 || shard >= num_shards()) {
        return absl::InternalError(absl::StrCat("lasso pull: stats for unknown shard ", shard));
      }
      shard_rows_[shard] = static_cast<int64_t>(v[i + 1]);
    }
  }
  for (size_t shard = 0; shard < shard_rows_.size(); ++shard) {
    if (shard_rows_[shard] < 0) {
      return absl::InternalError(absl::StrCat("lasso pull: no stats for shard ", shard));
    }
  }
  if (rows == 0 || m == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(data_path_, ": no data (", rows, " samples, ", m,
                     " features); the Lasso needs at least one sample with one feature"));
  }
  rows_ = rows;
  if (params_.standardize) {
    // The served job's StandardizationScales, from the workers' sums: the standard deviation
    // (with the intercept) or the root mean square, 1 for a constant or empty column; then the
    // statistics in that scale, as if the workers' columns had been divided first.
    scales_.assign(m, 1.0);
    for (int64_t j = 0; j < m; ++j) {
      const double scale = std::sqrt((params_.intercept ? deviations[j] : col_sqnorm_[j]) / rows);
      if (!std::isfinite(scale)) return TooLargeFeature(data_path_, j);
      if (scale > 1e-12 * max_abs[j] && scale > 0) scales_[j] = scale;
      col_sqnorm_[j] /= scales_[j] * scales_[j];
      col_sums_[j] /= scales_[j];
      col_xty_[j] /= scales_[j];
    }
  }
  // The served job's CentredSquaredNorms, in the scale of the job.
  step_sqnorm_ = col_sqnorm_;
  if (params_.intercept) {
    for (int64_t j = 0; j < m; ++j) {
      const double scale = scales_.empty() ? 1.0 : scales_[j];
      step_sqnorm_[j] = CentredSquaredNorm(deviations[j], rows, max_abs[j]) / (scale * scale);
    }
  }
  if (absl::Status status = StartSharedModel(y_sq, y_sum); !status.ok()) return status;
  // The workers widen their shards to M columns and (with the intercept) take b0 = mean(y).
  cache_update->clear();
  cache_update->op = kStartModel;
  if (params_.intercept && b0_ != 0) {
    cache_update->keys.push_back(m);
    cache_update->values.push_back(b0_);
  }
  cache_update->values.push_back(static_cast<double>(m));
  cache_update->values.insert(cache_update->values.end(), scales_.begin(), scales_.end());
  cache_update->values.push_back(static_cast<double>(pulls_));
  return core::RoundOutcome::kContinue;
}

absl::Status LassoSchedulerApp::StartSharedModel(double y_sq, double y_sum) {
  const int64_t m = static_cast<int64_t>(col_sqnorm_.size());
  if (!params_.intercept) col_sums_.clear();
  if (absl::Status status = StartModel(y_sq, y_sum); !status.ok()) return status;
  y_sq_ = y_sq;
  y_sum_ = y_sum;
  if (params_.scheduler != LassoScheduler::kWorkingSet &&
      params_.scheduler != LassoScheduler::kDynamic) {
    // Random, static and cyclic schedules need only the feature count.
    sketch_ = core::CscMatrix{};
    sketch_.cols = m;
    sketch_.col_ptr.assign(static_cast<size_t>(m) + 1, 0);
    MakeSchedule(&sketch_);
  }
  stats_ready_ = true;
  pulls_ = 1;
  point_start_pulls_ = pulls_;
  return absl::OkStatus();
}

bool LassoSchedulerApp::SharedSetupDone() const {
  return stats_ready_ && (params_.scheduler != LassoScheduler::kDynamic || schedule_ != nullptr);
}

void LassoSchedulerApp::WriteSharedSetup(core::CheckpointWriter& writer) const {
  writer.Double(rows_);
  writer.Double(y_sq_);
  writer.Double(y_sum_);
  writer.Doubles(col_sqnorm_);
  writer.Doubles(col_sums_);
  writer.Doubles(step_sqnorm_);
  writer.Doubles(col_xty_);
  writer.Doubles(scales_);
  writer.Ints(shard_rows_);
  const bool sketched = params_.scheduler == LassoScheduler::kDynamic;
  writer.Int(sketched ? 1 : 0);
  if (sketched) {
    writer.Int(sketch_.rows);
    writer.Int(sketch_.cols);
    writer.Ints(sketch_.col_ptr);
    writer.Int(static_cast<int64_t>(sketch_.row_idx.size()));
    for (auto row : sketch_.row_idx) writer.Int(row);
    writer.Doubles(sketch_.values);
  }
}

absl::Status LassoSchedulerApp::RestoreSharedSetup(core::CheckpointReader& reader) {
  // Every array is at most a message's worth of numbers (what the workers sent).
  constexpr int64_t kLimit = core::kMaxMessageBytes;
  rows_ = reader.Double();
  const double y_sq = reader.Double();
  const double y_sum = reader.Double();
  reader.DoublesUpTo(kLimit, &col_sqnorm_);
  reader.DoublesUpTo(kLimit, &col_sums_);
  reader.DoublesUpTo(kLimit, &step_sqnorm_);
  reader.DoublesUpTo(kLimit, &col_xty_);
  reader.DoublesUpTo(kLimit, &scales_);
  reader.IntsUpTo(kLimit, &shard_rows_);
  const bool sketched = reader.Int() != 0;
  core::CscMatrix sketch;
  if (sketched) {
    sketch.rows = reader.Int();
    sketch.cols = reader.Int();
    reader.IntsUpTo(kLimit, &sketch.col_ptr);
    const int64_t entries = reader.Int();
    if (reader.status().ok() && entries >= 0 && entries <= kLimit) {
      sketch.row_idx.reserve(static_cast<size_t>(entries));
      for (int64_t k = 0; k < entries && reader.status().ok(); ++k) {
        sketch.row_idx.push_back(static_cast<decltype(sketch.row_idx)::value_type>(reader.Int()));
      }
    }
    reader.DoublesUpTo(kLimit, &sketch.values);
  }
  if (!reader.status().ok()) return reader.status();
  const size_t m = col_sqnorm_.size();
  if (m == 0 || col_xty_.size() != m || (params_.intercept && col_sums_.size() != m) ||
      step_sqnorm_.size() != m || (params_.standardize && scales_.size() != m) ||
      shard_rows_.size() != partitions_.size() ||
      sketched != (params_.scheduler == LassoScheduler::kDynamic) ||
      (sketched && (sketch.cols != static_cast<int64_t>(m) || sketch.col_ptr.size() != m + 1 ||
                    sketch.row_idx.size() != sketch.values.size() ||
                    sketch.col_ptr.back() != static_cast<int64_t>(sketch.values.size())))) {
    return absl::DataLossError(
        "the checkpoint's setup (statistics, partitions, sketch) does not fit this job");
  }
  if (absl::Status status = StartSharedModel(y_sq, y_sum); !status.ok()) return status;
  if (sketched) {
    sketch_ = std::move(sketch);
    MakeSchedule(&sketch_);
  }
  return absl::OkStatus();
}

absl::StatusOr<core::RoundOutcome> LassoSchedulerApp::PullSketch(
    std::span<const core::Partial> partials, core::Payload* cache_update) {
  cache_update->clear();
  core::ColumnSketchSum sum(SketchShapeOfJob(), static_cast<int64_t>(b_.size()));
  for (const core::Partial& partial : partials) {
    if (absl::Status status = sum.Add(partial.values); !status.ok()) {
      return absl::InternalError(absl::StrCat("lasso pull: ", status.message()));
    }
  }
  absl::StatusOr<core::CscMatrix> sketch = std::move(sum).Build();
  if (!sketch.ok()) return sketch.status();
  sketch_ = *std::move(sketch);
  MakeSchedule(&sketch_);
  return core::RoundOutcome::kContinue;
}

void LassoSchedulerApp::MakeSchedule(const core::CscMatrix* x) {
  if (!params_.intercept || params_.scheduler != LassoScheduler::kDynamic) {
    schedule_ = MakeLassoSchedule(params_, x, step_sqnorm_, initial_floor_);
    return;
  }
  // The steps move b0 with b_j, so two coordinates interact through their centred columns
  // x_j - mean_j 1, and the check compares those. With shared data x is the sketch S X, whose
  // centred columns are S x_j - mean_j S1: S1, the all-ones column's sketch, comes from the same
  // hash of the global rows the workers used (1 itself when the sketch is exact).
  const int64_t m = static_cast<int64_t>(step_sqnorm_.size());
  core::ColumnCentring centring;
  centring.centred_sqnorms = step_sqnorm_;
  centring.means.resize(m);
  for (int64_t j = 0; j < m; ++j) centring.means[j] = col_sums_[j] / rows_;
  if (!shared_) {
    centring.ones_dots = col_sums_;
    centring.ones_sqnorm = rows_;
  } else {
    const core::SketchShape shape = SketchShapeOfJob();
    std::vector<double> ones(static_cast<size_t>(shape.rows()), 0.0);
    for (int64_t g = 0; g < shape.total_rows; ++g) {
      int64_t bucket = 0;
      double sign = 0;
      core::SketchRow(shape, g, &bucket, &sign);
      ones[bucket] += sign;
    }
    centring.ones_sqnorm = 0;
    for (double v : ones) centring.ones_sqnorm += v * v;
    centring.ones_dots.assign(m, 0.0);
    for (int64_t j = 0; j < m && j < x->cols; ++j) {
      for (int64_t k = x->col_ptr[j]; k < x->col_ptr[j + 1]; ++k) {
        centring.ones_dots[j] += x->values[k] * ones[x->row_idx[k]];
      }
    }
  }
  schedule_ = MakeLassoSchedule(params_, x, step_sqnorm_, initial_floor_, &centring);
}

core::SketchShape LassoSchedulerApp::SketchShapeOfJob() const {
  core::SketchShape shape;
  shape.width = params_.sketch_width;
  shape.seed = params_.seed;
  shape.total_rows = static_cast<int64_t>(rows_);
  return shape;
}

void LassoSchedulerApp::ScheduleSetup(core::RoundPlan* plan) const {
  for (core::Payload& task : plan->tasks) {
    task.clear();
    if (!stats_ready_) {
      task.op = kComputeStats;
      continue;
    }
    task.op = kComputeSketch;
    const core::SketchShape shape = SketchShapeOfJob();
    task.values = {static_cast<double>(shape.width), static_cast<double>(shape.seed),
                   static_cast<double>(shape.total_rows)};
    int64_t offset = 0;
    for (size_t shard = 0; shard < shard_rows_.size(); ++shard) {
      task.keys.push_back(static_cast<int64_t>(shard));
      task.values.push_back(static_cast<double>(offset));
      offset += shard_rows_[shard];
    }
  }
}

absl::StatusOr<std::string> LassoSchedulerApp::ShardBytes(int shard) const {
  if (shard < 0 || shard >= num_shards()) {
    return absl::OutOfRangeError(
        absl::StrCat("lasso shard ", shard, " does not exist; the job has ", num_shards()));
  }
  // Shared data: the worker reads its partition itself.
  if (shared_) return core::EncodeDataPartition(partitions_[shard]);
  // Encoded on demand: shards are fetched about once per worker, and keeping a second copy of the
  // data for them would double the scheduler's memory.
  return core::EncodeShard(core::SliceRows(data_, ranges_[shard]));
}

void LassoSchedulerApp::ShardInit(int shard, core::Payload* init) const {
  init->clear();
  init->op = kInitCoefficients;
  if (shared_ && !stats_ready_) {
    init->values.push_back(0);  // version 0: y, before the stats round
    return;
  }
  const int64_t m = static_cast<int64_t>(b_.size());
  for (int64_t j = 0; j < m; ++j) {
    if (b_[j] == 0) continue;
    init->keys.push_back(j);
    init->values.push_back(b_[j]);
  }
  if (params_.intercept && b0_ != 0) {
    init->keys.push_back(m);
    init->values.push_back(b0_);
  }
  if (shared_) {
    init->op = kInitCoefficientsWithFeatures;
    init->values.push_back(static_cast<double>(m));
    init->values.insert(init->values.end(), scales_.begin(), scales_.end());  // standardize only
  }
  init->values.push_back(static_cast<double>(pulls_));
}

bool LassoSchedulerApp::IsGapRound(int64_t number) const {
  return solved_at_start_ || (number - setup_rounds_ + 1) % (gap_every_ + 1) == 0 ||
         number + 1 == params_.max_rounds + extra_rounds();
}

void LassoSchedulerApp::Schedule(std::span<const core::WorkerView> workers, core::RoundPlan* plan) {
  // Rows are partitioned, so every shard contributes to every coordinate: all workers get the
  // same task.
  // By state, not round number: a job resumed from a checkpoint taken before its setup rounds
  // ended runs them again at whatever round it resumes.
  if (shared_ && !SharedSetupDone()) {
    ScheduleSetup(plan);
    return;
  }
  if (ws_gram_ != nullptr) {
    // Pure in the app's state, so a round planned again is the same round. The last round before
    // max_rounds measures the gap instead, so a stopped job reports a fresh one.
    const bool gram = gram_pending_ && plan->number + 1 != params_.max_rounds + extra_rounds();
    for (core::Payload& task : plan->tasks) {
      task.clear();
      task.op = gram ? kComputeGram : kComputeGap;
      if (!gram) continue;
      task.keys.assign(ws_gram_->keys().begin(), ws_gram_->keys().end());
      task.values.push_back(static_cast<double>(ws_gram_->num_old()));
    }
    return;
  }
  const bool gap_round = IsGapRound(plan->number);
  // The engine plans a round again when its placement changes (a worker lost or added), possibly
  // after it has planned the next one ahead. The batch drawn for a round number is kept and
  // reused, so a repeat neither advances a position-keeping schedule (static, cyclic) past a
  // block nor draws other coordinates: the job runs exactly as it would have undisturbed.
  PlannedBatch* planned = nullptr;
  for (PlannedBatch& recent : recent_batches_) {
    if (recent.number == plan->number) planned = &recent;
  }
  if (planned == nullptr) {
    planned = &recent_batches_[next_recent_];
    next_recent_ = (next_recent_ + 1) % recent_batches_.size();
    planned->number = plan->number;
    planned->keys.clear();
    if (!gap_round) {
      planned_batches_ += 1;
      rounds_in_flight_ += plan->stale_by + 1;
    }
    if (!gap_round && plan->stale_by == 0) {
      schedule_->Next(&planned->keys);
    } else if (!gap_round) {
      // The batches of the rounds still in flight when this one is sent: those just before it.
      in_flight_keys_.clear();
      for (const PlannedBatch& recent : recent_batches_) {
        if (recent.number >= plan->number - plan->stale_by && recent.number < plan->number) {
          in_flight_keys_.insert(in_flight_keys_.end(), recent.keys.begin(), recent.keys.end());
        }
      }
      schedule_->NextBeside(in_flight_keys_, &planned->keys);
    }
  }
  for (core::Payload& task : plan->tasks) {
    task.clear();
    task.op = gap_round ? kComputeGap : kPushCoordinates;
    task.keys.assign(planned->keys.begin(), planned->keys.end());
  }
}

absl::Status LassoSchedulerApp::CheckDivergence() const {
  if (std::isfinite(objective_) && objective_ <= kDivergenceFactor * divergence_base_) {
    return absl::OkStatus();
  }
  // Only the unbounded checks can get here; say which safe choice replaces this one.
  const std::string advice =
      params_.scheduler == LassoScheduler::kDynamic
          ? "the pairwise dependency check does not bound a whole batch: use "
            "--dependency-check gershgorin (the default) or --scheduler working-set (the "
            "default), which cannot diverge"
          : absl::StrCat("the ", std::string(SchedulerName(params_.scheduler)),
                         " schedule does not check dependencies: use --scheduler working-set "
                         "(the default) or dynamic, which cannot diverge, or a smaller --batch");
  // Rounds in flight add their own staleness, which a smaller batch does not remove.
  const std::string pipelined =
      pipeline_depth_ > 1 ? "; or run one round at a time (--pipeline 1)" : "";
  return absl::FailedPreconditionError(
      absl::StrFormat("diverged at round %d: objective %g (start %g); %s%s", pulls_, objective_,
                      start_objective_, advice, pipelined));
}

absl::StatusOr<core::RoundOutcome> LassoSchedulerApp::Pull(const core::RoundPlan& plan,
                                                           std::span<const core::Partial> partials,
                                                           core::Payload* cache_update) {
  if (plan.tasks.empty() || partials.size() != plan.tasks.size()) {
    return absl::InternalError(absl::StrCat("lasso pull: ", partials.size(), " partials for ",
                                            plan.tasks.size(), " tasks"));
  }
  const core::Payload& task = plan.tasks[0];
  last_pulled_number_ = plan.number;
  if (task.op == kComputeStats) return PullStats(partials, cache_update);
  if (task.op == kComputeSketch) return PullSketch(partials, cache_update);
  if (task.op == kComputeGap) return PullGap(partials, cache_update);
  if (task.op == kPushCoordinates) {
    return PullCoordinates(task, plan.stale_by, partials, cache_update);
  }
  if (task.op == kComputeGram) return PullGram(partials, cache_update);
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
    const core::Payload& task, int stale_by, std::span<const core::Partial> partials,
    core::Payload* cache_update) {
  const size_t num_keys = task.keys.size();
  if (absl::Status status = SumPartials(partials, num_keys + 1, &sums_); !status.ok()) {
    return status;
  }
  // The residual norm describes the model before this round's deltas (and, pipelined, before
  // those of the `stale_by` rounds pulled since it was sent).
  const double intercept_missed = params_.intercept ? RecentInterceptDeltas(stale_by) : 0.0;
  if (UndoneBecauseTheLastStepRaisedF(sums_[num_keys], stale_by, &objective_, cache_update)) {
    return AfterPull(cache_update);
  }
  if (intercept_missed != 0) {
    // The intercept is a column every coordinate correlates with; its missed steps are known
    // exactly: x_j'(r - delta_b0 1) = x_j'r - delta_b0 1'x_j.
    for (size_t i = 0; i < num_keys; ++i) sums_[i] -= intercept_missed * col_sums_[task.keys[i]];
  }
  if (stale_by > 0 && !shared_) CorrectForMissedSteps(task.keys, stale_by);
  if (absl::Status status = CheckDivergence(); !status.ok()) return status;
  if (params_.target_objective > 0 && objective_ <= params_.target_objective &&
      path_point_ + 1 == path_lambdas_.size()) {
    // Benchmarks stop at a known suboptimality; the model is the one the objective describes.
    converged_ = true;
    reached_target_ = true;
    RecordPathPoint(objective_);
    cache_update->clear();
    cache_update->op = kApplyDeltas;
    ++pulls_;
    cache_update->values.push_back(static_cast<double>(pulls_));
    return core::RoundOutcome::kConverged;
  }

  cache_update->clear();
  cache_update->op = kApplyDeltas;
  const double residual_sum_before = residual_sum_;
  const double l1_before = l1_;
  const bool overshoot = pulls_ == params_.overshoot_round;
  for (size_t i = 0; i < num_keys; ++i) {
    const int64_t j = task.keys[i];
    const double sqnorm = step_sqnorm_[j];
    if (sqnorm == 0) {
      schedule_->OnUpdated(j, 0);
      continue;
    }
    // With the intercept, the step on the centred column (step_sqnorm_): its gradient is
    // (x_j - mean_j 1)'r, and its b0 move (-mean_j delta) keeps 1'r, so the intercept step
    // below, b0 += 1'r / N with 1'r tracked through the raw column sums, takes it exactly.
    const double gradient =
        params_.intercept ? sums_[i] - col_sums_[j] / rows_ * residual_sum_before : sums_[i];
    const double old_value = b_[j];
    double new_value = CoordinateMinimizer(gradient, old_value, sqnorm, lambda_);
    if (overshoot) new_value = old_value + 5 * (new_value - old_value);
    const double delta = new_value - old_value;
    schedule_->OnUpdated(j, delta);
    if (delta == 0) continue;
    b_[j] = new_value;
    l1_ += std::abs(new_value) - std::abs(old_value);
    nnz_ += (new_value != 0) - (old_value != 0);
    cache_update->keys.push_back(j);
    cache_update->values.push_back(delta);
    ++moved_;
    if (params_.intercept) residual_sum_ -= col_sums_[j] * delta;
  }
  updates_ += static_cast<int64_t>(num_keys);
  double delta_b0 = 0;
  if (params_.intercept) {
    // The exact intercept step after the batch (Gauss-Seidel, so it never conflicts with it):
    // b0 += sum(r) / N, with sum(r) after the batch known from the column sums. That is the
    // centred steps' b0 moves, -sum_j mean_j delta_j, plus the exact step at the batch's start,
    // sum(r_before) / N.
    delta_b0 = residual_sum_ / rows_;
    if (delta_b0 != 0) {
      b0_ += delta_b0;
      residual_sum_ -= rows_ * delta_b0;
      cache_update->keys.push_back(static_cast<int64_t>(b_.size()));
      cache_update->values.push_back(delta_b0);
    }
  }
  // Recorded for the monitor, and for the stale pushes of pipelined rounds (the intercept's
  // correction, CorrectForMissedSteps).
  if (MonitorsObjective() || params_.intercept || max_pipeline_depth() > 1) {
    if (unverified_ == steps_.size()) steps_.emplace_back();
    AppliedStep& step = steps_[unverified_++];
    step.version_after = pulls_ + 1;
    step.l1_before = l1_before;
    step.delta_b0 = delta_b0;
    step.keys.assign(cache_update->keys.begin(), cache_update->keys.end());
    step.deltas.assign(cache_update->values.begin(), cache_update->values.end());
    step.residual_sum_before = residual_sum_before;
    // Without the monitor the record only serves the stale pushes: the last few suffice.
    if (!MonitorsObjective() && unverified_ > static_cast<size_t>(core::kMaxPipelineDepth)) {
      std::rotate(steps_.begin(), steps_.begin() + 1, steps_.begin() + unverified_);
      --unverified_;
    }
  }
  return AfterPull(cache_update);
}

absl::StatusOr<core::RoundOutcome> LassoSchedulerApp::PullGap(
    std::span<const core::Partial> partials, core::Payload* cache_update) {
  const size_t m = b_.size();
  if (absl::Status status = SumPartials(partials, m + 1 + (params_.intercept ? 1 : 0), &sums_);
      !status.ok()) {
    return status;
  }
  double measured = 0;
  if (UndoneBecauseTheLastStepRaisedF(sums_[m], /*stale_by=*/0, &measured, cache_update)) {
    return AfterPull(cache_update);
  }
  // This round's own step (the intercept's) is exact; the next push measures after it.
  unverified_ = 0;
  have_verified_ = false;
  const std::span<double> xtr(sums_.data(), m);
  double residual_sq = sums_[m];
  double delta_b0 = 0;
  if (params_.intercept) {
    // The gap certifies (b, b0 + mean(r)), so this round takes that exact intercept step, and
    // the workers' exact sum(r) replaces the tracked one.
    const double residual_sum = sums_[m + 1];
    residual_sq = CenterResidual(residual_sq, residual_sum, rows_, col_sums_, xtr);
    delta_b0 = residual_sum / rows_;
    b0_ += delta_b0;
    residual_sum_ = residual_sum - rows_ * delta_b0;
  }

  // Exact bookkeeping, so incremental drift in l1_ and nnz_ never outlives a gap round.
  l1_ = 0;
  nnz_ = 0;
  for (double v : b_) {
    l1_ += std::abs(v);
    nnz_ += v != 0;
  }
  DualityGap gap = WithDualBound(ComputeDualityGap(residual_sq, xtr, b_, lambda_));
  objective_ = gap.primal;
  if (absl::Status status = CheckDivergence(); !status.ok()) return status;
  if (solved_at_start_) {
    // b = 0 is optimal (StartModel); at lambda 0 the correlations' rounding would make the gap
    // look large, so the certificate is the data's, not this round's.
    gap.gap = 0;
    gap.relative_gap = 0;
  }
  // A solved path point hands over to the next lambda with the same b (a warm start): the
  // workers' residuals stay valid, only the threshold changes, and the same X'r gives the gap at
  // the new lambda at once (several points may be solved already).
  while (gap.relative_gap <= params_.tolerance && path_point_ + 1 < path_lambdas_.size()) {
    RecordPathPoint(gap.primal);
    ++path_point_;
    lambda_ = path_lambdas_[path_point_];
    dual_bound_ = -std::numeric_limits<double>::infinity();
    point_start_pulls_ = pulls_ + 1;
    gap = ComputeDualityGap(residual_sq, xtr, b_, lambda_);
    objective_ = gap.primal;
  }
  duality_gap_ = gap.gap;
  relative_gap_ = gap.relative_gap;
  have_gap_ = true;
  ++gap_rounds_;

  // The full gradient tells exactly how far every coordinate would move now: the best priority
  // the dynamic schedule can have, for O(M log M) once per gap round.
  predicted_.resize(m);
  for (size_t j = 0; j < m; ++j) {
    predicted_[j] = step_sqnorm_[j] == 0
                        ? 0.0
                        : CoordinateMinimizer(xtr[j], b_[j], step_sqnorm_[j], lambda_) - b_[j];
  }
  if (schedule_ != nullptr) schedule_->OnGradientPass(predicted_);

  cache_update->clear();
  cache_update->op = kApplyDeltas;
  if (delta_b0 != 0) {
    cache_update->keys.push_back(static_cast<int64_t>(m));
    cache_update->values.push_back(delta_b0);
  }
  const bool reached_target = params_.target_objective > 0 &&
                              gap.primal <= params_.target_objective &&
                              path_point_ + 1 == path_lambdas_.size();
  if (gap.relative_gap <= params_.tolerance || reached_target) {
    converged_ = true;
    reached_target_ = reached_target;
    RecordPathPoint(gap.primal);
    ++pulls_;
    cache_update->values.push_back(static_cast<double>(pulls_));
    return core::RoundOutcome::kConverged;
  }
  if (ws_gram_ != nullptr) PlanWorkingSet(xtr, residual_sq, cache_update);
  return AfterPull(cache_update);
}

bool LassoSchedulerApp::MonitorsObjective() const {
  return params_.scheduler == LassoScheduler::kDynamic &&
         params_.dependency_check == DependencyCheck::kGershgorin;
}

void LassoSchedulerApp::CorrectForMissedSteps(std::span<const int64_t> keys, int stale_by) {
  const core::CscMatrix& x = data_.x;
  const int64_t m = static_cast<int64_t>(b_.size());
  const int64_t since = pulls_ - stale_by;  // the model version the stale push saw
  // Scatter the missed steps into a dense per-sample vector (zero between calls), dot every key's
  // column with it, then zero what was touched: O(non-zeros of the missed and the batch columns),
  // what one worker holding all the data would spend on the round.
  if (missed_residual_.size() != static_cast<size_t>(x.rows)) {
    missed_residual_.assign(static_cast<size_t>(x.rows), 0.0);
  }
  auto for_missed = [&](auto&& fn) {
    for (size_t s = 0; s < unverified_; ++s) {
      const AppliedStep& step = steps_[s];
      if (step.version_after <= since) continue;
      for (size_t i = 0; i < step.keys.size(); ++i) {
        if (step.keys[i] < m) fn(step.keys[i], step.deltas[i]);  // key m is the intercept
      }
    }
  };
  bool any = false;
  for_missed([&](int64_t k, double delta) {
    any = true;
    for (int64_t p = x.col_ptr[k]; p < x.col_ptr[k + 1]; ++p) {
      missed_residual_[x.row_idx[p]] += x.values[p] * delta;
    }
  });
  if (!any) return;
  for (size_t i = 0; i < keys.size(); ++i) {
    const int64_t j = keys[i];
    double dot = 0;
    for (int64_t p = x.col_ptr[j]; p < x.col_ptr[j + 1]; ++p) {
      dot += x.values[p] * missed_residual_[x.row_idx[p]];
    }
    sums_[i] -= dot;
  }
  for_missed([&](int64_t k, double) {
    for (int64_t p = x.col_ptr[k]; p < x.col_ptr[k + 1]; ++p) missed_residual_[x.row_idx[p]] = 0;
  });
}

double LassoSchedulerApp::RecentInterceptDeltas(int stale_by) const {
  double sum = 0;
  const int64_t since = pulls_ - stale_by;  // the model version the stale push saw
  for (size_t i = 0; i < unverified_; ++i) {
    if (steps_[i].version_after > since) sum += steps_[i].delta_b0;
  }
  return sum;
}

bool LassoSchedulerApp::UndoneBecauseTheLastStepRaisedF(double residual_sq, int stale_by,
                                                        double* measured,
                                                        core::Payload* cache_update) {
  // The model measured is the one after `version` Pulls; steps after it are not in residual_sq,
  // so neither is their change of ||b||_1.
  const int64_t version = pulls_ - stale_by;
  double l1 = l1_;
  size_t covered = 0;
  for (size_t i = 0; i < unverified_; ++i) {
    if (steps_[i].version_after > version) {
      l1 = steps_[i].l1_before;
      break;
    }
    ++covered;
  }
  *measured = LassoObjective(residual_sq, l1, lambda_);
  if (!MonitorsObjective()) return false;
  if (!have_verified_ || unverified_ == 0) {
    verified_objective_ = *measured;
    have_verified_ = true;
    return false;
  }
  if (covered == 0) return false;  // nothing new is measured yet
  // Rounding in the workers' running ||r||^2 is far below this; a batch that really raised F
  // shows up well above it.
  if (*measured > verified_objective_ * (1 + 1e-10)) {
    // This round's partials describe the raised model, so they are dropped with it, and so is
    // every later step (computed on top of it), and the rounds in flight.
    UndoUnverifiedSteps(cache_update);
    *measured = verified_objective_;
    return true;
  }
  verified_objective_ = *measured;
  for (size_t i = 0; i < covered; ++i) schedule_->OnBatchAccepted();
  std::rotate(steps_.begin(), steps_.begin() + static_cast<std::ptrdiff_t>(covered),
              steps_.begin() + static_cast<std::ptrdiff_t>(unverified_));
  unverified_ -= covered;
  return false;
}

void LassoSchedulerApp::UndoUnverifiedSteps(core::Payload* cache_update) {
  cache_update->clear();
  cache_update->op = kApplyDeltas;
  const int64_t m = static_cast<int64_t>(b_.size());
  // Steps may share coordinates (a column leaves the pipeline and is drawn again), so their
  // deltas are summed per coordinate into one update.
  undo_scratch_.assign(static_cast<size_t>(m) + 1, 0.0);
  for (size_t s = 0; s < unverified_; ++s) {
    const AppliedStep& step = steps_[s];
    for (size_t i = 0; i < step.keys.size(); ++i) undo_scratch_[step.keys[i]] += step.deltas[i];
  }
  for (int64_t j = 0; j <= m; ++j) {
    const double delta = undo_scratch_[j];
    if (delta == 0) continue;
    if (j == m) {
      b0_ -= delta;
    } else {
      const double old_value = b_[j];
      b_[j] -= delta;
      l1_ += std::abs(b_[j]) - std::abs(old_value);
      nnz_ += (b_[j] != 0) - (old_value != 0);
    }
    cache_update->keys.push_back(j);
    cache_update->values.push_back(-delta);
  }
  if (params_.intercept) residual_sum_ = steps_[0].residual_sum_before;
  objective_ = verified_objective_;
  undone_rounds_ += static_cast<int64_t>(unverified_);
  unverified_ = 0;
  schedule_->OnBatchUndone();
  // The rounds in flight were planned and pushed on top of the undone steps: the engine plans
  // them again, with fresh batches (the schedule just shrank its batch).
  in_flight_invalidated_ = true;
  for (PlannedBatch& recent : recent_batches_) {
    if (recent.number > last_pulled_number_) recent.number = -1;
  }
}

int LassoSchedulerApp::max_pipeline_depth() const {
  return params_.scheduler == LassoScheduler::kWorkingSet ? 1 : core::kMaxPipelineDepth;
}

bool LassoSchedulerApp::RoundRunsAlone(int64_t number) const {
  return (shared_ && !SharedSetupDone()) || ws_gram_ != nullptr || IsGapRound(number);
}

bool LassoSchedulerApp::TakeInFlightInvalidated() {
  const bool invalidated = in_flight_invalidated_;
  in_flight_invalidated_ = false;
  return invalidated;
}

void LassoSchedulerApp::PlanWorkingSet(std::span<const double> xtr, double residual_sq,
                                       core::Payload* cache_update) {
  WorkingSetInputs inputs;
  inputs.b = b_;
  inputs.xtr = xtr;
  inputs.col_sqnorm = col_sqnorm_;
  inputs.predicted = predicted_;
  inputs.lambda = lambda_;
  // working_set_max bounds the Gram (its message and its |W|^2 solve). A column solve ships
  // nothing, so it takes the W the support asks for: capped at 2048 while a saturated p >> n
  // support held 1877 coordinates, each W missed most violators and the job took 19 rounds.
  // With shared data the scheduler holds no columns: W is always solved on its Gram.
  inputs.max_size = shared_ ? params_.working_set_max : data_.x.cols;
  ChooseWorkingSet(inputs, &ws_scratch_, &ws_chosen_);
  auto on_columns = [&] {
    if (shared_) return false;
    int64_t nnz = 0;
    for (int64_t j : ws_chosen_) nnz += data_.x.col_ptr[j + 1] - data_.x.col_ptr[j];
    return PreferResidualSolve(static_cast<int64_t>(ws_chosen_.size()), nnz, data_.x.rows);
  };
  bool solve_on_columns = on_columns();
  if (!solve_on_columns && static_cast<int64_t>(ws_chosen_.size()) > params_.working_set_max) {
    inputs.max_size = params_.working_set_max;
    ChooseWorkingSet(inputs, &ws_scratch_, &ws_chosen_);
    solve_on_columns = on_columns();
  }
  ws_xtr_.assign(xtr.begin(), xtr.end());
  ws_residual_sq_ = residual_sq;
  working_set_size_ = static_cast<int64_t>(ws_chosen_.size());
  if (solve_on_columns) {
    ws_gram_->Clear();  // a later Gram-sized W asks for all its columns again
    gram_pending_ = false;
    SolveWorkingSetOnColumns(cache_update);
    return;
  }
  ws_gram_->Plan(ws_chosen_);
  gram_pending_ = !ws_gram_->complete();
  if (!gram_pending_) SolveWorkingSet(cache_update);
}

absl::StatusOr<core::RoundOutcome> LassoSchedulerApp::PullGram(
    std::span<const core::Partial> partials, core::Payload* cache_update) {
  const int64_t count = GramValueCount(ws_gram_->size(), ws_gram_->num_old());
  if (absl::Status status = SumPartials(partials, static_cast<size_t>(count), &sums_);
      !status.ok()) {
    return status;
  }
  ws_gram_->FillNew(sums_);
  gram_pending_ = false;
  cache_update->clear();
  cache_update->op = kApplyDeltas;
  SolveWorkingSet(cache_update);
  return AfterPull(cache_update);
}

void LassoSchedulerApp::SolveWorkingSet(core::Payload* cache_update) {
  const std::vector<int64_t>& keys = ws_gram_->keys();
  const int64_t n = ws_gram_->size();
  if (n == 0) return;
  ws_start_.resize(n);
  ws_sub_xtr_.resize(n);
  ws_col_sums_.resize(params_.intercept ? n : 0);
  for (int64_t i = 0; i < n; ++i) {
    ws_start_[i] = b_[keys[i]];
    ws_sub_xtr_[i] = ws_xtr_[keys[i]];
    if (params_.intercept) ws_col_sums_[i] = col_sums_[keys[i]];
  }
  GramLassoProblem problem;
  problem.size = n;
  problem.gram = ws_gram_->gram();
  problem.xtr = ws_sub_xtr_;
  problem.start = ws_start_;
  problem.residual_sq = ws_residual_sq_;
  problem.lambda = lambda_;
  problem.intercept = params_.intercept;
  problem.col_sums = ws_col_sums_;
  problem.rows = rows_;
  problem.residual_sum = 0;  // the gap round's intercept step centred the residual
  // Tight enough that a working set holding the support ends the job at the next gap round. (A
  // fraction of the last full gap, as Celer uses, was measured to double the rounds here: each
  // round is a pass over the data, while a solve to the final target costs about as much as a
  // loose one once its active set has settled.)
  problem.gap_target = 0.3 * params_.tolerance * objective_;
  const GramLassoSolution solution = SolveGramLasso(problem);
  ApplyWorkingSetSolution(keys, solution, cache_update);
}

void LassoSchedulerApp::SolveWorkingSetOnColumns(core::Payload* cache_update) {
  const int64_t n = static_cast<int64_t>(ws_chosen_.size());
  if (n == 0) return;
  // r = y - b0 - X b, from the scheduler's copy of the data: O(rows + nnz of the non-zero
  // columns). b0 already holds the gap round's intercept step, so r is centred.
  ws_residual_.assign(data_.y.begin(), data_.y.end());
  for (double& v : ws_residual_) v -= b0_;
  for (int64_t j = 0; j < static_cast<int64_t>(b_.size()); ++j) {
    if (b_[j] == 0) continue;
    const std::span<const int32_t> rows = data_.x.ColRows(j);
    const std::span<const double> values = data_.x.ColValues(j);
    for (size_t k = 0; k < rows.size(); ++k) ws_residual_[rows[k]] -= b_[j] * values[k];
  }
  ws_start_.resize(n);
  for (int64_t i = 0; i < n; ++i) ws_start_[i] = b_[ws_chosen_[i]];
  ResidualLassoProblem problem;
  problem.x = &data_.x;
  problem.keys = ws_chosen_;
  problem.col_sqnorm = col_sqnorm_;
  problem.start = ws_start_;
  problem.lambda = lambda_;
  problem.intercept = params_.intercept;
  // Unlike a Gram solve, a column solve is cheap to start again: its next round is one pass over
  // the data, with no Gram to ship. So while W may still miss violators it is solved only to a
  // tenth of the whole problem's gap (Celer's rule), and to the final target once the gap is
  // small. On saturated p >> n problems, where every solve to the final target ran into its work
  // bound, this halved the total work (binary 2000 x 20000 at 0.01 alpha_max: 2.1e9 -> 1.1e9
  // multiply-adds with the Newton changes; a third of 0.1 and 0.3 cost more).
  problem.gap_target =
      std::max(0.3 * params_.tolerance * objective_, kColumnSolveGapFraction * duality_gap_);
  const GramLassoSolution solution =
      SolveResidualLasso(problem, ws_residual_, &ws_residual_scratch_);
  ++column_solves_;
  RaiseDualBound(ws_residual_scratch_.dual_point);
  ApplyWorkingSetSolution(ws_chosen_, solution, cache_update);
}

void LassoSchedulerApp::RaiseDualBound(std::span<const double> theta) {
  if (theta.size() != data_.y.size()) return;
  // With the intercept theta sums to 0 (the solver centres it), the dual's constraint for the
  // unpenalised column.
  const Eigen::Map<const Eigen::VectorXd> t(theta.data(), static_cast<Eigen::Index>(theta.size()));
  const Eigen::Map<const Eigen::VectorXd> y(data_.y.data(),
                                            static_cast<Eigen::Index>(theta.size()));
  const double dual =
      ScaledDualValue(y.dot(t), t.squaredNorm(), LambdaMax(data_.x, theta), lambda_);
  if (std::isfinite(dual)) dual_bound_ = std::max(dual_bound_, dual);
}

DualityGap LassoSchedulerApp::WithDualBound(DualityGap gap) const {
  if (!(dual_bound_ > gap.dual)) return gap;
  gap.dual = dual_bound_;
  gap.gap = std::max(0.0, gap.primal - gap.dual);
  gap.relative_gap = gap.primal > 0 ? gap.gap / gap.primal : 0.0;
  return gap;
}

void LassoSchedulerApp::ApplyWorkingSetSolution(std::span<const int64_t> keys,
                                                const GramLassoSolution& solution,
                                                core::Payload* cache_update) {
  const int64_t n = static_cast<int64_t>(keys.size());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = keys[i];
    const double old_value = b_[j];
    const double new_value = solution.b[i];
    if (new_value == old_value) continue;
    b_[j] = new_value;
    l1_ += std::abs(new_value) - std::abs(old_value);
    nnz_ += (new_value != 0) - (old_value != 0);
    cache_update->keys.push_back(j);
    cache_update->values.push_back(new_value - old_value);
    ++moved_;
  }
  updates_ += solution.updates;
  inner_sweeps_ += solution.sweeps;
  const int64_t intercept_key = static_cast<int64_t>(b_.size());
  if (params_.intercept && solution.delta_b0 != 0) {
    b0_ += solution.delta_b0;
    // An intercept delta the gap round already put first is merged, so the key appears once.
    if (!cache_update->keys.empty() && cache_update->keys.front() == intercept_key) {
      cache_update->values.front() += solution.delta_b0;
    } else {
      cache_update->keys.push_back(intercept_key);
      cache_update->values.push_back(solution.delta_b0);
    }
  }
  residual_sum_ = 0;
  objective_ = LassoObjective(solution.residual_sq, l1_, lambda_);
}

void LassoSchedulerApp::RecordPathPoint(double objective) {
  path_points_.push_back({lambda_, nnz_, objective, pulls_ + 1 - point_start_pulls_});
}

core::RoundOutcome LassoSchedulerApp::AfterPull(core::Payload* cache_update) {
  ++pulls_;
  cache_update->values.push_back(static_cast<double>(pulls_));
  if (stop_at_max_rounds_ && pulls_ >= params_.max_rounds) return core::RoundOutcome::kStopped;
  return core::RoundOutcome::kContinue;
}

std::string LassoSchedulerApp::EndNote() const {
  if (!solved_at_start_) return {};
  return params_.intercept
             ? "no feature correlates with y - mean(y) (y or every feature is constant), so "
               "lambda_max is 0 and b = 0 with intercept mean(y) solves every lambda"
             : "no feature correlates with y (y is 0, or every feature is), so lambda_max is 0 "
               "and b = 0 solves every lambda";
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
  if (solved_at_start_) out->push_back({"solved_at_start", 1.0});
  out->push_back({"converged", converged_ ? 1.0 : 0.0});
  if (params_.intercept) out->push_back({"intercept", b0_});
  if (path_lambdas_.size() > 1) {
    out->push_back({"path_point", static_cast<double>(path_point_)});
    out->push_back({"path_points", static_cast<double>(path_lambdas_.size())});
  }
  if (rows_ > 0) out->push_back({"alpha", lambda_ / rows_});
  if (schedule_ != nullptr && params_.scheduler == LassoScheduler::kDynamic) {
    out->push_back({"candidates_per_round", schedule_->candidates_per_round()});
    out->push_back({"kept_per_round", schedule_->kept_per_round()});
    out->push_back({"batch_limit", static_cast<double>(schedule_->batch_limit())});
    out->push_back({"undone_rounds", static_cast<double>(undone_rounds_)});
  }
  if (pipeline_depth_ > 1 && planned_batches_ > 0) {
    // What the depth asked for gave: gap rounds run alone and drain the pipeline, so with few
    // columns (a gap round every few rounds) a deep pipeline never fills.
    out->push_back({"mean_rounds_in_flight", static_cast<double>(rounds_in_flight_) /
                                                 static_cast<double>(planned_batches_)});
  }
  if (ws_gram_ != nullptr) {
    out->push_back({"working_set", static_cast<double>(working_set_size_)});
    out->push_back({"column_solves", static_cast<double>(column_solves_)});
    out->push_back({"inner_sweeps", static_cast<double>(inner_sweeps_)});
  }
}

std::vector<double> LassoSchedulerApp::OriginalCoefficients() const {
  std::vector<double> b = b_;
  if (!scales_.empty()) {
    for (size_t j = 0; j < b.size(); ++j) b[j] /= scales_[j];
  }
  return b;
}

absl::Status LassoSchedulerApp::WriteModel(std::ostream& out) const {
  out << "# strads lasso model\n";
  out << absl::StrFormat("# data %s\n", data_path_);
  if (!labels_path_.empty()) out << absl::StrFormat("# labels %s\n", labels_path_);
  out << absl::StrFormat("# lambda %.17g\n", lambda_);
  // The scikit-learn / glmnet scale of the same penalty: 1/(2N)||y - Xb||^2 + alpha ||b||_1.
  out << absl::StrFormat("# alpha %.17g\n", lambda_ / rows_);
  out << absl::StrFormat("# samples %d\n", static_cast<int64_t>(rows_));
  if (params_.intercept) out << absl::StrFormat("# intercept %.17g\n", b0_);
  out << absl::StrFormat("# features %d\n", static_cast<int64_t>(b_.size()));
  out << absl::StrFormat("# nnz %d\n", nnz_);
  out << absl::StrFormat("# objective %.17g\n", objective_);
  if (have_gap_) {
    out << absl::StrFormat("# duality_gap %.17g\n", duality_gap_);
    out << absl::StrFormat("# relative_gap %.17g\n", relative_gap_);
  }
  if (params_.standardize) {
    out << "# standardize: solved with every column divided by its "
        << (params_.intercept ? "standard deviation" : "root mean square")
        << " (lambda, objective and gaps refer to that scale); coefficients are in the original "
           "scale\n";
  }
  if (path_lambdas_.size() > 1) {
    auto write_point = [&out](size_t k, const PathPoint& point) {
      out << absl::StrFormat("# path %d lambda=%.17g nnz=%d objective=%.17g rounds=%d\n", k,
                             point.lambda, point.nnz, point.objective, point.rounds);
    };
    for (size_t k = 0; k < path_points_.size(); ++k) write_point(k, path_points_[k]);
    // A job stopped before solving its current point still says where it got to.
    if (path_points_.size() == path_point_) {
      write_point(path_point_, {lambda_, nnz_, objective_, pulls_ - point_start_pulls_});
    }
  }
  if (params_.intercept) out << "# predict: y = intercept + sum of coefficient * feature\n";
  out << "# format: <feature index, 1-based as in LIBSVM> <coefficient>, non-zeros only\n";
  const std::vector<double> b = OriginalCoefficients();
  for (size_t j = 0; j < b.size(); ++j) {
    if (b[j] == 0) continue;
    out << absl::StrFormat("%d %.17g\n", static_cast<int64_t>(j) + 1, b[j]);
  }
  if (!out) return absl::DataLossError("writing the lasso model failed");
  return absl::OkStatus();
}

namespace {
// Version 2 added the intercept and the path's progress.
constexpr std::string_view kCheckpointTag = "strads-lasso-4";
// Shared data: the setup rounds' findings, then the same as kCheckpointTag's.
constexpr std::string_view kSharedCheckpointTag = "strads-lasso-shared-2";
}  // namespace

absl::Status LassoSchedulerApp::SaveCheckpoint(std::ostream& out) const {
  core::CheckpointWriter writer(out, shared_ ? kSharedCheckpointTag : kCheckpointTag);
  if (shared_) {
    writer.Int(SharedSetupDone() ? 1 : 0);
    if (!SharedSetupDone()) return writer.Finish();  // a resumed job starts over
    WriteSharedSetup(writer);
  }
  writer.Double(path_lambdas_.back());  // the job's lambda, the path's last
  writer.Int(pulls_);
  writer.Int(updates_);
  writer.Int(moved_);
  writer.Int(gap_rounds_);
  writer.Double(objective_);
  writer.Int(have_gap_ ? 1 : 0);
  writer.Double(duality_gap_);
  writer.Double(relative_gap_);
  writer.Doubles(b_);
  writer.Double(b0_);
  writer.Double(residual_sum_);
  writer.Int(static_cast<int64_t>(path_point_));
  writer.Int(point_start_pulls_);
  writer.Int(static_cast<int64_t>(path_points_.size()));
  for (const PathPoint& point : path_points_) {
    writer.Double(point.lambda);
    writer.Int(point.nnz);
    writer.Double(point.objective);
    writer.Int(point.rounds);
  }
  writer.Doubles(schedule_ != nullptr ? schedule_->State() : std::vector<double>{});
  // The batch already drawn for the next round (planned ahead): a resumed job runs it rather
  // than drawing past it, and so continues exactly as it would have.
  // Two of them, the earliest not yet pulled: with rounds in flight the later ones were checked
  // against these, so a resumed job re-runs them in order or draws them afresh.
  const PlannedBatch none;
  const PlannedBatch* kept[2] = {&none, &none};
  for (const PlannedBatch& recent : recent_batches_) {
    if (recent.number <= last_pulled_number_ || recent.number < 0) continue;
    if (kept[0] == &none || recent.number < kept[0]->number) {
      kept[1] = kept[0];
      kept[0] = &recent;
    } else if (kept[1] == &none || recent.number < kept[1]->number) {
      kept[1] = &recent;
    }
  }
  for (const PlannedBatch* recent : kept) {
    writer.Int(recent->number);
    writer.Int(static_cast<int64_t>(recent->keys.size()));
    for (int64_t key : recent->keys) writer.Int(key);
  }
  writer.Int(0);  // was the index of the next slot; kept for the format
  return writer.Finish();
}

absl::Status LassoSchedulerApp::RestoreCheckpoint(std::istream& in) {
  core::CheckpointReader reader(in, shared_ ? kSharedCheckpointTag : kCheckpointTag);
  if (shared_) {
    if (reader.Int() == 0) return reader.Finish();  // taken before the setup rounds ended
    if (absl::Status status = RestoreSharedSetup(reader); !status.ok()) return status;
  }
  const double lambda = reader.Double();
  if (reader.status().ok() && lambda != path_lambdas_.back()) {
    return absl::DataLossError(absl::StrCat("the checkpoint is for lambda ", lambda,
                                            ", the job has ", path_lambdas_.back()));
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
  const double b0 = reader.Double();
  const double residual_sum = reader.Double();
  const int64_t path_point = reader.Int();
  const int64_t point_start_pulls = reader.Int();
  const int64_t num_points = reader.Int();
  const int64_t path_size = static_cast<int64_t>(path_lambdas_.size());
  if (reader.status().ok() && (path_point < 0 || path_point >= path_size || num_points < 0 ||
                               num_points > path_point + 1)) {
    return absl::DataLossError(absl::StrCat("the checkpoint is at path point ", path_point,
                                            " with ", num_points, " solved; the job's path has ",
                                            path_size, " points"));
  }
  std::vector<PathPoint> points;
  for (int64_t k = 0; k < num_points && reader.status().ok(); ++k) {
    PathPoint point;
    point.lambda = reader.Double();
    point.nnz = reader.Int();
    point.objective = reader.Double();
    point.rounds = reader.Int();
    points.push_back(point);
  }
  std::vector<double> schedule_state;
  reader.Doubles(schedule_ != nullptr ? schedule_->state_size() : 0, &schedule_state);
  std::vector<PlannedBatch> recent(kRecentBatches);
  const int64_t features = static_cast<int64_t>(b_.size());
  for (size_t slot = 0; slot < 2; ++slot) {
    PlannedBatch& planned = recent[slot];
    planned.number = reader.Int();
    const int64_t size = reader.Int();
    if (!reader.status().ok()) break;
    if (size < 0 || size > params_.batch) {
      return absl::DataLossError(absl::StrCat("the checkpoint's planned batch has ", size,
                                              " coordinates; the job's batch is ", params_.batch));
    }
    planned.keys.reserve(params_.batch);
    for (int64_t k = 0; k < size && reader.status().ok(); ++k) {
      const int64_t key = reader.Int();
      if (key < 0 || key >= features) {
        return absl::DataLossError("the checkpoint's planned batch does not fit the data");
      }
      planned.keys.push_back(key);
    }
  }
  const int64_t next_recent = reader.Int();
  if (absl::Status status = reader.Finish(); !status.ok()) return status;
  if (next_recent != 0 && next_recent != 1) {
    return absl::DataLossError("the checkpoint's planned batches are malformed");
  }
  if (schedule_ != nullptr) {
    if (absl::Status status = schedule_->SetState(schedule_state); !status.ok()) return status;
  }
  // The working set is rebuilt by the next gap round; the monitor starts over.
  if (ws_gram_ != nullptr) ws_gram_->Clear();
  gram_pending_ = false;
  unverified_ = 0;
  have_verified_ = false;
  in_flight_invalidated_ = false;
  b0_ = b0;
  residual_sum_ = residual_sum;
  path_point_ = static_cast<size_t>(path_point);
  lambda_ = path_lambdas_[path_point_];
  dual_bound_ = -std::numeric_limits<double>::infinity();
  point_start_pulls_ = point_start_pulls;
  path_points_ = std::move(points);
  pulls_ = pulls;
  updates_ = updates;
  moved_ = moved;
  gap_rounds_ = gap_rounds;
  objective_ = objective;
  have_gap_ = have_gap;
  duality_gap_ = duality_gap;
  relative_gap_ = relative_gap;
  b_ = std::move(b);
  recent_batches_ = std::move(recent);
  next_recent_ = 2;
  l1_ = 0;
  nnz_ = 0;
  for (double v : b_) {
    l1_ += std::abs(v);
    nnz_ += v != 0;
  }
  return absl::OkStatus();
}

}  // namespace strads::lasso
