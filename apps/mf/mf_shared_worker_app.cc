#include "apps/mf/mf_shared_worker_app.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/mf/mf_params.h"
#include "apps/mf/mf_shared_protocol.h"
#include "core/limits.h"

namespace strads::mf {
namespace {

// Dense row of `id` in the ascending `ids`, or -1.
int32_t DenseRow(const std::vector<int64_t>& ids, int64_t id) {
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it == ids.end() || *it != id) return -1;
  return static_cast<int32_t>(it - ids.begin());
}

}  // namespace

absl::Status MfSharedWorkerApp::Configure(const core::JobSpec& spec) {
  absl::StatusOr<MfParams> params = ParseMfParams(spec);
  if (!params.ok()) return params.status();
  // lambda and bias_lambda come with the shards' init (the scheduler's resolved values).
  solve_ = {.rank = params->rank,
            .lambda = 0,
            .reg = params->reg,
            .bias_lambda = params->bias_lambda,
            .biases = params->biases,
            .mu = 0};
  seed_ = params->seed;
  stride_ = RowStride(params->rank);
  configured_ = true;
  return absl::OkStatus();
}

absl::Status MfSharedWorkerApp::AddShard(int shard, std::string_view bytes,
                                         const core::Payload& init) {
  if (!configured_) return absl::FailedPreconditionError("mf worker: shard before Configure");
  absl::StatusOr<SharedShard> decoded = DecodeSharedShard(bytes);
  if (!decoded.ok()) return decoded.status();
  const auto& keys = init.keys;
  const auto& values = init.values;
  if (init.op != kInitSharedShard || keys.size() < 2 || keys[0] != solve_.rank ||
      values.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("mf shard ", shard, ": init (op ", init.op, ", ", keys.size(),
                     " keys) does not describe a shared-data shard of rank ", solve_.rank));
  }
  solve_.lambda = values[0];
  solve_.bias_lambda = values[1];
  ShardRatings ratings;
  absl::StatusOr<PartitionRatings> train =
      ReadPartitionRatings(decoded->train, decoded->train_shape ? &*decoded->train_shape : nullptr);
  if (!train.ok()) return train.status();
  ratings.train = *std::move(train);
  if (!decoded->test.pieces.empty()) {
    absl::StatusOr<PartitionRatings> test =
        ReadPartitionRatings(decoded->test, decoded->test_shape ? &*decoded->test_shape : nullptr);
    if (!test.ok()) return test.status();
    ratings.test = *std::move(test);
  }
  if (keys[1] != 0 && !started_) {
    // A worker joining a running job: the ids and the model come with the init.
    if (keys.size() < 4) return absl::InvalidArgumentError("mf shard init: no dimensions");
    const int64_t users = keys[2];
    const int64_t items = keys[3];
    if (users < 0 || items < 0 || keys.size() != static_cast<size_t>(4 + users + items) ||
        values.size() != static_cast<size_t>(5 + (users + items) * stride_)) {
      return absl::InvalidArgumentError(absl::StrCat("mf shard ", shard, ": init of ", keys.size(),
                                                     " keys and ", values.size(),
                                                     " values does not hold the model"));
    }
    Start({keys.begin() + 4, keys.begin() + 4 + users}, {keys.begin() + 4 + users, keys.end()},
          values[2], values[3], values[4]);
    w_.assign(values.begin() + 5, values.begin() + 5 + users * stride_);
    h_.assign(values.begin() + 5 + users * stride_, values.end());
  }
  shards_[shard] = std::move(ratings);
  return started_ ? Rebuild() : absl::OkStatus();
}

void MfSharedWorkerApp::DropShard(int shard) {
  if (shards_.erase(shard) > 0 && started_) {
    // Dropping only removes ratings: every remaining id is still known.
    (void)Rebuild();
  }
}

void MfSharedWorkerApp::Start(std::vector<int64_t> user_ids, std::vector<int64_t> item_ids,
                              double mu, double min_rating, double max_rating) {
  user_ids_ = std::move(user_ids);
  item_ids_ = std::move(item_ids);
  solve_.mu = solve_.biases ? mu : 0.0;
  predictor_ = {
      .rank = solve_.rank, .mu = solve_.mu, .min_rating = min_rating, .max_rating = max_rating};
  InitFactors(static_cast<int64_t>(user_ids_.size()), static_cast<int64_t>(item_ids_.size()),
              solve_.rank, seed_, &w_, &h_);
  started_ = true;
}

