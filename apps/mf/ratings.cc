#include "apps/mf/ratings.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <numeric>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/compressed_sparse.h"
#include "core/file_text.h"
#include "core/user_text.h"

namespace strads::mf {

absl::string_view NextField(absl::string_view line, size_t* pos) {
  auto is_separator = [](char c) {
    return c == ' ' || c == '\t' || c == ',' || c == ':' || c == '\r';
  };
  size_t i = *pos;
  while (i < line.size() && is_separator(line[i])) ++i;
  const size_t start = i;
  while (i < line.size() && !is_separator(line[i])) ++i;
  *pos = i;
  return line.substr(start, i - start);
}

namespace {

// Called once per rating with the ids' text as written and the rating.
using EntrySink = std::function<absl::Status(absl::string_view user, absl::string_view item,
                                             double rating, int64_t line)>;

// Splits `line` at runs of separators into at most `max` fields; returns the number of fields
// found (max + 1 when there are more). Allocation-free.
int SplitFields(absl::string_view line, absl::string_view* fields, int max) {
  int count = 0;
  size_t pos = 0;
  for (absl::string_view field = NextField(line, &pos); !field.empty();
       field = NextField(line, &pos)) {
    if (count == max) return max + 1;
    fields[count++] = field;
  }
  return count;
}

// A file's text for an error message (this Abseil's string_view is not std::string_view).
std::string Quote(absl::string_view text, size_t max_chars = 40) {
  return core::QuoteUserText(std::string_view(text.data(), text.size()), max_chars);
}

std::string Where(const std::string& path, int64_t line) {
  return absl::StrCat(path, " line ", line, ": ");
}

absl::Status ParseRating(absl::string_view text, double* rating) {
  if (!absl::SimpleAtod(text, rating)) {
    return absl::InvalidArgumentError(absl::StrCat("rating ", Quote(text), " is not a number"));
  }
  if (!std::isfinite(*rating)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rating ", Quote(text), " is not finite; NaN and infinity are refused"));
  }
  return absl::OkStatus();
}

// `status` with "<path> line <line>: " in front.
absl::Status At(const std::string& path, int64_t line, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(Where(path, line), status.message()));
}

absl::Status ParseMatrixMarket(std::ifstream& in, const std::string& path, absl::string_view header,
                               const EntrySink& sink) {
  if (absl::Status status = CheckRatingsMatrixMarketBanner(header); !status.ok()) {
    return At(path, 1, status);
  }
  absl::string_view fields[4];
  std::string text;
  int64_t line = 1;
  int64_t rows = -1;
  int64_t cols = -1;
  int64_t declared = -1;
  int64_t entries = 0;
  while (std::getline(in, text)) {
    ++line;
    absl::string_view view = absl::StripAsciiWhitespace(text);
    if (view.empty() || view[0] == '%') continue;
    const int count = SplitFields(view, fields, 3);
    if (declared < 0) {
      absl::StatusOr<MatrixMarketSize> size = ParseMatrixMarketSize(view);
      if (!size.ok()) return At(path, line, size.status());
      rows = size->rows;
      cols = size->cols;
      declared = size->entries;
      continue;
    }
    if (count != 3) {
      return absl::InvalidArgumentError(absl::StrCat(
          Where(path, line), "expected 'row column value' (3 fields), got ", Quote(view, 80)));
    }
    int64_t i = 0;
    int64_t j = 0;
    if (!absl::SimpleAtoi(fields[0], &i) || i < 1 || i > rows) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(path, line), "row ", Quote(fields[0]), " is not in [1, ", rows, "]"));
    }
    if (!absl::SimpleAtoi(fields[1], &j) || j < 1 || j > cols) {
      return absl::InvalidArgumentError(absl::StrCat(Where(path, line), "column ", Quote(fields[1]),
                                                     " is not in [1, ", cols, "]"));
    }
    double rating = 0;
    if (absl::Status status = ParseRating(fields[2], &rating); !status.ok()) {
      return At(path, line, status);
    }
    if (++entries > declared) {
      return absl::InvalidArgumentError(absl::StrCat(Where(path, line), "more entries than the ",
                                                     declared, " the size line declares"));
    }
    // Indices are numbers: "01", "+1" and "1" are the same row, so ids are written canonically.
    char row_id[24];
    char col_id[24];
    const absl::string_view row_text(row_id, std::to_chars(row_id, row_id + 24, i).ptr - row_id);
    const absl::string_view col_text(col_id, std::to_chars(col_id, col_id + 24, j).ptr - col_id);
    if (absl::Status status = sink(row_text, col_text, rating, line); !status.ok()) {
      return status;
    }
  }
  if (declared < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": MatrixMarket file has no size line 'rows cols entries'"));
  }
  if (entries != declared) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the size line declares ", declared,
                                                   " entries but the file has ", entries,
                                                   " (truncated?)"));
  }
  return absl::OkStatus();
}

