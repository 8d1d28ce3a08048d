#include "apps/mf/mf_worker_app.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apps/mf/mf_params.h"
#include "apps/mf/mf_protocol.h"
#include "apps/mf/mf_shard.h"
#include "apps/mf/mf_task.h"

namespace strads::mf {

namespace {

// A push with fewer ratings than this (times the row stride) is solved on the calling thread:
// waking the team costs some microseconds, about what this much work takes.
constexpr int64_t kMinParallelWork = 32768;

}  // namespace

void MfWorkerApp::UseThreads(core::ThreadTeam* team) { team_ = team; }

absl::Status MfWorkerApp::Configure(const core::JobSpec& spec) {
  // The scheduler validated these; parsing again keeps a mismatched worker from running a job
  // it does not understand.
  absl::StatusOr<MfParams> params = ParseMfParams(spec);
  if (!params.ok()) return params.status();
  rank_ = params->rank;
  stride_ = RowStride(rank_);
  // lambda (resolved when it is "auto") and mu come with the shards' init.
  solve_ = {.rank = rank_,
            .lambda = 0,
            .reg = params->reg,
            .bias_lambda = params->bias_lambda,
            .biases = params->biases,
            .mu = 0};
  configured_ = true;
  return absl::OkStatus();
}

absl::Status MfWorkerApp::AddShard(int shard, std::string_view bytes, const core::Payload& init) {
  if (!configured_) {
    return absl::FailedPreconditionError("mf worker: shard before Configure");
  }
  absl::StatusOr<MfShard> decoded = DecodeShard(bytes);
  if (!decoded.ok()) return decoded.status();
  if (init.op != kInitShard || init.keys.size() != 3 || init.keys[0] != decoded->users ||
      init.keys[1] != decoded->items || init.keys[2] != rank_ || init.values.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat("mf shard ", shard, ": init (op ", init.op, ", ",
                                                   init.keys.size(), " keys) does not describe ",
                                                   decoded->users, " users, ", decoded->items,
                                                   " items, rank ", rank_));
  }
  if (users_ < 0) {
    solve_.lambda = init.values[0];
    solve_.mu = init.values[1];
    solve_.bias_lambda = init.values[2];
    solvers_.assign(team_ == nullptr ? 1 : static_cast<size_t>(team_->size()), RowSolver(solve_));
    users_ = decoded->users;
    items_ = decoded->items;
    by_user_.Reset(users_);
    by_item_.Reset(items_);
    w_.assign(static_cast<size_t>(users_ * stride_), 0.0);
    h_.assign(static_cast<size_t>(items_ * stride_), 0.0);
  } else if (init.values[0] != solve_.lambda || init.values[1] != solve_.mu ||
             init.values[2] != solve_.bias_lambda) {
    return absl::InvalidArgumentError(
        absl::StrCat("mf shard ", shard, ": lambda ", init.values[0], " and mu ", init.values[1],
                     " differ from the job's ", solve_.lambda, " and ", solve_.mu));
  } else if (decoded->users != users_ || decoded->items != items_) {
    return absl::InvalidArgumentError(absl::StrCat("mf shard ", shard, " is of a ", decoded->users,
                                                   " x ", decoded->items, " matrix, not ", users_,
                                                   " x ", items_));
  }
  by_user_.AddBlock(decoded->by_user);
  by_item_.AddBlock(decoded->by_item);
  shards_[shard] = Blocks{{decoded->by_user.begin, decoded->by_user.end()},
                          {decoded->by_item.begin, decoded->by_item.end()}};
  return absl::OkStatus();
}

void MfWorkerApp::DropShard(int shard) {
  auto it = shards_.find(shard);
  if (it == shards_.end()) return;
  by_user_.DropRange(it->second.users.first, it->second.users.second);
  by_item_.DropRange(it->second.items.first, it->second.items.second);
  shards_.erase(it);
}

absl::Status MfWorkerApp::Apply(const core::Payload& update) {
  if (update.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("mf worker: unexpected cache update (op ", update.op, ")"));
}