absl::Status MfSharedWorkerApp::Rebuild() {
  const int64_t users = static_cast<int64_t>(user_ids_.size());
  const int64_t items = static_cast<int64_t>(item_ids_.size());
  std::vector<int32_t> user_rows;
  std::vector<int32_t> item_rows;
  std::vector<double> values;
  test_ = TestRatings{};
  for (const auto& [shard, ratings] : shards_) {
    const PartitionRatings& train = ratings.train;
    for (int64_t e = 0; e < train.size(); ++e) {
      const int32_t u = DenseRow(user_ids_, train.users[e]);
      const int32_t i = DenseRow(item_ids_, train.items[e]);
      if (u < 0 || i < 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "mf shard ", shard, ": user ", train.users[e], " or item ", train.items[e],
            " was not in the data when the job started; was the file changed during the job?"));
      }
      user_rows.push_back(u);
      item_rows.push_back(i);
      values.push_back(train.values[e]);
    }
    const PartitionRatings& test = ratings.test;
    for (int64_t e = 0; e < test.size(); ++e) {
      const int32_t u = DenseRow(user_ids_, test.users[e]);
      const int32_t i = DenseRow(item_ids_, test.items[e]);
      test_.users.push_back(u);
      test_.items.push_back(i);
      test_.values.push_back(test.values[e]);
      if (u < 0 || i < 0) ++test_.unknown;
    }
    test_.duplicates += test.duplicates;
  }
  // CSR by user, each row's ratings in shard and file order.
  by_user_ = BucketByRow(users, items, user_rows, item_rows, values);
  by_item_ = Transpose(by_user_);
  return absl::OkStatus();
}

absl::Status MfSharedWorkerApp::Apply(const core::Payload& update) {
  switch (update.op) {
    case 0:
      if (!update.empty()) return absl::InvalidArgumentError("mf worker: untagged cache update");
      return absl::OkStatus();
    case kSharedStart: {
      const auto& keys = update.keys;
      if (keys.size() < 2 || keys[0] < 0 || keys[1] < 0 ||
          keys.size() != static_cast<size_t>(2 + keys[0] + keys[1]) || update.values.size() != 3) {
        return absl::InvalidArgumentError("mf worker: malformed start of a shared-data job");
      }
      Start({keys.begin() + 2, keys.begin() + 2 + keys[0]},
            {keys.begin() + 2 + keys[0], keys.end()}, update.values[0], update.values[1],
            update.values[2]);
      return Rebuild();
    }
    case kSharedUserRows:
    case kSharedItemRows: {
      std::vector<double>& factor = update.op == kSharedUserRows ? w_ : h_;
      if (!started_ || update.values.size() != factor.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "mf worker: factor update of ", update.values.size(), " values for ", factor.size()));
      }
      std::copy(update.values.begin(), update.values.end(), factor.begin());
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("mf worker: unknown cache update op ", update.op));
  }
}

absl::Status MfSharedWorkerApp::Push(const core::Payload& task, core::Partial* out) {
  out->values.clear();
  out->work_units = 0;
  if (shards_.empty()) return absl::OkStatus();  // nothing to report
  switch (task.op) {
    case kSharedIndex:
      PushIndex(out);
      return absl::OkStatus();
    case kSharedUpdateUsers:
    case kSharedUpdateItems:
    case kSharedEvaluate:
      if (!started_) {
        return absl::FailedPreconditionError("mf worker: a model round before the index round");
      }
      if (task.op == kSharedEvaluate) {
        out->values = {TestSquaredErrorNow(), static_cast<double>(test_.size())};
        out->work_units = test_.size();
        return absl::OkStatus();
      }
      return PushRows(task.op == kSharedUpdateUsers, out);
    default:
      return absl::InvalidArgumentError(absl::StrCat("mf worker: unknown task op ", task.op));
  }
}

