#include "apps/lasso/lasso_worker_app.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/lasso/lasso_params.h"
#include "apps/lasso/lasso_protocol.h"
#include "core/column_sketch.h"
#include "core/data_partition.h"
#include "core/limits.h"
#include "core/row_sharding.h"

namespace strads::lasso {
namespace {

// Loops smaller than this many matrix entries run on the calling thread: waking the team costs
// some microseconds, about what this many entries take.
constexpr int64_t kMinParallelEntries = 32768;
// How much of a shared partition's text a worker holds while parsing it.
constexpr int64_t kPartitionChunkBytes = int64_t{16} << 20;

// r -= x_j * delta over the rows of `blocks` (consecutive blocks of one shard), keeping each
// block's ||r||^2 current: each entry changes it by r_new^2 - r_old^2 = (r_new - r_old)(r_new +
// r_old). With kTrackSum (the intercept) each block's sum(r) is kept current too. Row indices are
// sorted within a column, so the entries of the blocks are one contiguous run of it.
template <bool kTrackSum>
void SubtractColumn(const core::CscMatrix& x, int64_t j, double delta, std::vector<double>* r,
                    std::span<ResidualBlock> blocks) {
  if (blocks.empty()) return;
  const int32_t* rows = x.row_idx.data();
  int64_t k = x.col_ptr[j];
  const int64_t end = x.col_ptr[j + 1];
  if (blocks.front().begin > 0) {
    k = std::lower_bound(rows + k, rows + end, blocks.front().begin) - rows;
  }
  for (ResidualBlock& block : blocks) {
    if (k == end) break;
    double change = 0;
    double sum_change = 0;
    for (; k < end && rows[k] < block.end; ++k) {
      double& entry = (*r)[rows[k]];
      const double step = -x.values[k] * delta;
      change += step * (2 * entry + step);
      if constexpr (kTrackSum) sum_change += step;
      entry += step;
    }
    block.residual_sq += change;
    if constexpr (kTrackSum) block.residual_sum += sum_change;
  }
}

void SubtractColumn(bool track_sum, const core::CscMatrix& x, int64_t j, double delta,
                    std::vector<double>* r, std::span<ResidualBlock> blocks) {
  if (track_sum) {
    SubtractColumn<true>(x, j, delta, r, blocks);
  } else {
    SubtractColumn<false>(x, j, delta, r, blocks);
  }
}

// Blocks of LassoWorkerApp::kRowsPerBlock rows covering [0, rows); at least one.
std::vector<ResidualBlock> CutBlocks(int64_t rows) {
  std::vector<ResidualBlock> blocks;
  for (int64_t begin = 0; begin < rows || blocks.empty(); begin += LassoWorkerApp::kRowsPerBlock) {
    blocks.push_back(
        {.begin = begin, .end = std::min(rows, begin + LassoWorkerApp::kRowsPerBlock)});
  }
  return blocks;
}

// Recomputes a block's norms exactly (which also resets the drift of the incremental ones).
void ExactNorms(const std::vector<double>& r, ResidualBlock* block) {
  double residual_sq = 0;
  double residual_sum = 0;
  for (int64_t i = block->begin; i < block->end; ++i) {
    residual_sq += r[i] * r[i];
    residual_sum += r[i];
  }
  block->residual_sq = residual_sq;
  block->residual_sum = residual_sum;
}

// The shard's ||residual||^2 and sum(residual): its blocks' in block order.
std::pair<double, double> TotalNorms(std::span<const ResidualBlock> blocks) {
  double residual_sq = 0;
  double residual_sum = 0;
  for (const ResidualBlock& block : blocks) {
    residual_sq += block.residual_sq;
    residual_sum += block.residual_sum;
  }
  return {residual_sq, residual_sum};
}

int64_t ColumnEntries(const core::CscMatrix& x, int64_t j) {
  return x.col_ptr[j + 1] - x.col_ptr[j];
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

template <typename Fn>
void LassoWorkerApp::ForParts(int64_t work, Fn&& fn) {
  if (team_ == nullptr || team_->size() == 1 || work < kMinParallelEntries) {
    fn(0, 1);
    return;
  }
  const int parts = team_->size();
  team_->Run([&](int part) { fn(part, parts); });
}

void LassoWorkerApp::UseThreads(core::ThreadTeam* team) {
  team_ = team;
  part_units_.assign(team == nullptr ? 1 : static_cast<size_t>(team->size()), 0);
}

absl::Status LassoWorkerApp::Configure(const core::JobSpec& spec) {
  // The scheduler validated these; parsing again keeps a mismatched worker from running a job
  // it does not understand.
  absl::StatusOr<LassoParams> params = ParseLassoParams(spec);
  if (!params.ok()) return params.status();
  intercept_ = params->intercept;
  standardize_ = params->standardize && params->data_access == DataAccess::kShared;
  shared_stats_ = params->data_access == DataAccess::kShared;
  scales_.clear();
  return absl::OkStatus();
}

absl::Status LassoWorkerApp::ScaleShards(std::span<const double> scales) {
  if (!scales_.empty()) {
    if (!std::equal(scales_.begin(), scales_.end(), scales.begin(), scales.end())) {
      return absl::InvalidArgumentError("lasso worker: the job's column scales changed");
    }
  } else {
    scales_.assign(scales.begin(), scales.end());
  }
  for (auto& [shard, state] : shards_) ScaleShard(&state);
  return absl::OkStatus();
}

void LassoWorkerApp::ScaleShard(ShardState* state) const {
  if (state->scaled || scales_.empty()) return;
  core::CscMatrix& x = state->data.x;
  for (int64_t j = 0; j < x.cols && j < static_cast<int64_t>(scales_.size()); ++j) {
    for (int64_t k = x.col_ptr[j]; k < x.col_ptr[j + 1]; ++k) x.values[k] /= scales_[j];
    if (!state->col_sums.empty()) state->col_sums[j] /= scales_[j];
  }
  state->scaled = true;
}

void LassoWorkerApp::WidenShards(int64_t cols) {
  for (auto& [shard, state] : shards_) {
    core::CscMatrix& x = state.data.x;
    if (x.cols >= cols) continue;
    x.col_ptr.resize(static_cast<size_t>(cols) + 1, x.col_ptr.back());
    if (intercept_) state.col_sums.resize(static_cast<size_t>(cols), 0.0);
    x.cols = cols;
  }
  features_ = std::max(features_, cols);
}

absl::Status LassoWorkerApp::AddShard(int shard, std::string_view bytes,
                                      const core::Payload& init) {
  // A shared-data shard is read from the data set itself; its column count is the largest index
  // in this partition until the scheduler says the job's (init or kStartModel).
  const bool shared = core::IsEncodedDataPartition(bytes);
  int64_t known_features = -1;
  int64_t version = 0;
  std::span<const double> init_scales;
  if (!init.empty()) {
    size_t trailing = init.op == kInitCoefficientsWithFeatures ? 2 : 1;
    if (trailing == 2 && standardize_ && init.values.size() > init.keys.size()) {
      trailing += static_cast<size_t>(std::max(0.0, init.values[init.keys.size()]));
    }
    if ((init.op != kInitCoefficients && init.op != kInitCoefficientsWithFeatures) ||
        init.values.size() != init.keys.size() + trailing) {
      return absl::InvalidArgumentError(absl::StrCat("lasso shard ", shard, ": malformed init (op ",
                                                     init.op, ", ", init.keys.size(), " keys, ",
                                                     init.values.size(), " values)"));
    }
    version = static_cast<int64_t>(init.values.back());
    if (trailing >= 2) known_features = static_cast<int64_t>(init.values[init.keys.size()]);
    if (trailing > 2) {
      init_scales =
          std::span<const double>(init.values).subspan(init.keys.size() + 1, trailing - 2);
    }
  }
  absl::StatusOr<core::LabeledData> data;
  if (shared) {
    absl::StatusOr<core::DataPartition> partition = core::DecodeDataPartition(bytes);
    if (!partition.ok()) return partition.status();
    // Parsed a chunk at a time: the partition's text is never held whole next to its rows.
    core::LibsvmParser parser(core::DescribePartition(*partition));
    if (absl::Status status =
            core::ForEachPartitionChunk(*partition, kPartitionChunkBytes,
                                        [&](std::string_view lines) { return parser.Feed(lines); });
        !status.ok()) {
      // Named by the file and its line, as served data's errors are, not the partition's.
      return parser.failed_line() > 0 ? core::WithFileLine(*partition, parser.failed_line(), status)
                                      : status;
    }
    // A byte range may hold no whole line (more workers than lines, or one long line): an empty
    // shard; the scheduler refuses a data set with no rows at all.
    data = parser.Finish(std::max<int64_t>({known_features, features_, 0}), /*allow_empty=*/true);
    if (!data.ok()) return data.status();
    if (known_features >= 0 && data->x.cols > known_features) {
      return absl::FailedPreconditionError(absl::StrCat(
          core::DescribePartition(*partition), " has feature ", data->x.cols, " but the job has ",
          known_features, "; did the data change during the job?"));
    }
    WidenShards(data->x.cols);
  } else {
    data = core::DecodeShard(bytes);
    if (!data.ok()) return data.status();
    if (features_ >= 0 && data->x.cols != features_) {
      return absl::InvalidArgumentError(absl::StrCat("lasso shard ", shard, " has ", data->x.cols,
                                                     " features; other shards have ", features_));
    }
  }
  ShardState state;
  state.data = *std::move(data);
  if (!init_scales.empty()) {
    // A shard placed after the stats round: its columns are scaled before the coefficients meet
    // them.
    if (scales_.empty()) scales_.assign(init_scales.begin(), init_scales.end());
    ScaleShard(&state);
  }
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
    const core::CscMatrix& x = state.data.x;
    for (int64_t k = x.col_ptr[j]; k < x.col_ptr[j + 1]; ++k) {
      state.residual[x.row_idx[k]] -= x.values[k] * init.values[i];
    }
  }
  state.blocks = CutBlocks(state.data.x.rows);
  for (ResidualBlock& block : state.blocks) ExactNorms(state.residual, &block);
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
  size_t trailing = update.op == kStartModel ? 2 : 1;
  if (update.op == kStartModel && standardize_ && update.values.size() > update.keys.size()) {
    trailing += static_cast<size_t>(std::max(0.0, update.values[update.keys.size()]));
  }
  if ((update.op != kApplyDeltas && update.op != kStartModel) ||
      update.values.size() != update.keys.size() + trailing) {
    return absl::InvalidArgumentError(absl::StrCat("lasso worker: malformed cache update (op ",
                                                   update.op, ", ", update.keys.size(), " keys, ",
                                                   update.values.size(), " values)"));
  }
  const int64_t version = static_cast<int64_t>(update.values.back());
  if (shards_.empty()) return absl::OkStatus();
  if (update.op == kStartModel) {
    const int64_t cols = static_cast<int64_t>(update.values[update.keys.size()]);
    if (cols < features_) {
      return absl::InvalidArgumentError(absl::StrCat("lasso worker: the job has ", cols,
                                                     " features but a shard has ", features_));
    }
    WidenShards(cols);
    if (standardize_) {
      if (absl::Status status = ScaleShards(
              std::span<const double>(update.values).subspan(update.keys.size() + 1, cols));
          !status.ok()) {
        return status;
      }
    }
  }
  int64_t entries = 0;  // per shard, summed over the shards' columns below
  for (const int64_t j : update.keys) {
    if (j == features_ && intercept_) continue;
    if (j < 0 || j >= features_) {
      return absl::InvalidArgumentError(
          absl::StrCat("lasso worker: update for coefficient ", j, " out of range"));
    }
  }
  for (auto& [shard, state] : shards_) {
    if (state.version >= version) continue;
    if (state.version != version - 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("lasso shard ", shard, " reflects model version ", state.version,
                       " but the update is for version ", version, "; the shard must be re-sent"));
    }
    const core::CscMatrix& x = state.data.x;
    entries = 0;
    for (size_t i = 0; i < update.keys.size(); ++i) {
      const int64_t j = update.keys[i];
      if (j == features_) {
        state.offset += update.values[i];  // folded into the residual on the next gap round
      } else {
        entries += ColumnEntries(x, j);
      }
    }
    // Each part owns consecutive row blocks: its residual entries and its blocks' norms.
    ForParts(entries, [&](int part, int parts) {
      const core::IndexRange range =
          core::EvenPart(static_cast<int64_t>(state.blocks.size()), parts, part);
      const std::span<ResidualBlock> blocks(state.blocks.data() + range.begin,
                                            static_cast<size_t>(range.end - range.begin));
      for (size_t i = 0; i < update.keys.size(); ++i) {
        if (update.keys[i] == features_) continue;
        SubtractColumn(intercept_, x, update.keys[i], update.values[i], &state.residual, blocks);
      }
    });
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
    int64_t entries = 0;
    for (const auto& [shard, state] : shards_) {
      for (const int64_t j : task.keys) entries += ColumnEntries(state.data.x, j);
    }
    // Each part owns consecutive keys; a key's value adds the shards in shard order, each one's
    // intercept correction right after its dot, exactly as one thread would.
    ForParts(entries, [&](int part, int parts) {
      const core::IndexRange range = core::EvenPart(static_cast<int64_t>(num_keys), parts, part);
      int64_t units = 0;
      for (const auto& [shard, state] : shards_) {
        const core::CscMatrix& x = state.data.x;
        for (int64_t i = range.begin; i < range.end; ++i) {
          const int64_t j = task.keys[i];
          out->values[i] += ColumnDot(x, j, state.residual);
          units += ColumnEntries(x, j);
        }
        // r_p = residual - offset: x_j'r_p = x_j'residual - offset * 1'x_j.
        if (state.offset == 0) continue;
        for (int64_t i = range.begin; i < range.end; ++i) {
          out->values[i] -= state.offset * state.col_sums[task.keys[i]];
        }
      }
      part_units_[part] = units;
    });
    for (int part = 0; part < static_cast<int>(part_units_.size()); ++part) {
      out->work_units += part_units_[part];
      part_units_[part] = 0;
    }
    for (const auto& [shard, state] : shards_) {
      const auto [residual_sq, residual_sum] = TotalNorms(state.blocks);
      const double o = state.offset;
      out->values[num_keys] += o == 0 ? residual_sq
                                      : residual_sq - 2 * o * residual_sum +
                                            static_cast<double>(state.data.x.rows) * o * o;
    }
    return absl::OkStatus();
  }
  if (task.op == kComputeGap) {
    out->values.assign(features_ + 1 + (intercept_ ? 1 : 0), 0.0);
    int64_t entries = 0;
    for (auto& [shard, state] : shards_) {
      const core::CscMatrix& x = state.data.x;
      const double offset = state.offset;
      state.offset = 0;
      // Fold the pending offset in and recompute the norms exactly, block by block.
      ForParts(x.rows, [&](int part, int parts) {
        const core::IndexRange range =
            core::EvenPart(static_cast<int64_t>(state.blocks.size()), parts, part);
        for (int64_t b = range.begin; b < range.end; ++b) {
          ResidualBlock& block = state.blocks[b];
          if (offset != 0) {
            for (int64_t i = block.begin; i < block.end; ++i) state.residual[i] -= offset;
          }
          ExactNorms(state.residual, &block);
        }
      });
      entries += x.nnz();
      out->work_units += x.nnz() + x.rows;
    }
    // Each part owns consecutive features; a feature's value adds the shards in shard order.
    ForParts(entries, [&](int part, int parts) {
      const core::IndexRange range = core::EvenPart(features_, parts, part);
      for (const auto& [shard, state] : shards_) {
        for (int64_t j = range.begin; j < range.end; ++j) {
          out->values[j] += ColumnDot(state.data.x, j, state.residual);
        }
      }
    });
    for (const auto& [shard, state] : shards_) {
      const auto [residual_sq, residual_sum] = TotalNorms(state.blocks);
      out->values[features_] += residual_sq;
      if (intercept_) out->values[features_ + 1] += residual_sum;
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
  if (task.op == kComputeStats) {
    // Deviations for standardize, and for the intercept's centred steps.
    const bool with_deviations = standardize_ || (intercept_ && shared_stats_);
    const int64_t stride = StatsPerColumn(with_deviations);
    if (const int64_t bytes = 8 * (5 + stride * features_); bytes > core::kMaxMessageBytes) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "with shared data the workers send %d numbers per feature in one message; %d features "
          "take %s, over the %s limit (shared data takes at most %d features%s): use served data "
          "(--data-access served)",
          stride, features_, core::HumanBytes(bytes), core::HumanBytes(core::kMaxMessageBytes),
          core::kMaxMessageBytes / (8 * stride),
          standardize_ ? " with --standardize" : (with_deviations ? " with --intercept" : "")));
    }
    out->values.assign(4 + stride * features_, 0.0);
    out->values[0] = static_cast<double>(features_);
    for (const auto& [shard, state] : shards_) {
      const core::CscMatrix& x = state.data.x;
      out->values[1] += static_cast<double>(x.rows);
      for (double v : state.data.y) {
        out->values[2] += v;
        out->values[3] += v * v;
      }
      for (int64_t j = 0; j < x.cols; ++j) {
        double sq = 0, sum = 0, xty = 0;
        for (int64_t k = x.col_ptr[j]; k < x.col_ptr[j + 1]; ++k) {
          sq += x.values[k] * x.values[k];
          sum += x.values[k];
          xty += x.values[k] * state.data.y[x.row_idx[k]];
        }
        double* column = &out->values[4 + stride * j];
        column[0] += sq;
        column[1] += sum;
        column[2] += xty;
      }
      out->work_units += x.nnz() + x.rows;
    }
    if (with_deviations) {
      // Per column, about this worker's own mean (zeros included): the sum of squared deviations
      // (two passes, so the scheduler's combination over workers stays exact for near-constant
      // columns) and the largest |x|.
      const double rows = out->values[1];
      for (int64_t j = 0; j < features_; ++j) {
        double* column = &out->values[4 + stride * j];
        const double mean = rows > 0 ? column[1] / rows : 0.0;
        double deviations = 0;
        double max_abs = 0;
        int64_t nonzeros = 0;
        for (const auto& [shard, state] : shards_) {
          const core::CscMatrix& x = state.data.x;
          if (j >= x.cols) continue;
          for (int64_t k = x.col_ptr[j]; k < x.col_ptr[j + 1]; ++k) {
            deviations += (x.values[k] - mean) * (x.values[k] - mean);
            max_abs = std::max(max_abs, std::abs(x.values[k]));
          }
          nonzeros += x.col_ptr[j + 1] - x.col_ptr[j];
        }
        column[3] = deviations + (rows - static_cast<double>(nonzeros)) * mean * mean;
        column[4] = max_abs;
      }
    }
    out->values.push_back(static_cast<double>(shards_.size()));
    for (const auto& [shard, state] : shards_) {
      out->values.push_back(shard);
      out->values.push_back(static_cast<double>(state.data.x.rows));
    }
    return absl::OkStatus();
  }
  if (task.op == kComputeSketch) {
    if (task.values.size() != task.keys.size() + 3) {
      return absl::InvalidArgumentError("lasso worker: malformed sketch request");
    }
    core::SketchShape shape;
    shape.width = static_cast<int64_t>(task.values[0]);
    shape.seed = static_cast<uint64_t>(task.values[1]);
    shape.total_rows = static_cast<int64_t>(task.values[2]);
    for (const auto& [shard, state] : shards_) {
      auto it = std::find(task.keys.begin(), task.keys.end(), shard);
      if (it == task.keys.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("lasso worker: no row offset for shard ", shard));
      }
      const int64_t offset = static_cast<int64_t>(task.values[3 + (it - task.keys.begin())]);
      core::AppendColumnSketches(state.data.x, offset, shape, &out->values);
      out->work_units += state.data.x.nnz();
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("lasso worker: unknown task op ", task.op));
}

}  // namespace strads::lasso
