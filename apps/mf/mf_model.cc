#include "apps/mf/mf_model.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <numeric>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/user_text.h"

namespace strads::mf {
namespace {

std::string Quote(absl::string_view text) {
  return core::QuoteUserText(std::string_view(text.data(), text.size()), 40);
}

std::vector<absl::string_view> Fields(absl::string_view line) {
  std::vector<absl::string_view> fields;
  size_t pos = 0;
  for (absl::string_view field = NextField(line, &pos); !field.empty();
       field = NextField(line, &pos)) {
    fields.push_back(field);
  }
  return fields;
}

absl::Status Malformed(const std::string& path, int64_t line, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(path, " line ", line, ": ", why));
}

// Calls `row(fields, line)` for every non-comment, non-blank line of `path`.
template <typename Row>
absl::Status ForEachLine(const std::string& path, Row row) {
  std::ifstream in(path);
  if (!in.is_open()) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open (missing or unreadable)"));
  }
  std::string text;
  int64_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    const absl::string_view view = absl::StripAsciiWhitespace(text);
    if (view.empty() || view[0] == '#') continue;
    if (absl::Status status = row(Fields(view), line); !status.ok()) return status;
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return absl::OkStatus();
}

// "<id> <bias> f1 ... fK" rows into `ids` and `rows` (stored factors first, then the bias).
absl::Status ReadRows(const std::string& path, const char* what, int64_t* rank, IdMap* ids,
                      std::vector<double>* rows) {
  absl::Status status = ForEachLine(path, [&](const std::vector<absl::string_view>& fields,
                                              int64_t line) {
    if (fields.size() < 2) {
      return Malformed(path, line,
                       absl::StrCat("expected '<", what, " id> <bias> f1 ... fK', got ",
                                    fields.size(), " field(s)"));
    }
    const int64_t k = static_cast<int64_t>(fields.size()) - 2;
    if (*rank < 0) *rank = k;
    if (k != *rank) {
      return Malformed(path, line,
                       absl::StrCat("has ", k, " factors; the model's rows have ", *rank));
    }
    if (ids->index.contains(fields[0])) {
      return Malformed(path, line, absl::StrCat(what, " id ", Quote(fields[0]), " repeats"));
    }
    const size_t base = rows->size();
    rows->resize(base + static_cast<size_t>(k + 1));
    for (int64_t f = 0; f <= k; ++f) {
      double v = 0;
      if (!absl::SimpleAtod(fields[f + 1], &v) || !std::isfinite(v)) {
        return Malformed(path, line,
                         absl::StrCat("value ", Quote(fields[f + 1]), " is not a finite number"));
      }
      // File order: bias, f1..fK; stored: f1..fK, bias.
      (*rows)[base + static_cast<size_t>(f == 0 ? k : f - 1)] = v;
    }
    ids->index.emplace(std::string(fields[0]), static_cast<int32_t>(ids->size()));
    ids->names.emplace_back(fields[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (ids->size() == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": no ", what, "s"));
  return absl::OkStatus();
}

void AppendNumber(double value, std::string* out) {
  char number[32];
  const std::to_chars_result end = std::to_chars(number, number + sizeof(number), value);
  out->append(number, end.ptr);
}

double RawScore(const MfModel& model, const double* user_row, const double* item_row) {
  const int64_t k = model.rank;
  double p = model.predictor.mu + (user_row != nullptr ? user_row[k] : 0.0) + item_row[k];
  if (user_row != nullptr) {
    for (int64_t f = 0; f < k; ++f) p += user_row[f] * item_row[f];
  }
  return p;
}

}  // namespace

absl::StatusOr<MfModel> LoadMfModel(const std::string& prefix) {
  MfModel model;
  const std::string global = prefix + "-global.txt";
  bool have_global = false;
  absl::Status status =
      ForEachLine(global, [&](const std::vector<absl::string_view>& fields, int64_t line) {
        double values[3];
        if (have_global || fields.size() != 3) {
          return Malformed(global, line, "expected one line 'mu min_rating max_rating'");
        }
        for (int f = 0; f < 3; ++f) {
          if (!absl::SimpleAtod(fields[f], &values[f]) || !std::isfinite(values[f])) {
            return Malformed(global, line,
                             absl::StrCat("value ", Quote(fields[f]), " is not a finite number"));
          }
        }
        if (values[1] > values[2]) {
          return Malformed(global, line, "min_rating is above max_rating");
        }
        model.predictor.mu = values[0];
        model.predictor.min_rating = values[1];
        model.predictor.max_rating = values[2];
        have_global = true;
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (!have_global) {
    return absl::InvalidArgumentError(absl::StrCat(global, ": no 'mu min_rating max_rating' line"));
  }
  int64_t rank = -1;
  if (absl::Status s = ReadRows(prefix + "-W.txt", "user", &rank, &model.users, &model.user_rows);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadRows(prefix + "-H.txt", "item", &rank, &model.items, &model.item_rows);
      !s.ok()) {
    return s;
  }
  model.rank = rank;
  model.predictor.rank = rank;
  return model;
}

Prediction PredictRating(const MfModel& model, absl::string_view user, absl::string_view item) {
  const int64_t stride = RowStride(model.rank);
  const int32_t u = model.users.Find(user);
  const int32_t i = model.items.Find(item);
  Prediction prediction{.user_known = u >= 0, .item_known = i >= 0};
  if (u >= 0 && i >= 0) {
    prediction.value = model.predictor.Predict(model.user_rows.data() + u * stride,
                                               model.item_rows.data() + i * stride);
    return prediction;
  }
  double p = model.predictor.mu;
  if (u >= 0) p += model.user_rows[u * stride + model.rank];
  if (i >= 0) p += model.item_rows[i * stride + model.rank];
  prediction.value = std::clamp(p, model.predictor.min_rating, model.predictor.max_rating);
  return prediction;
}

absl::StatusOr<PredictCounts> PredictPairs(const MfModel& model, const std::string& pairs_path,
                                           std::ostream& out) {
  PredictCounts counts;
  bool first = true;
  double number = 0;
  const bool numeric_ids = model.users.size() > 0 && model.items.size() > 0 &&
                           absl::SimpleAtod(model.users.names[0], &number) &&
                           absl::SimpleAtod(model.items.names[0], &number);
  std::string predictions;
  absl::Status status =
      ForEachLine(pairs_path, [&](const std::vector<absl::string_view>& fields, int64_t line) {
        const bool was_first = first;
        first = false;
        if (fields.size() < 2) {
          return Malformed(pairs_path, line,
                           absl::StrCat("expected 'user item', got ", fields.size(), " field(s)"));
        }
        double number = 0;
        // A header such as "userId,movieId,rating,timestamp".
        if (was_first && fields.size() >= 3 && !absl::SimpleAtod(fields[2], &number)) {
          return absl::OkStatus();
        }
        // A pairs file's header such as "userId,movieId": two words where the model's ids are
        // numbers (with text ids a first pair could look the same, so it is kept there).
        if (was_first && fields.size() == 2 && numeric_ids &&
            !absl::SimpleAtod(fields[0], &number) && !absl::SimpleAtod(fields[1], &number)) {
          return absl::OkStatus();
        }
        const Prediction p = PredictRating(model, fields[0], fields[1]);
        ++counts.pairs;
        counts.unknown_users += p.user_known ? 0 : 1;
        counts.unknown_items += p.item_known ? 0 : 1;
        predictions.append(fields[0].data(), fields[0].size());
        predictions.push_back('\t');
        predictions.append(fields[1].data(), fields[1].size());
        predictions.push_back('\t');
        AppendNumber(p.value, &predictions);
        predictions.push_back('\n');
        return absl::OkStatus();
      });
  // Nothing is written unless every line was good: a bad line must not leave a prefix of the
  // predictions that looks like a complete output.
  if (!status.ok()) return status;
  out << predictions;
  if (!out) return absl::DataLossError("writing the predictions failed");
  return counts;
}

std::vector<Recommendation> Recommend(const MfModel& model, absl::string_view user, int64_t top,
                                      const absl::flat_hash_set<int32_t>& exclude) {
  const int64_t stride = RowStride(model.rank);
  const int32_t u = model.users.Find(user);
  const double* user_row = u >= 0 ? model.user_rows.data() + u * stride : nullptr;
  std::vector<std::pair<double, int32_t>> scored;
  scored.reserve(static_cast<size_t>(model.items.size()));
  for (int32_t i = 0; i < model.items.size(); ++i) {
    if (exclude.contains(i)) continue;
    scored.emplace_back(RawScore(model, user_row, model.item_rows.data() + i * stride), i);
  }
  const size_t keep = static_cast<size_t>(std::clamp<int64_t>(top, 0, scored.size()));
  auto better = [](const std::pair<double, int32_t>& a, const std::pair<double, int32_t>& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(keep),
                    scored.end(), better);
  std::vector<Recommendation> out;
  for (size_t r = 0; r < keep; ++r) {
    out.push_back(
        {model.items.names[scored[r].second],
         std::clamp(scored[r].first, model.predictor.min_rating, model.predictor.max_rating)});
  }
  return out;
}

absl::StatusOr<absl::flat_hash_set<int32_t>> RatedItems(const MfModel& model,
                                                        const std::string& path,
                                                        absl::string_view user) {
  absl::StatusOr<TrainingRatings> ratings = ReadTrainingRatings(path);
  if (!ratings.ok()) return ratings.status();
  absl::flat_hash_set<int32_t> rated;
  const int32_t u = ratings->users.Find(user);
  if (u < 0) return rated;
  for (int32_t i : ratings->by_user.RowIdx(u)) {
    const int32_t in_model = model.items.Find(ratings->items.names[i]);
    if (in_model >= 0) rated.insert(in_model);
  }
  return rated;
}

}  // namespace strads::mf
