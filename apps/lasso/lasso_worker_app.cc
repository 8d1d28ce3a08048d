#include "apps/lasso/lasso_worker_app.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apps/lasso/lasso_params.h"
#include "apps/lasso/lasso_protocol.h"
#include "core/row_sharding.h"

namespace strads::lasso {
namespace {

// r -= x_j * delta over one column, keeping ||r||^2 current: each entry changes it by
// r_new^2 - r_old^2 = (r_new - r_old)(r_new + r_old). With kTrackSum (the intercept) sum(r) is
// kept current too; without it the loop is exactly the plain one.
template <bool kTrackSum>
void SubtractColumn(const core::CscMatrix& x, int64_t j, double delta, std::vector<double>* r,
                    double* residual_sq, double* residual_sum) {
  const int64_t end = x.col_ptr[j + 1];
  double change = 0;
  double sum_change = 0;
  for (int64_t k = x.col_ptr[j]; k < end; ++k) {
    double& entry = (*r)[x.row_idx[k]];
    const double step = -x.values[k] * delta;
    change += step * (2 * entry + step);
    if constexpr (kTrackSum) sum_change += step;
    entry += step;
  }
  *residual_sq += change;
  if constexpr (kTrackSum) *residual_sum += sum_change;
}

void SubtractColumn(bool track_sum, const core::CscMatrix& x, int64_t j, double delta,
                    std::vector<double>* r, double* residual_sq, double* residual_sum) {
  if (track_sum) {
    SubtractColumn<true>(x, j, delta, r, residual_sq, residual_sum);
  } else {
    SubtractColumn<false>(x, j, delta, r, residual_sq, residual_sum);
  }
}

// Four independent sums break the add dependency chain, so the gathers from r overlap instead
// of waiting on each other (measured: bench/lasso_pass_bandwidth).
double ColumnDot(const core::CscMatrix& x, int64_t j, const std::vector<double>& r) {
  const int64_t begin = x.col_ptr[j];
  const int64_t end = x.col_ptr[j + 1];
  const double* values = x.values.data();
  const int32_t* rows = x.row_idx.data();
  const double* residual = r.data();
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t k = begin;
  for (; k + 4 <= end; k += 4) {
    s0 += values[k] * residual[rows[k]];
    s1 += values[k + 1] * residual[rows[k + 1]];
    s2 += values[k + 2] * residual[rows[k + 2]];
    s3 += values[k + 3] * residual[rows[k + 3]];
  }
  for (; k < end; ++k) s0 += values[k] * residual[rows[k]];
  return (s0 + s1) + (s2 + s3);
}

}  // namespace

absl::Status LassoWorkerApp::Configure(const core::JobSpec& spec) {
  // The scheduler validated these; parsing again keeps a mismatched worker from running a job
  // it does not understand.
  absl::StatusOr<LassoParams> params = ParseLassoParams(spec);
  if (!params.ok()) return params.status();
  intercept_ = params->intercept;
  return absl::OkStatus();
}

absl::Status LassoWorkerApp::AddShard(int shard, std::string_view bytes,
                                      const core::Payload& init) {
  absl::StatusOr<core::LabeledData> data = core::DecodeShard(bytes);
  if (!data.ok()) return data.status();
  if (features_ >= 0 && data->x.cols != features_) {
    return absl::InvalidArgumentError(absl::StrCat("lasso shard ", shard, " has ", data->x.cols,
                                                   " features; other shards have ", features_));
  }
  int64_t version = 0;
  if (!init.empty()) {
    if (init.op != kInitCoefficients || init.values.size() != init.keys.size() + 1) {
      return absl::InvalidArgumentError(absl::StrCat("lasso shard ", shard, ": malformed init (op ",
                                                     init.op, ", ", init.keys.size(), " keys, ",
                                                     init.values.size(), " values)"));
    }
    version = static_cast<int64_t>(init.values.back());
  }
  ShardState state;
  state.data = *std::move(data);
  state.residual = state.data.y;
  const int64_t cols = state.data.x.cols;
  for (size_t i = 0; i < init.keys.size(); ++i) {
    const int64_t j = init.keys[i];
    if (j == cols && intercept_) {
      for (double& v : state.residual) v -= init.values[i];
      continue;
    }
    if (j < 0 || j >= cols) {
      return absl::InvalidArgumentError(
          absl::StrCat("lasso shard ", shard, ": init coefficient ", j, " out of range"));
    }
    SubtractColumn<false>(state.data.x, j, init.values[i], &state.residual, &state.residual_sq,
                          &state.residual_sum);
  }
  state.residual_sq = 0;
  state.residual_sum = 0;
  for (double v : state.residual) {
    state.residual_sq += v * v;
    state.residual_sum += v;
  }
  if (intercept_) {
    state.col_sums.assign(cols, 0.0);
    for (int64_t j = 0; j < cols; ++j) {
      for (int64_t k = state.data.x.col_ptr[j]; k < state.data.x.col_ptr[j + 1]; ++k) {
        state.col_sums[j] += state.data.x.values[k];
      }
    }
  }
  state.version = version;
  features_ = state.data.x.cols;
  shards_.insert_or_assign(shard, std::move(state));
  return absl::OkStatus();
}

void LassoWorkerApp::DropShard(int shard) {
  shards_.erase(shard);
  if (shards_.empty()) features_ = -1;
}

absl::Status LassoWorkerApp::Apply(const core::Payload& update) {
  if (update.empty()) return absl::OkStatus();
  if (update.op != kApplyDeltas || update.values.size() != update.keys.size() + 1) {
    return absl::InvalidArgumentError(absl::StrCat("lasso worker: malformed cache update (op ",
                                                   update.op, ", ", update.keys.size(), " keys, ",
                                                   update.values.size(), " values)"));
  }
  const int64_t version = static_cast<int64_t>(update.values.back());
  for (auto& [shard, state] : shards_) {
    if (state.version >= version) continue;
    if (state.version != version - 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("lasso shard ", shard, " reflects model version ", state.version,
                       " but the update is for version ", version, "; the shard must be re-sent"));
    }
    for (size_t i = 0; i < update.keys.size(); ++i) {
      const int64_t j = update.keys[i];
      if (j == state.data.x.cols && intercept_) {
        state.offset += update.values[i];  // folded into the residual on the next gap round
        continue;
      }
      if (j < 0 || j >= state.data.x.cols) {
        return absl::InvalidArgumentError(
            absl::StrCat("lasso worker: update for coefficient ", j, " out of range"));
      }
      SubtractColumn(intercept_, state.data.x, j, update.values[i], &state.residual,
                     &state.residual_sq, &state.residual_sum);
    }
    state.version = version;
  }
  return absl::OkStatus();
}

