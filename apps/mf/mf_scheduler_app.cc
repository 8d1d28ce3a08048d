#include "apps/mf/mf_scheduler_app.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/mf/lambda_search.h"
#include "apps/mf/mf_math.h"
#include "apps/mf/mf_protocol.h"
#include "apps/mf/mf_shard.h"
#include "apps/mf/mf_task.h"
#include "apps/mf/model_text.h"
#include "core/checkpoint_io.h"

namespace strads::mf {
namespace {

std::vector<int64_t> RowWork(const RatingsCsr& m) {
  std::vector<int64_t> work(m.rows);
  for (int64_t r = 0; r < m.rows; ++r) work[r] = m.RowNnz(r);
  return work;
}

// The [begin, end) pairs of rows a task solves (none for an empty task).
std::span<const int64_t> SolveRanges(const core::Payload& task) {
  if (task.keys.size() < kTaskHeaderKeys) return {};
  return std::span<const int64_t>(task.keys).subspan(kTaskHeaderKeys,
                                                     static_cast<size_t>(2 * task.keys[0]));
}

int64_t RowsIn(std::span<const int64_t> ranges) {
  int64_t rows = 0;
  for (size_t k = 0; k + 1 < ranges.size(); k += 2) rows += ranges[k + 1] - ranges[k];
  return rows;
}

// The boundaries of the balancer's first split of `work` over `parts` equally fast workers.
std::vector<int64_t> FirstSplit(const core::LoadBalancerOptions& options,
                                std::span<const int64_t> work, int parts) {
  core::LoadBalancer balancer(options);
  const std::vector<double> equal(static_cast<size_t>(parts), 1.0);
  balancer.Reset(work, equal);
  return {balancer.boundaries().begin(), balancer.boundaries().end()};
}

}  // namespace

absl::Status MfSchedulerApp::Prepare(const core::JobSpec& spec, int num_shards) {
  absl::StatusOr<MfParams> params = ParseMfParams(spec);
  if (!params.ok()) return params.status();
  if (num_shards < 1) {
    return absl::InvalidArgumentError(absl::StrCat("num_shards must be >= 1, got ", num_shards));
  }
  absl::StatusOr<TrainingRatings> train = ReadTrainingRatings(spec.data_path);
  if (!train.ok()) return train.status();
  TestRatings test;
  if (!spec.test_path.empty()) {
    absl::StatusOr<TestRatings> read = ReadTestRatings(spec.test_path, *train);
    if (!read.ok()) return read.status();
    test = *std::move(read);
  }

  params_ = *std::move(params);
  lambda_choice_.reset();
  if (params_.lambda_auto) {
    absl::StatusOr<LambdaChoice> choice =
        ChooseLambda(*train, {.rank = params_.rank,
                              .reg = params_.reg,
                              .bias_lambda = params_.bias_lambda,
                              .search_bias_lambda = !params_.bias_lambda_given,
                              .biases = params_.biases,
                              .seed = params_.seed,
                              .max_rounds = params_.max_rounds,
                              .tolerance = params_.tolerance,
                              .folds = params_.lambda_folds});
    if (!choice.ok()) return choice.status();
    params_.lambda = choice->lambda;
    params_.bias_lambda = choice->bias_lambda;
    lambda_choice_ = *std::move(choice);
  }
  stop_at_max_rounds_ = spec.max_rounds == 0;
  data_path_ = spec.data_path;
  test_path_ = spec.test_path;
  num_shards_ = num_shards;
  train_ = *std::move(train);
  test_ = std::move(test);
  user_work_ = RowWork(train_.by_user);
  item_work_ = RowWork(train_.by_item);
  solve_ = {.rank = params_.rank,
            .lambda = params_.lambda,
            .reg = params_.reg,
            .bias_lambda = params_.bias_lambda,
            .biases = params_.biases,
            .mu = params_.biases ? train_.mean : 0.0};
  predictor_ = {.rank = params_.rank,
                .mu = solve_.mu,
                .min_rating = train_.min_rating,
                .max_rating = train_.max_rating};
  InitFactors(train_.by_user.rows, train_.by_item.rows, params_.rank, params_.seed, &w_, &h_);

  // The starting point's error, so progress before the first round is meaningful.
  const double squared_error = TrainSquaredError(train_, solve_, w_, h_);
  const double nnz = static_cast<double>(train_.by_user.nnz());
  train_rmse_ = std::sqrt(squared_error / nnz);
  test_rmse_ = test_.size() > 0 ? std::sqrt(TestSquaredError(test_, predictor_, w_, h_) /
                                            static_cast<double>(test_.size()))
                                : 0;
  objective_ = squared_error + Regularizer(solve_, train_, w_, h_);

  // A row's fixed cost (the K x K system's set-up, Cholesky and solves, and the call overheads
  // of small dynamic-size Eigen matrices) is worth about 10 + 0.6 K ratings: measured with
  // RowSolver on rows of 1 and 100 ratings, 12 / 19 / 21 / 41 ratings at K = 4 / 10 / 20 / 50.
  // A good first guess matters here, as the first split is also the shards: what the
  // measurements correct later moves ratings between workers. Moving rows costs more here than
  // in general (their ratings travel, and the scheduler recomputes the factor rows each worker
  // needs), hence a wider dead band than the default; timing noise is handled by the noise band.
  const core::LoadBalancerOptions balance{
      .mode = params_.balance,
      .row_overhead = 10 + 0.6 * static_cast<double>(params_.rank),
      .dead_band = 0.06};
  user_balancer_ = core::LoadBalancer(balance);
  item_balancer_ = core::LoadBalancer(balance);
  // The shards are the split the balancer starts from, so that at the start every worker holds
  // exactly the rows it is given and no ratings move.
  user_blocks_ = FirstSplit(balance, user_work_, num_shards);
  item_blocks_ = FirstSplit(balance, item_work_, num_shards);
  user_holdings_.Reset(train_.by_user.rows);
  item_holdings_.Reset(train_.by_item.rows);
  member_shards_.clear();
  needed_ = {};
  column_mark_.clear();
  factor_rows_sent_ = 0;
  ratings_sent_ = 0;
  factor_rows_sent_total_ = 0;
  factor_rows_broadcast_total_ = 0;
  ratings_sent_total_ = 0;
  speeds_ = {core::WorkerSpeeds(), core::WorkerSpeeds()};
  seconds_per_unit_.clear();
  can_work_.clear();
  placement_.clear();
  slot_worker_.clear();
  worker_slot_.clear();
  pulls_ = 0;
  previous_objective_ = {-1.0, -1.0};
  converged_ = false;
  rows_moved_ = 0;
  busy_.clear();
  busy_rounds_ = 0;
  have_started_ = false;
  elapsed_seconds_ = 0;
  last_round_seconds_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<std::string> MfSchedulerApp::ShardBytes(int shard) const {
  if (shard < 0 || shard >= num_shards_) {
    return absl::OutOfRangeError(
        absl::StrCat("mf shard ", shard, " does not exist; the job has ", num_shards_));
  }
  return EncodeShard(train_.by_user, user_blocks_[shard], user_blocks_[shard + 1], train_.by_item,
                     item_blocks_[shard], item_blocks_[shard + 1]);
}

void MfSchedulerApp::ShardInit(int shard, core::Payload* init) const {
  init->clear();
  init->op = kInitShard;
  init->keys = {train_.by_user.rows, train_.by_item.rows, params_.rank};
  // The resolved lambda (lambda=auto is chosen here, not by the workers) and mu.
  init->values = {solve_.lambda, solve_.mu, solve_.bias_lambda};
}

void MfSchedulerApp::SyncMembers(std::span<const core::WorkerView> workers) {
  auto add_blocks = [&](uint64_t member, int shard) {
    user_holdings_.AddRange(member, user_blocks_[shard], user_blocks_[shard + 1]);
    item_holdings_.AddRange(member, item_blocks_[shard], item_blocks_[shard + 1]);
  };
  std::vector<uint64_t> live;
  for (const core::WorkerView& view : workers) {
    live.push_back(view.member);
    auto known = member_shards_.find(view.member);
    if (known == member_shards_.end()) {
      user_holdings_.AddMember(view.member);
      item_holdings_.AddMember(view.member);
      for (int shard : view.shards) add_blocks(view.member, shard);
      member_shards_[view.member] = view.shards;
      continue;
    }
    if (known->second == view.shards) continue;
    // The worker dropped shards before adding any (the engine sends drops first).
    for (int shard : known->second) {
      if (std::find(view.shards.begin(), view.shards.end(), shard) != view.shards.end()) continue;
      user_holdings_.DropRange(view.member, user_blocks_[shard], user_blocks_[shard + 1]);
      item_holdings_.DropRange(view.member, item_blocks_[shard], item_blocks_[shard + 1]);
    }
    for (int shard : view.shards) {
      if (std::find(known->second.begin(), known->second.end(), shard) != known->second.end()) {
        continue;
      }
      add_blocks(view.member, shard);
    }
    known->second = view.shards;
  }
  if (member_shards_.size() != live.size()) {
    absl::erase_if(member_shards_, [&](const auto& entry) {
      return std::find(live.begin(), live.end(), entry.first) == live.end();
    });
    user_holdings_.RetainOnly(live);
    item_holdings_.RetainOnly(live);
  }
}

void MfSchedulerApp::WriteWorkerTask(bool users, size_t w, const core::WorkerView& view,
                                     int64_t begin, int64_t end, core::Payload* task) {
  const RatingsCsr& m = users ? train_.by_user : train_.by_item;
  RowHoldings& holdings = users ? user_holdings_ : item_holdings_;
  drop_.clear();
  add_.clear();
  holdings.MoveTo(view.member, begin, end, &drop_, &add_);
  std::vector<NeededRows>& needed = needed_[users ? 0 : 1];
  if (needed.size() <= w) needed.resize(w + 1);
  NeededRows& rows = needed[w];
  if (rows.member != view.member || rows.begin != begin || rows.end != end) {
    ColumnsOfRows(m, begin, end, ++column_stamp_, &column_mark_, &rows.ids);
    rows.member = view.member;
    rows.begin = begin;
    rows.end = end;
  }
  const int64_t solve[2] = {begin, end};
  WriteTask(begin < end ? std::span<const int64_t>(solve) : std::span<const int64_t>(), drop_, add_,
            m, rows.ids, users ? h_ : w_, RowStride(params_.rank), task);
  factor_rows_sent_ += static_cast<int64_t>(rows.ids.size());
  for (size_t p = 0; p < add_.size(); p += 2) ratings_sent_ += m.ptr[add_[p + 1]] - m.ptr[add_[p]];
}

void MfSchedulerApp::ResetBalancers() {
  user_balancer_.Reset(user_work_, seconds_per_unit_);
  item_balancer_.Reset(item_work_, seconds_per_unit_);
}

bool MfSchedulerApp::PlacementChanged(std::span<const core::WorkerView> workers) {
  bool changed = placement_.size() != workers.size();
  for (size_t w = 0; w < workers.size() && !changed; ++w) {
    changed = placement_[w].first != workers[w].member || placement_[w].second != workers[w].shards;
  }
  if (!changed) return false;
  // Where each worker was before, so that what was measured of its speed follows it.
  moved_from_.assign(workers.size(), -1);
  for (size_t w = 0; w < workers.size(); ++w) {
    for (size_t old = 0; old < placement_.size(); ++old) {
      if (placement_[old].first == workers[w].member) moved_from_[w] = static_cast<int>(old);
    }
  }
  placement_.resize(workers.size());
  for (size_t w = 0; w < workers.size(); ++w) {
    placement_[w] = {workers[w].member, workers[w].shards};
  }
  return true;
}

void MfSchedulerApp::OrderSlots(std::span<const core::WorkerView> workers) {
  // Slot k gets the k-th row range. Ordering workers by where the user rows they hold lie (shard
  // blocks are consecutive, and balancing keeps ranges near their blocks) gives each worker the
  // range it already mostly holds: after a loss or a new worker, only the rows that must move
  // do, instead of every range shifting by one worker.
  const size_t n = workers.size();
  std::vector<std::pair<double, size_t>> keys(n);
  for (size_t w = 0; w < n; ++w) {
    const double center = user_holdings_.MeanHeldRow(workers[w].member);
    keys[w] = {
        workers[w].shards.empty() || center < 0 ? std::numeric_limits<double>::infinity() : center,
        w};
  }
  std::stable_sort(keys.begin(), keys.end());
  slot_worker_.resize(n);
  worker_slot_.resize(n);
  for (size_t k = 0; k < n; ++k) {
    slot_worker_[k] = keys[k].second;
    worker_slot_[keys[k].second] = k;
  }
}

void MfSchedulerApp::Schedule(std::span<const core::WorkerView> workers, core::RoundPlan* plan) {
  if (!have_started_) {
    have_started_ = true;
    started_ = std::chrono::steady_clock::now();
    last_pull_ = started_;
  }
  const bool users = plan->number % 2 == 0;
  const int phase = users ? 0 : 1;
  const size_t n = workers.size();
  SyncMembers(workers);
  const bool placement_changed = PlacementChanged(workers);
  if (placement_changed) {
    OrderSlots(workers);
    // Speeds are the workers' own: they follow them to their new places; a newcomer starts as an
    // average worker.
    for (core::WorkerSpeeds& speeds : speeds_) speeds.Remap(moved_from_);
  } else if (plan->number > 0 &&
             (users ? item_balancer_ : user_balancer_).num_workers() == static_cast<int>(n)) {
    // The views describe the previous round, of the other phase: credit its speeds with the busy
    // time per unit of the cost that phase's balancer gave each worker.
    const core::LoadBalancer& previous = users ? item_balancer_ : user_balancer_;
    last_costs_.resize(n);
    for (size_t w = 0; w < n; ++w) {
      last_costs_[w] = previous.Cost(static_cast<int>(worker_slot_[w]));
    }
    speeds_[1 - phase].Observe(workers, last_costs_);
  }
  if (speeds_[phase].seconds_per_unit().size() != n) speeds_[phase].Reset(static_cast<int>(n));
  seconds_per_unit_.resize(n);
  bool changed = can_work_.size() != n;
  can_work_.resize(n);
  for (size_t k = 0; k < n; ++k) {
    const size_t w = slot_worker_[k];
    // A worker without shards has no job state: it can take no rows.
    const bool can = !workers[w].shards.empty();
    seconds_per_unit_[k] =
        can ? speeds_[phase].seconds_per_unit()[w] : std::numeric_limits<double>::infinity();
    changed |= can_work_[w] != can;
    can_work_[w] = can;
  }
  core::LoadBalancer& balancer = users ? user_balancer_ : item_balancer_;
  if (changed || balancer.num_workers() != static_cast<int>(n)) {
    // More or fewer workers able to work: split afresh (by cost and what is known of the
    // speeds); incremental moves are for drifting speeds, not for a changed worker set. A
    // replacement for a lost worker keeps its slot's range instead.
    ResetBalancers();
    rows_moved_ = 0;
  } else {
    rows_moved_ = balancer.Rebalance(seconds_per_unit_, speeds_[phase].NoiseBand());
  }
  factor_rows_sent_ = 0;
  ratings_sent_ = 0;
  const std::span<const int64_t> bounds = balancer.boundaries();
  for (size_t w = 0; w < n; ++w) {
    core::Payload& task = plan->tasks[w];
    task.clear();
    task.op = users ? kUpdateUsers : kUpdateItems;
    if (!can_work_[w]) continue;
    const size_t k = worker_slot_[w];
    WriteWorkerTask(users, w, workers[w], bounds[k], bounds[k + 1], &task);
    factor_rows_broadcast_total_ += users ? train_.by_item.rows : train_.by_user.rows;
  }
  factor_rows_sent_total_ += factor_rows_sent_;
  ratings_sent_total_ += ratings_sent_;
}

absl::StatusOr<core::RoundOutcome> MfSchedulerApp::Pull(const core::RoundPlan& plan,
                                                        std::span<const core::Partial> partials,
                                                        core::Payload* cache_update) {
  if (plan.tasks.empty() || partials.size() != plan.tasks.size()) {
    return absl::InternalError(
        absl::StrCat("mf pull: ", partials.size(), " partials for ", plan.tasks.size(), " tasks"));
  }
  const int32_t op = plan.tasks[0].op;
  if (op != kUpdateUsers && op != kUpdateItems) {
    return absl::InternalError(absl::StrCat("mf pull: unknown task op ", op));
  }
  const bool users = op == kUpdateUsers;
  const int64_t k = RowStride(params_.rank);  // values per row
  std::vector<double>& target = users ? w_ : h_;
  const int64_t total_rows = users ? train_.by_user.rows : train_.by_item.rows;

  cache_update->clear();  // factor rows travel with the next tasks, to the workers needing them
  double squared_error = 0;
  double ratings = 0;
  int64_t rows_done = 0;
  for (size_t w = 0; w < partials.size(); ++w) {
    const std::span<const int64_t> ranges = SolveRanges(plan.tasks[w]);
    const std::vector<double>& values = partials[w].values;
    const int64_t rows = RowsIn(ranges);
    const size_t expected = static_cast<size_t>(rows * k + 2);
    if (rows == 0 && values.empty()) continue;  // a worker without rows (or data) sends nothing
    if (values.size() != expected) {
      return absl::InternalError(absl::StrCat("mf pull: worker ", w, " sent ", values.size(),
                                              " values for ", rows, " rows, expected ", expected));
    }
    size_t offset = 0;
    for (size_t p = 0; p + 1 < ranges.size(); p += 2) {
      const int64_t begin = ranges[p];
      const int64_t end = ranges[p + 1];
      const size_t count = static_cast<size_t>((end - begin) * k);
      std::copy_n(values.begin() + offset, count, target.begin() + begin * k);
      offset += count;
    }
    squared_error += values[rows * k];
    ratings += values[rows * k + 1];
    rows_done += rows;
  }
  const int64_t nnz = train_.by_user.nnz();
  if (rows_done != total_rows || ratings != static_cast<double>(nnz)) {
    return absl::InternalError(absl::StrCat("mf pull: round covered ", rows_done, " of ",
                                            total_rows, " rows and ", ratings, " of ", nnz,
                                            " ratings"));
  }
  ++pulls_;

  train_rmse_ = std::sqrt(squared_error / static_cast<double>(nnz));
  objective_ = squared_error + Regularizer(solve_, train_, w_, h_);
  if (!std::isfinite(objective_)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "diverged at round %d: objective %g is not finite; check the scale of the ratings and "
        "of --lambda (either too large overflows the objective)",
        pulls_, objective_));
  }
  if (test_.size() > 0) {
    test_rmse_ =
        std::sqrt(TestSquaredError(test_, predictor_, w_, h_) / static_cast<double>(test_.size()));
  }
  RecordBusy(partials);

