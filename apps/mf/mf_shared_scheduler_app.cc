#include "apps/mf/mf_shared_scheduler_app.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/mf/mf_shared_protocol.h"
#include "apps/mf/model_text.h"
#include "apps/mf/partition_ratings.h"
#include "core/checkpoint_io.h"
#include "core/limits.h"
#include "core/load_balancer.h"

namespace strads::mf {
namespace {

// The MatrixMarket shape of the data at `path` (cut into `parts`), nullopt for ratings text. A
// directory of part-* files must be text: a MatrixMarket matrix is one file.
absl::StatusOr<std::optional<MatrixMarketShape>> MatrixMarketShapeOf(
    const std::string& path, const std::vector<core::DataPartition>& parts) {
  for (const core::DataPartition& part : parts) {
    if (part.pieces.empty()) continue;
    const std::string& first_file = part.pieces.front().path;
    absl::StatusOr<std::optional<MatrixMarketShape>> shape = ReadMatrixMarketShape(first_file);
    if (shape.ok() && shape->has_value() && first_file != path) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, " holds MatrixMarket part files; a MatrixMarket matrix must be one file"));
    }
    return shape;
  }
  return std::nullopt;
}

// Merges (id, count) pairs from many partials into ascending ids and their total counts.
void MergeIdCounts(std::vector<std::pair<int64_t, int64_t>>* pairs, std::vector<int64_t>* ids,
                   std::vector<int64_t>* counts) {
  std::sort(pairs->begin(), pairs->end());
  ids->clear();
  counts->clear();
  for (size_t k = 0; k < pairs->size(); ++k) {
    if (k == 0 || (*pairs)[k].first != (*pairs)[k - 1].first) {
      ids->push_back((*pairs)[k].first);
      counts->push_back(0);
    }
    counts->back() += (*pairs)[k].second;
  }
}

}  // namespace

absl::Status MfSharedSchedulerApp::Prepare(const core::JobSpec& spec, int num_shards) {
  absl::StatusOr<MfParams> params = ParseMfParams(spec);
  if (!params.ok()) return params.status();
  if (num_shards < 1) {
    return absl::InvalidArgumentError(absl::StrCat("num_shards must be >= 1, got ", num_shards));
  }
  absl::StatusOr<std::vector<core::DataPartition>> train =
      core::CutDataPartitions(spec.data_path, num_shards);
  if (!train.ok()) return train.status();
  // MatrixMarket coordinate entries are ratings in any order: each worker reads its byte range,
  // and no range holds the banner, comments or size line.
  absl::StatusOr<std::optional<MatrixMarketShape>> train_shape =
      MatrixMarketShapeOf(spec.data_path, *train);
  if (!train_shape.ok()) return train_shape.status();
  train_shape_ = *train_shape;
  if (train_shape_.has_value()) SkipMatrixMarketHeader(*train_shape_, &*train);
  std::vector<core::DataPartition> test(static_cast<size_t>(num_shards));
  test_shape_.reset();
  if (!spec.test_path.empty()) {
    absl::StatusOr<std::vector<core::DataPartition>> cut =
        core::CutDataPartitions(spec.test_path, num_shards);
    if (!cut.ok()) return cut.status();
    test = *std::move(cut);
    absl::StatusOr<std::optional<MatrixMarketShape>> test_shape =
        MatrixMarketShapeOf(spec.test_path, test);
    if (!test_shape.ok()) return test_shape.status();
    test_shape_ = *test_shape;
    if (test_shape_.has_value()) SkipMatrixMarketHeader(*test_shape_, &test);
  }
  params_ = *std::move(params);
  stop_at_max_rounds_ = spec.max_rounds == 0;
  data_path_ = spec.data_path;
  test_path_ = spec.test_path;
  train_parts_ = *std::move(train);
  test_parts_ = std::move(test);
  solve_ = {.rank = params_.rank,
            .lambda = params_.lambda,
            .reg = params_.reg,
            .bias_lambda = params_.bias_lambda,
            .biases = params_.biases,
            .mu = 0};
  started_ = false;
  user_ids_.clear();
  item_ids_.clear();
  w_.clear();
  h_.clear();
  busy_.clear();
  test_duplicates_ = 0;
  pulls_ = 0;
  previous_objective_ = {-1.0, -1.0};
  converged_ = false;
  evaluate_then_.reset();
  return absl::OkStatus();
}

