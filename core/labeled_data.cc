#include "core/labeled_data.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/file_text.h"
#include "core/number_text.h"
#include "core/user_text.h"

namespace strads::core {
namespace {

// This Abseil build has its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW is 0), which
// does not convert from std::string_view.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// CSR (rows in order, indices increasing within a row, no duplicates) -> CSC by a counting
// transpose: no sort and no triplet array, which matters for files of many gigabytes.
CscMatrix CscFromRows(int64_t rows, int64_t cols, const std::vector<int64_t>& row_ptr,
                      const std::vector<int32_t>& col_idx, const std::vector<double>& vals) {
  return CscFromColumns(rows, cols, Transpose(cols, row_ptr, col_idx, vals));
}

}  // namespace

LibsvmParser::LibsvmParser(std::string source_name) : source_name_(std::move(source_name)) {}

absl::Status LibsvmParser::Error(const std::string& what) const {
  return absl::InvalidArgumentError(absl::StrCat(source_name_, " line ", line_no_, ": ", what));
}

absl::Status LibsvmParser::Feed(std::string_view text) {
  if (!failed_.ok()) return failed_;
  // Every feature token holds one ':', so counting them sizes the arrays: a single Feed of a
  // whole file allocates once, with no regrowth copies and no doubled peak memory; piecewise
  // feeds grow by at least half each time, so the copies stay linear. (Comments and "qid:"
  // overcount slightly.)
  const size_t colons = static_cast<size_t>(std::count(text.begin(), text.end(), ':'));
  const size_t needed = col_idx_.size() + colons;
  if (needed > col_idx_.capacity()) {
    const size_t grown = col_idx_.empty() ? needed : std::max(needed, col_idx_.capacity() * 3 / 2);
    col_idx_.reserve(grown);
    vals_.reserve(grown);
  }
  if (!started_) {
    text = StripUtf8Bom(text);
    started_ = true;
  }
  absl::Status status = ParseLines(text);
  if (!status.ok()) failed_ = status;
  return status;
}

absl::Status LibsvmParser::ParseLines(std::string_view text) {
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    ++line_no_;
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    const char* line_end = nl ? nl : end;
    const char* q = p;
    p = nl ? nl + 1 : end;

    while (q < line_end && IsBlank(*q)) ++q;
    if (q == line_end || *q == '#') continue;

    auto next_token = [&]() -> std::string_view {
      while (q < line_end && IsBlank(*q)) ++q;
      const char* b = q;
      while (q < line_end && !IsBlank(*q)) ++q;
      return {b, static_cast<size_t>(q - b)};
    };

    const std::string_view label_text = next_token();
    double label;
    if (!ParseDouble(label_text, &label)) {
      return Error(absl::StrCat("label ", QuoteUserText(label_text), " is not a number"));
    }
    if (std::isnan(label)) return Error("label is NaN");
    if (std::isinf(label)) return Error("label is infinite");

    int64_t prev = 0;
    for (;;) {
      const std::string_view tok = next_token();
      if (tok.empty() || tok.front() == '#') break;  // end of line, or a trailing comment
      const size_t colon = tok.find(':');
      if (colon == std::string_view::npos) {
        return Error(
            absl::StrCat("token ", QuoteUserText(tok), " is not index:value (missing ':')"));
      }
      const std::string_view index_text = tok.substr(0, colon);
      const std::string_view value_text = tok.substr(colon + 1);
      if (index_text == "qid") continue;  // ranking query id; meaningless for regression
      int64_t index;
      if (!ParseInt(index_text, &index)) {
        return Error(absl::StrCat("index ", QuoteUserText(index_text), " is not an integer"));
      }
      if (index <= 0) {
        return Error(absl::StrCat("index ", index, "; LIBSVM indices start at 1"));
      }
      if (index > kMaxLibsvmFeatures) {
        return Error(absl::StrCat("index ", index, " is too large: at most ", kMaxLibsvmFeatures,
                                  " features are supported"));
      }
      if (index <= prev) {
        return Error(absl::StrCat("indices must be increasing (", index, " after ", prev, ")"));
      }
      prev = index;
      double value;
      if (!ParseDouble(value_text, &value)) {
        return Error(absl::StrCat("value ", QuoteUserText(value_text), " for index ", index,
                                  " is not a number"));
      }
      if (!std::isfinite(value)) {
        return Error(absl::StrCat("value for index ", index, " is ",
                                  std::isnan(value) ? "NaN" : "infinite"));
      }
      col_idx_.push_back(static_cast<int32_t>(index - 1));
      vals_.push_back(value);
    }
    if (prev > max_index_) max_index_ = prev;
    y_.push_back(label);
    row_ptr_.push_back(static_cast<int64_t>(col_idx_.size()));
    if (static_cast<int64_t>(y_.size()) > std::numeric_limits<int32_t>::max()) {
      return Error(absl::StrCat("more than ", std::numeric_limits<int32_t>::max(),
                                " samples are not supported"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<LabeledData> LibsvmParser::Finish(int64_t min_features, bool allow_empty) {
  if (!failed_.ok()) return failed_;
  if (y_.empty() && !allow_empty) {
    return absl::InvalidArgumentError(absl::StrCat(source_name_, " has no samples"));
  }
  LabeledData data;
  const int64_t rows = static_cast<int64_t>(y_.size());
  const int64_t cols = std::max<int64_t>(max_index_, min_features);
  data.x = CscFromRows(rows, cols, row_ptr_, col_idx_, vals_);
  data.y = std::move(y_);
  *this = LibsvmParser(std::move(source_name_));
  return data;
}

absl::StatusOr<LabeledData> ParseLibsvm(std::string_view text, std::string_view source_name,
                                        int64_t min_features) {
  LibsvmParser parser{std::string(source_name)};
  if (absl::Status status = parser.Feed(text); !status.ok()) return status;
  return parser.Finish(min_features);
}

absl::StatusOr<LabeledData> ReadLibsvmFile(const std::string& path, int64_t min_features) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  return ParseLibsvm(*text, path, min_features);
}

absl::Status WriteLibsvmFile(const std::string& path, const LabeledData& data) {
  const CscMatrix& x = data.x;
  if (static_cast<int64_t>(data.y.size()) != x.rows) {
    return absl::InvalidArgumentError(
        absl::StrFormat("cannot write '%s': %d labels for %d rows", path, data.y.size(), x.rows));
  }
  for (double v : data.y) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot write '", path, "': a label is not finite"));
    }
  }
  for (double v : x.values) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot write '", path, "': a value is not finite"));
    }
  }