  // Each round minimises the objective exactly over one factor, so it never rises; compare with
  // the last round of the same phase, as alternate rounds move different halves of the model.
  double& previous = previous_objective_[users ? 0 : 1];
  const bool settled = ObjectiveSettled(previous, objective_, params_.tolerance);
  previous = objective_;
  if (settled) {
    converged_ = true;
    return core::RoundOutcome::kConverged;
  }
  if (stop_at_max_rounds_ && pulls_ >= params_.max_rounds) return core::RoundOutcome::kStopped;
  return core::RoundOutcome::kContinue;
}

void MfSchedulerApp::RecordBusy(std::span<const core::Partial> partials) {
  const auto now = std::chrono::steady_clock::now();
  last_round_seconds_ = std::chrono::duration<double>(now - last_pull_).count();
  elapsed_seconds_ = std::chrono::duration<double>(now - started_).count();
  last_pull_ = now;
  busy_.resize(partials.size());
  for (size_t w = 0; w < partials.size(); ++w) busy_[w] = partials[w].busy_seconds;
  spreads_[busy_rounds_ % kBusyWindow] = core::Spread(busy_);
  ++busy_rounds_;
}

std::optional<double> MfSchedulerApp::test_rmse() const {
  if (test_.size() == 0) return std::nullopt;
  return test_rmse_;
}