absl::StatusOr<std::string> MfSharedSchedulerApp::ShardBytes(int shard) const {
  if (shard < 0 || shard >= num_shards()) {
    return absl::OutOfRangeError(
        absl::StrCat("mf shard ", shard, " does not exist; the job has ", num_shards()));
  }
  return EncodeSharedShard(train_parts_[shard], test_parts_[shard], train_shape_, test_shape_);
}

void MfSharedSchedulerApp::ShardInit(int shard, core::Payload* init) const {
  init->clear();
  init->op = kInitSharedShard;
  init->keys = {params_.rank, started_ ? 1 : 0};
  init->values = {solve_.lambda, solve_.bias_lambda};
  if (!started_) return;
  init->keys.push_back(static_cast<int64_t>(user_ids_.size()));
  init->keys.push_back(static_cast<int64_t>(item_ids_.size()));
  init->keys.insert(init->keys.end(), user_ids_.begin(), user_ids_.end());
  init->keys.insert(init->keys.end(), item_ids_.begin(), item_ids_.end());
  init->values.insert(init->values.end(), {solve_.mu, min_rating_, max_rating_});
  init->values.insert(init->values.end(), w_.begin(), w_.end());
  init->values.insert(init->values.end(), h_.begin(), h_.end());
}

void MfSharedSchedulerApp::Schedule(std::span<const core::WorkerView> workers,
                                    core::RoundPlan* plan) {
  int32_t op = kSharedIndex;
  if (evaluate_then_.has_value()) {
    op = kSharedEvaluate;
  } else if (started_) {
    op = pulls_ % 2 == 0 ? kSharedUpdateUsers : kSharedUpdateItems;
  }
  for (core::Payload& task : plan->tasks) {
    task.clear();
    task.op = op;
  }
}

absl::StatusOr<core::RoundOutcome> MfSharedSchedulerApp::Pull(
    const core::RoundPlan& plan, std::span<const core::Partial> partials,
    core::Payload* cache_update) {
  cache_update->clear();
  if (plan.tasks.empty() || partials.size() != plan.tasks.size()) {
    return absl::InternalError(
        absl::StrCat("mf pull: ", partials.size(), " partials for ", plan.tasks.size(), " tasks"));
  }
  switch (plan.tasks[0].op) {
    case kSharedIndex:
      return PullIndex(partials, cache_update);
    case kSharedUpdateUsers:
    case kSharedUpdateItems:
      return PullRows(plan.tasks[0].op == kSharedUpdateUsers, partials, cache_update);
    case kSharedEvaluate:
      return PullEvaluation(partials);
    default:
      return absl::InternalError(absl::StrCat("mf pull: unknown task op ", plan.tasks[0].op));
  }
}