absl::Status ParseText(std::ifstream& in, const std::string& path, std::string first_line,
                       const EntrySink& sink) {
  std::string text = std::move(first_line);
  int64_t line = 1;
  bool first_data_line = true;
  do {
    absl::string_view view = absl::StripAsciiWhitespace(text);
    if (view.empty() || view[0] == '#' || view[0] == '%') continue;
    absl::StatusOr<std::optional<RatingLine>> parsed = ParseRatingLine(view, first_data_line);
    first_data_line = false;
    if (!parsed.ok()) return At(path, line, parsed.status());
    if (!parsed->has_value()) continue;  // a header
    const RatingLine& rating = **parsed;
    if (absl::Status status = sink(rating.user, rating.item, rating.rating, line); !status.ok()) {
      return status;
    }
  } while ((++line, std::getline(in, text)));
  return absl::OkStatus();
}

absl::Status ParseRatingsFile(const std::string& path, const EntrySink& sink) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    // An ifstream opens a directory and then reads nothing, which would pass for an empty file.
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     " is a directory; give the ratings file inside it (a directory of part-* "
                     "files is read with --data-access shared)"));
  }
  std::ifstream in(path);
  if (!in.is_open()) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open the ratings file (missing or unreadable)"));
  }
  std::string first;
  if (!std::getline(in, first)) return absl::OkStatus();  // empty file
  if (absl::Status status = core::RefuseCompressedText(first, path); !status.ok()) return status;
  // A byte-order mark (spreadsheets write one) would otherwise become part of the first user id.
  first.erase(0, first.size() - core::StripUtf8Bom(first).size());
  absl::Status status;
  if (absl::StartsWithIgnoreCase(first, "%%MatrixMarket")) {
    status = ParseMatrixMarket(in, path, absl::StripAsciiWhitespace(first), sink);
  } else {
    status = ParseText(in, path, std::move(first), sink);
  }
  if (status.ok() && in.bad()) {
    return absl::DataLossError(absl::StrCat(path, ": read error"));
  }
  return status;
}

// Dense index of `name`, adding it when new.
absl::StatusOr<int32_t> Intern(IdMap& map, absl::string_view name, const char* what,
                               const std::string& path, int64_t line) {
  auto it = map.index.find(name);
  if (it != map.index.end()) return it->second;
  if (map.size() >= std::numeric_limits<int32_t>::max()) {
    return absl::ResourceExhaustedError(
        absl::StrCat(Where(path, line), "more than 2^31 - 1 distinct ", what, "s"));
  }
  const int32_t index = static_cast<int32_t>(map.size());
  map.names.emplace_back(name);
  map.index.emplace(map.names.back(), index);
  return index;
}