void MfSchedulerApp::Metrics(std::vector<core::Metric>* out) const {
  out->push_back({"train_rmse", train_rmse_});
  if (test_.size() > 0) out->push_back({"test_rmse", test_rmse_});
  out->push_back({"objective", objective_});
  // Which model and penalty (the summary's params say what was asked; these, what ran).
  out->push_back({"lambda", solve_.lambda});
  out->push_back({"lambda_auto", params_.lambda_auto ? 1.0 : 0.0});
  if (lambda_choice_.has_value()) {
    for (size_t g = 0; g < lambda_choice_->grid.size(); ++g) {
      out->push_back({absl::StrCat("lambda_auto_holdout_rmse_", lambda_choice_->grid[g]),
                      lambda_choice_->holdout_rmse[g]});
    }
    for (size_t g = 0; g < lambda_choice_->bias_grid.size(); ++g) {
      out->push_back({absl::StrCat("bias_lambda_auto_holdout_rmse_", lambda_choice_->bias_grid[g]),
                      lambda_choice_->bias_holdout_rmse[g]});
    }
    out->push_back({"lambda_auto_best_holdout_rmse", lambda_choice_->best_holdout_rmse});
    out->push_back({"lambda_auto_folds", static_cast<double>(lambda_choice_->folds)});
    out->push_back({"lambda_auto_fits", static_cast<double>(lambda_choice_->tried.size())});
  }
  out->push_back({"als_wr", params_.reg == Regularization::kWeighted ? 1.0 : 0.0});
  out->push_back({"biases", params_.biases ? 1.0 : 0.0});
  out->push_back({"bias_lambda", solve_.bias_lambda});
  out->push_back({"mu", solve_.mu});
  out->push_back({"duplicates", static_cast<double>(train_.duplicates)});
  out->push_back({"rounds", static_cast<double>(pulls_)});
  out->push_back({"converged", converged_ ? 1.0 : 0.0});
  out->push_back({"users", static_cast<double>(train_.by_user.rows)});
  out->push_back({"items", static_cast<double>(train_.by_item.rows)});
  out->push_back({"train_ratings", static_cast<double>(train_.by_user.nnz())});
  out->push_back({"test_ratings", static_cast<double>(test_.size())});
  out->push_back({"test_duplicates", static_cast<double>(test_.duplicates)});
  out->push_back({"test_unknown_entries", static_cast<double>(test_.unknown)});
  out->push_back({"rows_moved", static_cast<double>(rows_moved_)});
  out->push_back({"ratings_sent", static_cast<double>(ratings_sent_)});
  out->push_back({"factor_rows_sent", static_cast<double>(factor_rows_sent_)});
  out->push_back({"ratings_sent_total", static_cast<double>(ratings_sent_total_)});
  out->push_back({"factor_rows_sent_total", static_cast<double>(factor_rows_sent_total_)});
  // Of what broadcasting every factor row to every worker would have sent.
  if (factor_rows_broadcast_total_ > 0) {
    out->push_back(
        {"factor_rows_sent_share", static_cast<double>(factor_rows_sent_total_) /
                                       static_cast<double>(factor_rows_broadcast_total_)});
  }
  if (pulls_ > 0) {
    out->push_back({"seconds_per_round", elapsed_seconds_ / static_cast<double>(pulls_)});
    out->push_back({"round_seconds", last_round_seconds_});
  }
  if (busy_rounds_ > 0) {
    for (size_t w = 0; w < busy_.size(); ++w) {
      out->push_back({absl::StrCat("busy_seconds_worker_", w), busy_[w]});
    }
    out->push_back({"busy_spread", core::Spread(busy_)});
    const int64_t window = std::min<int64_t>(busy_rounds_, kBusyWindow);
    double sum = 0;
    for (int64_t i = 0; i < window; ++i) sum += spreads_[i];
    out->push_back({"busy_spread_avg", sum / static_cast<double>(window)});
  }
}