absl::StatusOr<core::RoundOutcome> MfSharedSchedulerApp::PullIndex(
    std::span<const core::Partial> partials, core::Payload* cache_update) {
  std::vector<bool> reported(train_parts_.size(), false);
  std::vector<std::pair<int64_t, int64_t>> users;
  std::vector<std::pair<int64_t, int64_t>> items;
  double ratings = 0, sum = 0, duplicates = 0, test_ratings = 0, test_duplicates = 0;
  for (size_t w = 0; w < partials.size(); ++w) {
    const std::vector<double>& v = partials[w].values;
    if (v.empty()) continue;
    auto malformed = [&] {
      return absl::InternalError(absl::StrCat("mf pull: malformed index from worker ", w));
    };
    const size_t shards = static_cast<size_t>(v[0]);
    const size_t header = 1 + shards + 9;
    if (v.size() < header) return malformed();
    for (size_t s = 1; s <= shards; ++s) {
      const int64_t shard = static_cast<int64_t>(v[s]);
      if (shard < 0 || shard >= num_shards() || reported[shard]) return malformed();
      reported[shard] = true;
    }
    const double* stats = v.data() + 1 + shards;
    const size_t u = static_cast<size_t>(stats[7]);
    const size_t i = static_cast<size_t>(stats[8]);
    if (v.size() != header + 2 * (u + i)) return malformed();
    if (stats[0] > 0) {
      min_rating_ = ratings == 0 ? stats[2] : std::min(min_rating_, stats[2]);
      max_rating_ = ratings == 0 ? stats[3] : std::max(max_rating_, stats[3]);
    }
    ratings += stats[0];
    sum += stats[1];
    duplicates += stats[4];
    test_ratings += stats[5];
    test_duplicates += stats[6];
    for (size_t k = 0; k < u; ++k) {
      users.emplace_back(static_cast<int64_t>(v[header + 2 * k]),
                         static_cast<int64_t>(v[header + 2 * k + 1]));
    }
    for (size_t k = 0; k < i; ++k) {
      items.emplace_back(static_cast<int64_t>(v[header + 2 * (u + k)]),
                         static_cast<int64_t>(v[header + 2 * (u + k) + 1]));
    }
  }
  for (size_t shard = 0; shard < reported.size(); ++shard) {
    if (!reported[shard]) {
      return absl::InternalError(absl::StrCat("mf pull: no index of shard ", shard));
    }
  }
  if (ratings == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        data_path_,
        ": no ratings; expected 'user item rating [timestamp]' lines or MatrixMarket entries"));
  }
  // Every entry line is a rating or a repeat of one: their number must be what the size line says.
  auto check_entries = [](const std::optional<MatrixMarketShape>& shape, const std::string& path,
                          double read) -> absl::Status {
    if (!shape.has_value() || read == static_cast<double>(shape->entries)) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat(path, ": the size line declares ",
                                                   shape->entries, " entries but the file has ",
                                                   read, " (truncated?)"));
  };
  if (absl::Status status = check_entries(train_shape_, data_path_, ratings + duplicates);
      !status.ok()) {
    return status;
  }
  if (absl::Status status = check_entries(test_shape_, test_path_, test_ratings + test_duplicates);
      !status.ok()) {
    return status;
  }
  MergeIdCounts(&users, &user_ids_, &user_ratings_);
  MergeIdCounts(&items, &item_ids_, &item_ratings_);
  // A new worker gets both factors in its shard's init, one message.
  const int64_t model_bytes =
      8 * RowStride(params_.rank) * static_cast<int64_t>(user_ids_.size() + item_ids_.size());
  if (model_bytes > core::kMaxMessageBytes / 2) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d users and %d items at rank %d make a model of %s, over half the %s message limit "
        "that shared data sends it in: lower --rank, or use served data",
        user_ids_.size(), item_ids_.size(), params_.rank, core::HumanBytes(model_bytes),
        core::HumanBytes(core::kMaxMessageBytes)));
  }
  ratings_ = static_cast<int64_t>(ratings);
  duplicates_ = static_cast<int64_t>(duplicates);
  test_ratings_ = static_cast<int64_t>(test_ratings);
  test_duplicates_ = static_cast<int64_t>(test_duplicates);
  solve_.mu = params_.biases ? sum / ratings : 0.0;
  solver_.emplace(solve_);
  InitFactors(static_cast<int64_t>(user_ids_.size()), static_cast<int64_t>(item_ids_.size()),
              params_.rank, params_.seed, &w_, &h_);
  started_ = true;

  cache_update->op = kSharedStart;
  cache_update->keys = {static_cast<int64_t>(user_ids_.size()),
                        static_cast<int64_t>(item_ids_.size())};
  cache_update->keys.insert(cache_update->keys.end(), user_ids_.begin(), user_ids_.end());
  cache_update->keys.insert(cache_update->keys.end(), item_ids_.begin(), item_ids_.end());
  cache_update->values = {solve_.mu, min_rating_, max_rating_};
  return core::RoundOutcome::kContinue;
}

