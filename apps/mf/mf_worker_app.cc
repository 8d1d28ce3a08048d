#include "apps/mf/mf_worker_app.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "apps/mf/mf_params.h"
#include "apps/mf/mf_protocol.h"

namespace strads::mf {

absl::Status MfWorkerApp::Configure(const core::JobSpec& spec) {
  // The scheduler validated these; parsing again keeps a mismatched worker from running a job
  // it does not understand.
  absl::StatusOr<MfParams> params = ParseMfParams(spec);
  if (!params.ok()) return params.status();
  rank_ = params->rank;
  lambda_ = params->lambda;
  solver_.emplace(rank_, lambda_);
  return absl::OkStatus();
}

absl::Status MfWorkerApp::AddShard(int shard, std::string_view bytes, const core::Payload& init) {
  if (!solver_.has_value()) {
    return absl::FailedPreconditionError("mf worker: shard before Configure");
  }
  // Every shard is the whole matrix: decode it once.
  if (shards_.empty()) {
    absl::StatusOr<RatingsCsr> matrix = DecodeRatings(bytes);
    if (!matrix.ok()) return matrix.status();
    by_user_ = *std::move(matrix);
    by_item_ = Transpose(by_user_);
  }
  const int64_t users = by_user_.rows;
  const int64_t items = by_user_.cols;
  if (init.op != kInitFactors || init.keys.size() != 3 || init.keys[0] != users ||
      init.keys[1] != items || init.keys[2] != rank_ ||
      init.values.size() != static_cast<size_t>((users + items) * rank_ + 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mf shard ", shard, ": malformed init (op ", init.op, ", ", init.keys.size(), " keys, ",
        init.values.size(), " values) for ", users, " users, ", items, " items, rank ", rank_));
  }
  const auto w_end = init.values.begin() + users * rank_;
  w_.assign(init.values.begin(), w_end);
  h_.assign(w_end, init.values.end() - 1);
  version_ = static_cast<int64_t>(init.values.back());
  shards_.insert(shard);
  return absl::OkStatus();
}

void MfWorkerApp::DropShard(int shard) {
  shards_.erase(shard);
  if (!shards_.empty()) return;
  by_user_ = RatingsCsr();
  by_item_ = RatingsCsr();
  w_.clear();
  h_.clear();
}

absl::Status MfWorkerApp::Apply(const core::Payload& update) {
  if (update.empty()) return absl::OkStatus();
  const bool users = update.op == kSetUserRows;
  if ((!users && update.op != kSetItemRows) || update.keys.size() % 2 != 0 ||
      update.values.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("mf worker: malformed cache update (op ",
                                                   update.op, ", ", update.keys.size(), " keys, ",
                                                   update.values.size(), " values)"));
  }
  if (shards_.empty()) return absl::OkStatus();  // nothing held, nothing to keep current
  const int64_t version = static_cast<int64_t>(update.values.back());
  if (version <= version_) return absl::OkStatus();
  if (version != version_ + 1) {
    return absl::FailedPreconditionError(absl::StrCat("mf worker: factors reflect model version ",
                                                      version_, " but the update is for version ",
                                                      version, "; the shard must be re-sent"));
  }
  std::vector<double>& target = users ? w_ : h_;
  const int64_t rows = users ? by_user_.rows : by_item_.rows;
  size_t offset = 0;
  for (size_t p = 0; p < update.keys.size(); p += 2) {
    const int64_t begin = update.keys[p];
    const int64_t end = update.keys[p + 1];
    const size_t count = static_cast<size_t>((end - begin) * rank_);
    if (begin < 0 || end < begin || end > rows || offset + count + 1 > update.values.size()) {
      return absl::InvalidArgumentError(absl::StrCat("mf worker: update range [", begin, ", ", end,
                                                     ") does not fit ", rows, " rows"));
    }
    std::copy_n(update.values.begin() + offset, count, target.begin() + begin * rank_);
    offset += count;
  }
  if (offset + 1 != update.values.size()) {
    return absl::InvalidArgumentError(absl::StrCat("mf worker: update has ", update.values.size(),
                                                   " values for ", offset / rank_, " rows"));
  }
  version_ = version;
  return absl::OkStatus();
}

absl::Status MfWorkerApp::Push(const core::Payload& task, core::Partial* out) {
  out->values.clear();
  out->work_units = 0;
  const bool users = task.op == kUpdateUsers;
  if (!users && task.op != kUpdateItems) {
    return absl::InvalidArgumentError(absl::StrCat("mf worker: unknown task op ", task.op));
  }
  if (task.keys.size() % 2 != 0) {
    return absl::InvalidArgumentError("mf worker: task keys are not [begin, end) pairs");
  }
  if (shards_.empty()) {
    if (task.keys.empty()) return absl::OkStatus();
    return absl::FailedPreconditionError("mf worker: rows scheduled on a worker holding no data");
  }
  const RatingsCsr& m = users ? by_user_ : by_item_;
  const std::vector<double>& other = users ? h_ : w_;
  int64_t rows = 0;
  for (size_t p = 0; p < task.keys.size(); p += 2) {
    const int64_t begin = task.keys[p];
    const int64_t end = task.keys[p + 1];
    if (begin < 0 || end < begin || end > m.rows) {
      return absl::InvalidArgumentError(absl::StrCat("mf worker: task range [", begin, ", ", end,
                                                     ") does not fit ", m.rows, " rows"));
    }
    rows += end - begin;
  }
  out->values.resize(static_cast<size_t>(rows * rank_ + 2));
  double* row_out = out->values.data();
  double squared_error = 0;
  int64_t ratings = 0;
  for (size_t p = 0; p < task.keys.size(); p += 2) {
    for (int64_t r = task.keys[p]; r < task.keys[p + 1]; ++r) {
      squared_error += solver_->Solve(m.RowIdx(r), m.RowValues(r), other.data(), row_out);
      ratings += m.RowNnz(r);
      row_out += rank_;
    }
  }
  out->values[rows * rank_] = squared_error;
  out->values[rows * rank_ + 1] = static_cast<double>(ratings);
  out->work_units = ratings;
  return absl::OkStatus();
}

}  // namespace strads::mf