namespace {
// 2: augmented rows (factors and bias), mu and the resolved lambda and bias_lambda.
constexpr std::string_view kCheckpointTag = "strads-mf-2";
}  // namespace

absl::Status MfSchedulerApp::SaveCheckpoint(std::ostream& out) const {
  core::CheckpointWriter writer(out, kCheckpointTag);
  writer.Int(params_.rank);
  writer.Double(solve_.mu);
  writer.Double(solve_.lambda);
  writer.Double(solve_.bias_lambda);
  writer.Int(pulls_);
  writer.Double(train_rmse_);
  writer.Double(test_rmse_);
  writer.Double(objective_);
  writer.Double(previous_objective_[0]);
  writer.Double(previous_objective_[1]);
  writer.Doubles(w_);
  writer.Doubles(h_);
  return writer.Finish();
}

absl::Status MfSchedulerApp::RestoreCheckpoint(std::istream& in) {
  core::CheckpointReader reader(in, kCheckpointTag);
  if (const int64_t rank = reader.Int(); reader.status().ok() && rank != params_.rank) {
    return absl::DataLossError(
        absl::StrCat("the checkpoint has rank ", rank, ", the job ", params_.rank));
  }
  const double mu = reader.Double();
  const double lambda = reader.Double();
  const double bias_lambda = reader.Double();
  if (reader.status().ok() &&
      (mu != solve_.mu || lambda != solve_.lambda || bias_lambda != solve_.bias_lambda)) {
    return absl::DataLossError(absl::StrFormat(
        "the checkpoint has mu %.17g and lambda %.17g, the job %.17g and %.17g (other ratings?)",
        mu, lambda, solve_.mu, solve_.lambda));
  }
  const int64_t pulls = reader.Int();
  const double train_rmse = reader.Double();
  const double test_rmse = reader.Double();
  const double objective = reader.Double();
  const double previous_users = reader.Double();
  const double previous_items = reader.Double();
  std::vector<double> w, h;
  reader.Doubles(w_.size(), &w);
  reader.Doubles(h_.size(), &h);
  if (absl::Status status = reader.Finish(); !status.ok()) return status;
  pulls_ = pulls;
  train_rmse_ = train_rmse;
  test_rmse_ = test_rmse;
  objective_ = objective;
  previous_objective_ = {previous_users, previous_items};
  w_ = std::move(w);
  h_ = std::move(h);
  return absl::OkStatus();
}

absl::Status MfSchedulerApp::WriteModel(std::ostream& out) const {
  const ModelHeader header{.data_path = data_path_,
                           .test_path = test_path_,
                           .rank = params_.rank,
                           .lambda = solve_.lambda,
                           .lambda_auto = params_.lambda_auto,
                           .reg = params_.reg,
                           .biases = params_.biases,
                           .bias_lambda = solve_.bias_lambda,
                           .mu = solve_.mu,
                           .min_rating = train_.min_rating,
                           .max_rating = train_.max_rating,
                           .users = train_.by_user.rows,
                           .items = train_.by_item.rows,
                           .ratings = train_.by_user.nnz(),
                           .duplicates = train_.duplicates,
                           .rounds = pulls_,
                           .train_rmse = train_rmse_,
                           .test_rmse = test_rmse(),
                           .objective = objective_};
  auto name_of = [](const IdMap& ids) {
    return [&ids](int64_t row, std::string* line) { line->append(ids.names[row]); };
  };
  return WriteModelText(header, name_of(train_.users), name_of(train_.items), w_, h_, out);
}

}  // namespace strads::mf