absl::StatusOr<core::RoundOutcome> MfSharedSchedulerApp::PullRows(
    bool users, std::span<const core::Partial> partials, core::Payload* cache_update) {
  const int64_t dim = solve_.biases ? solve_.rank + 1 : solve_.rank;
  const int64_t stride = RowStride(solve_.rank);
  const size_t per_row = 2 + static_cast<size_t>(NormalEquationsSize(dim));
  std::vector<double>& factor = users ? w_ : h_;
  const std::vector<int64_t>& row_ratings = users ? user_ratings_ : item_ratings_;
  const int64_t rows = static_cast<int64_t>(row_ratings.size());

  // Every partial lists its rows ascending: walk them together, adding each row's sums in worker
  // order, and solve it.
  double test_error = 0, test_scored = 0, test_unknown = 0;
  cursor_.assign(partials.size(), kSharedUpdateHeader);
  for (size_t w = 0; w < partials.size(); ++w) {
    const std::vector<double>& v = partials[w].values;
    if (v.empty()) {
      cursor_[w] = 0;
      continue;
    }
    if (v.size() < kSharedUpdateHeader ||
        v.size() != kSharedUpdateHeader + static_cast<size_t>(v[3]) * per_row) {
      return absl::InternalError(absl::StrCat("mf pull: worker ", w, " sent ", v.size(),
                                              " values, not whole rows of ", per_row));
    }
    test_error += v[0];
    test_scored += v[1];
    test_unknown += v[2];
  }
  std::vector<double> sums(static_cast<size_t>(NormalEquationsSize(dim)));
  double squared_error = 0;
  for (int64_t r = 0; r < rows; ++r) {
    std::fill(sums.begin(), sums.end(), 0.0);
    int64_t count = 0;
    for (size_t w = 0; w < partials.size(); ++w) {
      const std::vector<double>& v = partials[w].values;
      if (cursor_[w] >= v.size() || static_cast<int64_t>(v[cursor_[w]]) != r) continue;
      const double* at = v.data() + cursor_[w];
      count += static_cast<int64_t>(at[1]);
      for (size_t e = 0; e < sums.size(); ++e) sums[e] += at[2 + e];
      cursor_[w] += per_row;
    }
    if (count != row_ratings[r]) {
      return absl::InternalError(absl::StrCat("mf pull: ", users ? "user" : "item", " row ", r,
                                              " had ", count, " of its ", row_ratings[r],
                                              " ratings in the round"));
    }
    squared_error += solver_->SolveFromSums(sums.data() + 1 + dim, sums.data() + 1, sums[0], count,
                                            factor.data() + r * stride);
  }
  for (size_t w = 0; w < partials.size(); ++w) {
    if (cursor_[w] != partials[w].values.size()) {
      return absl::InternalError(absl::StrCat("mf pull: worker ", w, " sent rows out of order"));
    }
  }
  busy_.resize(partials.size());
  for (size_t w = 0; w < partials.size(); ++w) busy_[w] = partials[w].busy_seconds;
  ++pulls_;
  // The workers scored the test ratings on the model they held: the one before this round.
  if (test_scored > 0) test_rmse_ = std::sqrt(test_error / test_scored);
  test_unknown_ = static_cast<int64_t>(test_unknown);
  train_rmse_ = std::sqrt(squared_error / static_cast<double>(ratings_));
  objective_ = squared_error + Regularizer(solve_, user_ratings_, item_ratings_, w_, h_);
  if (!std::isfinite(objective_)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "diverged at round %d: objective %g is not finite; check the scale of the ratings and "
        "of --lambda (either too large overflows the objective)",
        pulls_, objective_));
  }
  cache_update->op = users ? kSharedUserRows : kSharedItemRows;
  cache_update->values = factor;

  // The stopping rule of served data (MfSchedulerApp::Pull).
  double& previous = previous_objective_[users ? 0 : 1];
  const bool settled = ObjectiveSettled(previous, objective_, params_.tolerance);
  previous = objective_;
  if (settled) {
    converged_ = true;
    return Finish(core::RoundOutcome::kConverged);
  }
  if (pulls_ >= params_.max_rounds) {
    // The app's own limit, or the job's budget, where the engine stops as it does for served
    // data (once the evaluation round is in).
    return Finish(stop_at_max_rounds_ ? core::RoundOutcome::kStopped
                                      : core::RoundOutcome::kContinue);
  }
  return core::RoundOutcome::kContinue;
}

core::RoundOutcome MfSharedSchedulerApp::Finish(core::RoundOutcome outcome) {
  if (test_ratings_ == 0) return outcome;
  evaluate_then_ = outcome;
  return core::RoundOutcome::kContinue;
}