// Re-numbers `map` by numeric id when every id is an integer; fills old -> new in `renumber`
// (identity otherwise).
void OrderIds(IdMap& map, std::vector<int32_t>* renumber) {
  const int64_t n = map.size();
  std::vector<int64_t> numeric(n);
  bool all_numeric = true;
  for (int64_t i = 0; i < n && all_numeric; ++i) {
    all_numeric = absl::SimpleAtoi(map.names[i], &numeric[i]);
  }
  renumber->resize(n);
  std::iota(renumber->begin(), renumber->end(), 0);
  if (!all_numeric) return;
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return numeric[a] < numeric[b]; });
  std::vector<std::string> names(n);
  for (int64_t k = 0; k < n; ++k) {
    (*renumber)[order[k]] = static_cast<int32_t>(k);
    names[k] = std::move(map.names[order[k]]);
  }
  map.names = std::move(names);
  map.index.clear();
  for (int64_t k = 0; k < n; ++k) map.index.emplace(map.names[k], static_cast<int32_t>(k));
}

}  // namespace

absl::StatusOr<std::optional<RatingLine>> ParseRatingLine(absl::string_view line,
                                                          bool header_allowed) {
  absl::string_view fields[4];
  const int count = SplitFields(line, fields, 4);
  if (count < 3 || count > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected 'user item rating [timestamp]' separated by tabs, commas, '::' or "
                     "spaces, got ",
                     Quote(line, 80)));
  }
  double number = 0;
  if (header_allowed && !absl::SimpleAtod(fields[2], &number) &&
      !absl::SimpleAtod(fields[0], &number)) {
    return std::nullopt;  // a header such as "userId,movieId,rating,timestamp"
  }
  RatingLine parsed{.user = fields[0], .item = fields[1]};
  if (absl::Status status = ParseRating(fields[2], &parsed.rating); !status.ok()) return status;
  return parsed;
}