absl::Status LassoWorkerApp::Push(const core::Payload& task, core::Partial* out) {
  out->values.clear();
  out->work_units = 0;
  if (shards_.empty()) return absl::OkStatus();
  if (task.op == kPushCoordinates) {
    const size_t num_keys = task.keys.size();
    out->values.assign(num_keys + 1, 0.0);
    for (int64_t j : task.keys) {
      if (j < 0 || j >= features_) {
        return absl::InvalidArgumentError(
            absl::StrCat("lasso worker: coordinate ", j, " out of range [0, ", features_, ")"));
      }
    }
    for (const auto& [shard, state] : shards_) {
      const core::CscMatrix& x = state.data.x;
      for (size_t i = 0; i < num_keys; ++i) {
        const int64_t j = task.keys[i];
        out->values[i] += ColumnDot(x, j, state.residual);
        out->work_units += x.col_ptr[j + 1] - x.col_ptr[j];
      }
      if (state.offset == 0) {
        out->values[num_keys] += state.residual_sq;
        continue;
      }
      // r_p = residual - offset: x_j'r_p = x_j'residual - offset * 1'x_j.
      const double o = state.offset;
      for (size_t i = 0; i < num_keys; ++i) out->values[i] -= o * state.col_sums[task.keys[i]];
      out->values[num_keys] +=
          state.residual_sq - 2 * o * state.residual_sum + static_cast<double>(x.rows) * o * o;
    }
    return absl::OkStatus();
  }
  if (task.op == kComputeGap) {
    out->values.assign(features_ + 1 + (intercept_ ? 1 : 0), 0.0);
    for (auto& [shard, state] : shards_) {
      const core::CscMatrix& x = state.data.x;
      if (state.offset != 0) {
        for (double& v : state.residual) v -= state.offset;
        state.offset = 0;
      }
      for (int64_t j = 0; j < features_; ++j) out->values[j] += ColumnDot(x, j, state.residual);
      // Exact, which also resets the drift of the incremental norm and sum.
      double residual_sq = 0;
      double residual_sum = 0;
      for (double v : state.residual) {
        residual_sq += v * v;
        residual_sum += v;
      }
      state.residual_sq = residual_sq;
      state.residual_sum = residual_sum;
      out->values[features_] += residual_sq;
      if (intercept_) out->values[features_ + 1] += residual_sum;
      out->work_units += x.nnz() + x.rows;
    }
    return absl::OkStatus();
  }
  if (task.op == kComputeGram) {
    if (task.values.size() != 1 || !(task.values[0] >= 0) ||
        task.values[0] > static_cast<double>(task.keys.size())) {
      return absl::InvalidArgumentError("lasso worker: malformed Gram request");
    }
    for (int64_t j : task.keys) {
      if (j < 0 || j >= features_) {
        return absl::InvalidArgumentError(
            absl::StrCat("lasso worker: coordinate ", j, " out of range [0, ", features_, ")"));
      }
    }
    const int64_t num_old = static_cast<int64_t>(task.values[0]);
    out->values.assign(GramValueCount(static_cast<int64_t>(task.keys.size()), num_old), 0.0);
    for (const auto& [shard, state] : shards_) {
      out->work_units += gram_.Accumulate(state.data.x, task.keys, num_old, out->values);
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("lasso worker: unknown task op ", task.op));
}

}  // namespace strads::lasso