absl::StatusOr<core::RoundOutcome> MfSharedSchedulerApp::PullEvaluation(
    std::span<const core::Partial> partials) {
  double error = 0, scored = 0;
  for (size_t w = 0; w < partials.size(); ++w) {
    const std::vector<double>& v = partials[w].values;
    if (v.empty()) continue;
    if (v.size() != 2) {
      return absl::InternalError(absl::StrCat("mf pull: malformed evaluation from worker ", w));
    }
    error += v[0];
    scored += v[1];
  }
  if (scored > 0) test_rmse_ = std::sqrt(error / scored);
  const core::RoundOutcome outcome = *evaluate_then_;
  evaluate_then_.reset();
  return outcome;
}

std::optional<double> MfSharedSchedulerApp::test_rmse() const {
  if (test_ratings_ == 0) return std::nullopt;
  return test_rmse_;
}

void MfSharedSchedulerApp::Metrics(std::vector<core::Metric>* out) const {
  out->push_back({"data_access_shared", 1.0});
  out->push_back({"lambda", solve_.lambda});
  out->push_back({"als_wr", params_.reg == Regularization::kWeighted ? 1.0 : 0.0});
  out->push_back({"biases", params_.biases ? 1.0 : 0.0});
  out->push_back({"bias_lambda", solve_.bias_lambda});
  out->push_back({"rounds", static_cast<double>(pulls_)});
  out->push_back({"converged", converged_ ? 1.0 : 0.0});
  if (!started_) return;
  out->push_back({"mu", solve_.mu});
  out->push_back({"duplicates", static_cast<double>(duplicates_)});
  out->push_back({"users", static_cast<double>(user_ids_.size())});
  out->push_back({"items", static_cast<double>(item_ids_.size())});
  out->push_back({"train_ratings", static_cast<double>(ratings_)});
  out->push_back({"test_ratings", static_cast<double>(test_ratings_)});
  out->push_back({"test_duplicates", static_cast<double>(test_duplicates_)});
  if (!busy_.empty()) {
    for (size_t w = 0; w < busy_.size(); ++w) {
      out->push_back({absl::StrCat("busy_seconds_worker_", w), busy_[w]});
    }
    out->push_back({"busy_spread", core::Spread(busy_)});
  }
  if (pulls_ == 0) return;  // no model error yet: the first round measures it
  out->push_back({"train_rmse", train_rmse_});
  if (test_ratings_ > 0) {
    out->push_back({"test_rmse", test_rmse_});
    out->push_back({"test_unknown_entries", static_cast<double>(test_unknown_)});
  }
  out->push_back({"objective", objective_});
}

namespace {
// 2: test_duplicates.
constexpr std::string_view kCheckpointTag = "strads-mf-shared-2";

}  // namespace

absl::Status MfSharedSchedulerApp::SaveCheckpoint(std::ostream& out) const {
  core::CheckpointWriter writer(out, kCheckpointTag);
  writer.Int(started_ ? 1 : 0);
  if (started_) {
    writer.Int(params_.rank);
    writer.Double(solve_.lambda);
    writer.Double(solve_.bias_lambda);
    writer.Double(solve_.mu);
    writer.Double(min_rating_);
    writer.Double(max_rating_);
    writer.Int(ratings_);
    writer.Int(duplicates_);
    writer.Int(test_ratings_);
    writer.Int(test_duplicates_);
    writer.Int(test_unknown_);
    writer.Ints(user_ids_);
    writer.Ints(user_ratings_);
    writer.Ints(item_ids_);
    writer.Ints(item_ratings_);
    writer.Int(pulls_);
    writer.Double(train_rmse_);
    writer.Double(test_rmse_);
    writer.Double(objective_);
    writer.Double(previous_objective_[0]);
    writer.Double(previous_objective_[1]);
    writer.Int(converged_ ? 1 : 0);
    writer.Int(evaluate_then_.has_value() ? static_cast<int64_t>(*evaluate_then_) : -1);
    writer.Doubles(w_);
    writer.Doubles(h_);
  }
  return writer.Finish();
}