absl::Status CheckRatingsMatrixMarketBanner(absl::string_view banner) {
  absl::string_view fields[6];
  const std::string lowered = absl::AsciiStrToLower(absl::StripAsciiWhitespace(banner));
  const int n = SplitFields(lowered, fields, 5);
  if (n != 5 || fields[1] != "matrix" || fields[2] != "coordinate" ||
      (fields[3] != "real" && fields[3] != "integer" && fields[3] != "double") ||
      fields[4] != "general") {
    return absl::InvalidArgumentError(absl::StrCat(
        "unsupported MatrixMarket header ", Quote(absl::StripAsciiWhitespace(banner), 80),
        "; ratings need '%%MatrixMarket matrix coordinate real general' (or integer)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<MatrixMarketSize> ParseMatrixMarketSize(absl::string_view line) {
  absl::string_view fields[4];
  MatrixMarketSize size;
  if (SplitFields(line, fields, 3) != 3 || !absl::SimpleAtoi(fields[0], &size.rows) ||
      !absl::SimpleAtoi(fields[1], &size.cols) || !absl::SimpleAtoi(fields[2], &size.entries) ||
      size.rows < 0 || size.cols < 0 || size.entries < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected the size line 'rows cols entries', got ", Quote(line, 80)));
  }
  return size;
}

int32_t IdMap::Find(absl::string_view name) const {
  auto it = index.find(name);
  return it == index.end() ? -1 : it->second;
}

void ComputeRatingStats(TrainingRatings* train) {
  const std::vector<double>& values = train->by_user.values;
  double sum = 0;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (double v : values) {
    sum += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  train->mean = values.empty() ? 0 : sum / static_cast<double>(values.size());
  train->min_rating = values.empty() ? 0 : lo;
  train->max_rating = values.empty() ? 0 : hi;
}

namespace {

RatingsCsr FromCompressed(int64_t rows, int64_t cols, core::CompressedEntries entries) {
  RatingsCsr m;
  m.rows = rows;
  m.cols = cols;
  m.ptr = std::move(entries.ptr);
  m.idx = std::move(entries.idx);
  m.values = std::move(entries.values);
  return m;
}

}  // namespace

RatingsCsr BucketByRow(int64_t rows, int64_t cols, std::span<const int32_t> row_of,
                       std::span<const int32_t> col_of, std::span<const double> values) {
  return FromCompressed(rows, cols, core::CompressByOuter(rows, row_of, col_of, values));
}

RatingsCsr Transpose(const RatingsCsr& m) {
  return FromCompressed(m.cols, m.rows, core::Transpose(m.cols, m.ptr, m.idx, m.values));
}

absl::StatusOr<TrainingRatings> ReadTrainingRatings(const std::string& path) {
  TrainingRatings train;
  std::vector<int32_t> users;
  std::vector<int32_t> items;
  std::vector<double> values;
  absl::Status status =
      ParseRatingsFile(path,
                       [&](absl::string_view user, absl::string_view item, double rating,
                           int64_t line) -> absl::Status {
                         absl::StatusOr<int32_t> u = Intern(train.users, user, "user", path, line);
                         if (!u.ok()) return u.status();
                         absl::StatusOr<int32_t> i = Intern(train.items, item, "item", path, line);
                         if (!i.ok()) return i.status();
                         users.push_back(*u);
                         items.push_back(*i);
                         values.push_back(rating);
                         return absl::OkStatus();
                       });
  if (!status.ok()) return status;
  if (values.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": no ratings; expected 'user item rating' lines or a MatrixMarket "
                     "coordinate file"));
  }
  std::vector<int32_t> user_order;
  std::vector<int32_t> item_order;
  OrderIds(train.users, &user_order);
  OrderIds(train.items, &item_order);

  // Bucket by item first (keeping file order), then transpose twice: every row of both matrices
  // ends up sorted by column, whatever the file's order.
  for (int32_t& u : users) u = user_order[u];
  for (int32_t& i : items) i = item_order[i];
  train.by_user =
      Transpose(BucketByRow(train.items.size(), train.users.size(), items, users, values));
  // Within a user's row, the ratings of one item are adjacent and in file order (the bucketing
  // kept file order and both transposes are stable): keep the last of each run.
  {
    RatingsCsr& m = train.by_user;
    int64_t kept = 0;
    int64_t begin = 0;
    for (int64_t r = 0; r < m.rows; ++r) {
      const int64_t end = m.ptr[r + 1];
      for (int64_t e = begin; e < end; ++e) {
        if (e + 1 < end && m.idx[e + 1] == m.idx[e]) {
          ++train.duplicates;
          continue;
        }
        m.idx[kept] = m.idx[e];
        m.values[kept] = m.values[e];
        ++kept;
      }
      begin = end;
      m.ptr[r + 1] = kept;
    }
    m.idx.resize(kept);
    m.values.resize(kept);
  }
  train.by_item = Transpose(train.by_user);
  ComputeRatingStats(&train);
  return train;
}

absl::StatusOr<TestRatings> ReadTestRatings(const std::string& path, const TrainingRatings& train) {
  TestRatings test;
  // As in training, a pair given twice keeps its last rating, so it is scored once. Keyed by the
  // ids as written: a pair of unknown ids has no index.
  absl::flat_hash_map<std::string, int64_t> position;
  auto add = [&](absl::string_view user, absl::string_view item, double rating,
                 int64_t) -> absl::Status {
    std::string key = absl::StrCat(user.size(), ":", user, item);
    const auto [it, inserted] = position.try_emplace(std::move(key), test.size());
    if (!inserted) {
      test.values[static_cast<size_t>(it->second)] = rating;
      ++test.duplicates;
      return absl::OkStatus();
    }
    const int32_t u = train.users.Find(user);
    const int32_t i = train.items.Find(item);
    if (u < 0 || i < 0) ++test.unknown;
    test.users.push_back(u);
    test.items.push_back(i);
    test.values.push_back(rating);
    return absl::OkStatus();
  };
  if (absl::Status status = ParseRatingsFile(path, add); !status.ok()) return status;
  return test;
}

}  // namespace strads::mf