  // CSC -> row-major, columns ascending within each row because columns are visited in order.
  std::vector<int64_t> row_ptr(static_cast<size_t>(x.rows) + 1, 0);
  for (int32_t r : x.row_idx) ++row_ptr[r + 1];
  for (int64_t i = 0; i < x.rows; ++i) row_ptr[i + 1] += row_ptr[i];
  std::vector<int64_t> cols(x.row_idx.size());
  std::vector<double> vals(x.row_idx.size());
  {
    std::vector<int64_t> next(row_ptr.begin(), row_ptr.end() - 1);
    for (int64_t j = 0; j < x.cols; ++j) {
      for (int64_t p = x.col_ptr[j]; p < x.col_ptr[j + 1]; ++p) {
        const int64_t q = next[x.row_idx[p]]++;
        cols[q] = j;
        vals[q] = x.values[p];
      }
    }
  }

  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open '", path, "' for writing: ", std::strerror(errno)));
  }
  std::string buf;
  buf.reserve(1 << 20);
  // std::to_chars writes the shortest text that reads back to the same double: exact like
  // "%.17g", shorter, and several times faster.
  char num[64];
  auto append_double = [&](double v) {
    const auto r = std::to_chars(num, num + sizeof(num), v);
    buf.append(num, r.ptr - num);
  };
  bool ok = true;
  auto flush = [&] {
    if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) ok = false;
    buf.clear();
  };
  for (int64_t i = 0; i < x.rows && ok; ++i) {
    append_double(data.y[i]);
    for (int64_t p = row_ptr[i]; p < row_ptr[i + 1]; ++p) {
      buf.push_back(' ');
      const auto r = std::to_chars(num, num + sizeof(num), cols[p] + 1);
      buf.append(num, r.ptr - num);
      buf.push_back(':');
      append_double(vals[p]);
    }
    buf.push_back('\n');
    if (buf.size() > (1 << 20) - 4096) flush();
  }
  flush();
  const int close_rc = std::fclose(f);
  if (!ok || close_rc != 0) {
    return absl::DataLossError(absl::StrCat("cannot write '", path, "': ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace strads::core