absl::Status MfSharedSchedulerApp::RestoreCheckpoint(std::istream& in) {
  core::CheckpointReader reader(in, kCheckpointTag);
  if (reader.Int() == 0) return reader.Finish();  // taken before the index round: start over
  const int64_t rank = reader.Int();
  const double lambda = reader.Double();
  const double bias_lambda = reader.Double();
  if (reader.status().ok() &&
      (rank != params_.rank || lambda != solve_.lambda || bias_lambda != solve_.bias_lambda)) {
    return absl::DataLossError(
        absl::StrFormat("the checkpoint has rank %d and lambda %.17g, the job %d and %.17g", rank,
                        lambda, params_.rank, solve_.lambda));
  }
  const double mu = reader.Double();
  const double min_rating = reader.Double();
  const double max_rating = reader.Double();
  const int64_t ratings = reader.Int();
  const int64_t duplicates = reader.Int();
  const int64_t test_ratings = reader.Int();
  const int64_t test_duplicates = reader.Int();
  const int64_t test_unknown = reader.Int();
  // Ids and counts travel in one message to each worker: the limit bounds them.
  constexpr int64_t kMaxRows = core::kMaxMessageBytes / 8;
  std::vector<int64_t> user_ids, user_ratings, item_ids, item_ratings;
  reader.IntsUpTo(kMaxRows, &user_ids);
  reader.IntsUpTo(kMaxRows, &user_ratings);
  reader.IntsUpTo(kMaxRows, &item_ids);
  reader.IntsUpTo(kMaxRows, &item_ratings);
  const int64_t pulls = reader.Int();
  const double train_rmse = reader.Double();
  const double test_rmse = reader.Double();
  const double objective = reader.Double();
  const double previous_users = reader.Double();
  const double previous_items = reader.Double();
  const bool converged = reader.Int() != 0;
  const int64_t evaluate_then = reader.Int();
  const size_t stride = static_cast<size_t>(RowStride(params_.rank));
  std::vector<double> w, h;
  reader.Doubles(user_ids.size() * stride, &w);
  reader.Doubles(item_ids.size() * stride, &h);
  if (absl::Status status = reader.Finish(); !status.ok()) return status;
  if (user_ratings.size() != user_ids.size() || item_ratings.size() != item_ids.size() ||
      !std::is_sorted(user_ids.begin(), user_ids.end()) ||
      !std::is_sorted(item_ids.begin(), item_ids.end()) || ratings <= 0) {
    return absl::DataLossError("the checkpoint's ids and counts do not fit together");
  }
  solve_.mu = mu;
  min_rating_ = min_rating;
  max_rating_ = max_rating;
  ratings_ = ratings;
  duplicates_ = duplicates;
  test_ratings_ = test_ratings;
  test_duplicates_ = test_duplicates;
  test_unknown_ = test_unknown;
  user_ids_ = std::move(user_ids);
  user_ratings_ = std::move(user_ratings);
  item_ids_ = std::move(item_ids);
  item_ratings_ = std::move(item_ratings);
  pulls_ = pulls;
  train_rmse_ = train_rmse;
  test_rmse_ = test_rmse;
  objective_ = objective;
  previous_objective_ = {previous_users, previous_items};
  converged_ = converged;
  evaluate_then_.reset();
  if (evaluate_then >= 0) evaluate_then_ = static_cast<core::RoundOutcome>(evaluate_then);
  w_ = std::move(w);
  h_ = std::move(h);
  solver_.emplace(solve_);
  started_ = true;
  return absl::OkStatus();
}

absl::Status MfSharedSchedulerApp::WriteModel(std::ostream& out) const {
  const ModelHeader header{.data_path = data_path_,
                           .test_path = test_path_,
                           .rank = params_.rank,
                           .lambda = solve_.lambda,
                           .lambda_auto = false,
                           .reg = params_.reg,
                           .biases = params_.biases,
                           .bias_lambda = solve_.bias_lambda,
                           .mu = solve_.mu,
                           .min_rating = min_rating_,
                           .max_rating = max_rating_,
                           .users = static_cast<int64_t>(user_ids_.size()),
                           .items = static_cast<int64_t>(item_ids_.size()),
                           .ratings = ratings_,
                           .duplicates = duplicates_,
                           .rounds = pulls_,
                           .train_rmse = train_rmse_,
                           .test_rmse = test_rmse(),
                           .objective = objective_};
  auto id_of = [](const std::vector<int64_t>& ids) {
    return [&ids](int64_t row, std::string* line) {
      char text[24];
      line->append(text, std::to_chars(text, text + sizeof(text), ids[row]).ptr);
    };
  };
  return WriteModelText(header, id_of(user_ids_), id_of(item_ids_), w_, h_, out);
}

}  // namespace strads::mf