absl::Status MfWorkerApp::Push(const core::Payload& task, core::Partial* out) {
  out->values.clear();
  out->work_units = 0;
  const bool users = task.op == kUpdateUsers;
  if (!users && task.op != kUpdateItems) {
    return absl::InvalidArgumentError(absl::StrCat("mf worker: unknown task op ", task.op));
  }
  if (users_ < 0) {
    if (task.keys.empty()) return absl::OkStatus();
    return absl::FailedPreconditionError("mf worker: a task before any shard");
  }
  HeldRows& held = users ? by_user_ : by_item_;
  std::vector<double>& other = users ? h_ : w_;
  const int64_t other_rows = users ? items_ : users_;
  absl::StatusOr<MfTaskView> view = ParseTask(task, stride_, held.rows(), other_rows);
  if (!view.ok()) return view.status();

  for (size_t p = 0; p < view->drop.size(); p += 2)
    held.DropRange(view->drop[p], view->drop[p + 1]);
  size_t row_index = 0;
  size_t offset = 0;
  for (size_t p = 0; p < view->add.size(); p += 2) {
    for (int64_t r = view->add[p]; r < view->add[p + 1]; ++r) {
      const size_t length = static_cast<size_t>(view->add_lengths[row_index++]);
      held.Add(r, view->add_cols.subspan(offset, length),
               view->add_ratings.subspan(offset, length));
      offset += length;
    }
  }
  for (size_t k = 0; k < view->factor_ids.size(); ++k) {
    std::copy_n(view->factor_rows.begin() + static_cast<std::ptrdiff_t>(k * stride_), stride_,
                other.begin() + view->factor_ids[k] * stride_);
  }

  solve_rows_.clear();
  ratings_before_.clear();
  int64_t ratings = 0;
  for (size_t p = 0; p < view->solve.size(); p += 2) {
    for (int64_t r = view->solve[p]; r < view->solve[p + 1]; ++r) {
      if (!held.Has(r)) {
        return absl::FailedPreconditionError(
            absl::StrCat("mf worker: ", users ? "user" : "item", " row ", r,
                         " was scheduled here but its ratings were never sent to this worker"));
      }
      solve_rows_.push_back(r);
      ratings_before_.push_back(ratings);
      ratings += static_cast<int64_t>(held.Cols(r).size());
    }
  }
  const int64_t rows = static_cast<int64_t>(solve_rows_.size());
  ratings_before_.push_back(ratings);
  out->values.resize(static_cast<size_t>(rows * stride_ + 2));
  row_errors_.resize(static_cast<size_t>(rows));
  // Part p solves the rows whose ratings start in [p, p + 1) * ratings / parts.
  auto solve_part = [&](int part, int parts) {
    auto first_row = [&](int q) {
      const int64_t cut = ratings * q / parts;
      return q == parts
                 ? rows
                 : std::lower_bound(ratings_before_.begin(), ratings_before_.end() - 1, cut) -
                       ratings_before_.begin();
    };
    RowSolver& solver = solvers_[static_cast<size_t>(part)];
    for (int64_t i = first_row(part), end = first_row(part + 1); i < end; ++i) {
      const int64_t r = solve_rows_[static_cast<size_t>(i)];
      row_errors_[static_cast<size_t>(i)] = solver.Solve(
          held.Cols(r), held.Ratings(r), other.data(), out->values.data() + i * stride_);
    }
  };
  if (team_ == nullptr || team_->size() == 1 || ratings * stride_ < kMinParallelWork) {
    solve_part(0, 1);
  } else {
    team_->Run([&](int part) { solve_part(part, team_->size()); });
  }
  double squared_error = 0;
  for (double error : row_errors_) squared_error += error;
  out->values[static_cast<size_t>(rows * stride_)] = squared_error;
  out->values[static_cast<size_t>(rows * stride_ + 1)] = static_cast<double>(ratings);
  out->work_units = ratings;
  return absl::OkStatus();
}

}  // namespace strads::mf