void MfSharedWorkerApp::PushIndex(core::Partial* out) const {
  std::vector<double>& v = out->values;
  v.push_back(static_cast<double>(shards_.size()));
  std::vector<int64_t> users;
  std::vector<int64_t> items;
  double ratings = 0, sum = 0, duplicates = 0, test_ratings = 0, test_duplicates = 0;
  double low = 0, high = 0;
  for (const auto& [shard, held] : shards_) {
    v.push_back(shard);
    const PartitionRatings& train = held.train;
    users.insert(users.end(), train.users.begin(), train.users.end());
    items.insert(items.end(), train.items.begin(), train.items.end());
    for (double value : train.values) {
      low = ratings == 0 ? value : std::min(low, value);
      high = ratings == 0 ? value : std::max(high, value);
      sum += value;
      ++ratings;
    }
    duplicates += static_cast<double>(train.duplicates);
    test_ratings += static_cast<double>(held.test.size());
    test_duplicates += static_cast<double>(held.test.duplicates);
  }
  std::vector<int64_t> user_ids, user_counts, item_ids, item_counts;
  CountIds(users, &user_ids, &user_counts);
  CountIds(items, &item_ids, &item_counts);
  v.insert(v.end(), {ratings, sum, low, high, duplicates, test_ratings, test_duplicates,
                     static_cast<double>(user_ids.size()), static_cast<double>(item_ids.size())});
  for (size_t k = 0; k < user_ids.size(); ++k) {
    v.push_back(static_cast<double>(user_ids[k]));
    v.push_back(static_cast<double>(user_counts[k]));
  }
  for (size_t k = 0; k < item_ids.size(); ++k) {
    v.push_back(static_cast<double>(item_ids[k]));
    v.push_back(static_cast<double>(item_counts[k]));
  }
  out->work_units = static_cast<int64_t>(ratings);
}

double MfSharedWorkerApp::TestSquaredErrorNow() const {
  return TestSquaredError(test_, predictor_, w_, h_);
}

absl::Status MfSharedWorkerApp::PushRows(bool users, core::Partial* out) {
  const RatingsCsr& m = users ? by_user_ : by_item_;
  const std::vector<double>& other = users ? h_ : w_;
  const int64_t dim = solve_.biases ? solve_.rank + 1 : solve_.rank;
  const size_t per_row = 2 + static_cast<size_t>(NormalEquationsSize(dim));
  rows_.clear();
  ratings_before_.clear();
  int64_t ratings = 0;
  for (int64_t r = 0; r < m.rows; ++r) {
    if (m.RowNnz(r) == 0) continue;
    rows_.push_back(static_cast<int32_t>(r));
    ratings_before_.push_back(ratings);
    ratings += m.RowNnz(r);
  }
  ratings_before_.push_back(ratings);
  const int64_t rows = static_cast<int64_t>(rows_.size());
  const size_t size = kSharedUpdateHeader + static_cast<size_t>(rows) * per_row;
  if (static_cast<int64_t>(8 * size) > core::kMaxMessageBytes) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "this worker's ratings touch %d %s; their sums at rank %d take %s, over the %s message "
        "limit: lower --rank, or use served data (--data-access served)",
        rows, users ? "users" : "items", solve_.rank, core::HumanBytes(8 * size),
        core::HumanBytes(core::kMaxMessageBytes)));
  }
  std::vector<double>& v = out->values;
  v.resize(size);
  v[0] = TestSquaredErrorNow();
  v[1] = static_cast<double>(test_.size());
  v[2] = static_cast<double>(test_.unknown);
  v[3] = static_cast<double>(rows);
  // A part takes the rows whose ratings start in its even share of all the ratings.
  auto push_part = [&](int part, int parts) {
    const core::IndexRange share = core::EvenPart(ratings, parts, part);
    const auto first =
        std::lower_bound(ratings_before_.begin(), ratings_before_.end() - 1, share.begin);
    const auto last =
        std::lower_bound(ratings_before_.begin(), ratings_before_.end() - 1, share.end);
    Eigen::MatrixXd& gram = grams_[part];
    Eigen::VectorXd& feature = features_[part];
    for (auto k = first - ratings_before_.begin(); k < last - ratings_before_.begin(); ++k) {
      const int32_t r = rows_[k];
      double* at = v.data() + kSharedUpdateHeader + static_cast<size_t>(k) * per_row;
      at[0] = static_cast<double>(r);
      at[1] = static_cast<double>(m.RowNnz(r));
      NormalEquationsOf(solve_, m.RowIdx(r), m.RowValues(r), other.data(), &gram, &feature, at + 2);
    }
  };
  const int parts = team_ == nullptr ? 1 : team_->size();
  if (static_cast<int>(grams_.size()) < parts || (grams_.size() > 0 && grams_[0].rows() != dim)) {
    grams_.assign(static_cast<size_t>(parts), Eigen::MatrixXd(dim, dim));
    features_.assign(static_cast<size_t>(parts), Eigen::VectorXd(dim));
  }
  // Waking the team costs some microseconds, about what this much work takes.
  constexpr int64_t kMinParallelWork = 32768;
  if (parts == 1 || ratings * dim * dim < kMinParallelWork) {
    push_part(0, 1);
  } else {
    team_->Run([&](int part) { push_part(part, parts); });
  }
  out->work_units = m.nnz() + test_.size();
  return absl::OkStatus();
}

}  // namespace strads::mf
