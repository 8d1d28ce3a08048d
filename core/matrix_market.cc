#include "core/matrix_market.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/file_text.h"
#include "core/number_text.h"
#include "core/user_text.h"

namespace strads::core {
namespace {

// This Abseil build has its own absl::string_view, which does not convert from std::string_view.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

constexpr char kBannerExample[] = "'%%MatrixMarket matrix coordinate real general'";

// Walks the text line by line, counting lines from 1.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}
  bool Next(std::string_view* line) {
    if (p_ >= end_) return false;
    ++line_no_;
    const char* nl = static_cast<const char*>(std::memchr(p_, '\n', end_ - p_));
    const char* line_end = nl != nullptr ? nl : end_;
    *line = std::string_view(p_, static_cast<size_t>(line_end - p_));
    p_ = nl != nullptr ? nl + 1 : end_;
    return true;
  }
  // Skips '%' comments and blank lines; false at the end of the text.
  bool NextData(std::string_view* line) {
    while (Next(line)) {
      size_t first = 0;
      while (first < line->size() && IsBlank((*line)[first])) ++first;
      if (first < line->size() && (*line)[first] != '%') return true;
    }
    return false;
  }
  int64_t line_no() const { return line_no_; }

 private:
  const char* p_;
  const char* end_;
  int64_t line_no_ = 0;
};

// Up to `max` whitespace-separated words of `line` into `words`; returns how many there are,
// counting at most max + 1 (so "too many" is seen without scanning the rest).
int SplitWords(std::string_view line, std::string_view* words, int max) {
  int n = 0;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    if (i == line.size()) break;
    const size_t b = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    if (n == max) return max + 1;
    words[n++] = line.substr(b, i - b);
  }
  return n;
}

enum class Format { kCoordinate, kArray };
enum class Field { kReal, kInteger, kPattern };
enum class Symmetry { kGeneral, kSymmetric, kSkewSymmetric };

struct Header {
  Format format = Format::kCoordinate;
  Field field = Field::kReal;
  Symmetry symmetry = Symmetry::kGeneral;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t entries = 0;  // lines of values the file declares (rows * cols for an array)
  int64_t size_line = 0;
  size_t body_offset = 0;  // where the entries start in the text
  int64_t body_first_line = 0;
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  absl::Status Error(int64_t line, std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(Av(source_), " line ", line, ": ", Av(what)));
  }
  absl::Status FileError(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(Av(source_), ": ", Av(what)));
  }

  absl::StatusOr<Header> ReadHeader() const {
    LineReader lines(text_);
    std::string_view line;
    if (!lines.Next(&line)) return FileError(absl::StrCat("is empty; expected ", kBannerExample));
    std::string_view words[6];
    const int n = SplitWords(line, words, 5);
    if (n == 0 || !absl::EqualsIgnoreCase(Av(words[0]), "%%MatrixMarket")) {
      return Error(1, absl::StrCat("no MatrixMarket banner (got ", QuoteUserText(line),
                                   "); the file must start with ", kBannerExample));
    }
    if (n != 5) {
      return Error(1,
                   absl::StrCat("the banner ", QuoteUserText(line, 80),
                                " needs four words after %%MatrixMarket, e.g. ", kBannerExample));
    }
    const std::string object = absl::AsciiStrToLower(Av(words[1]));
    const std::string format = absl::AsciiStrToLower(Av(words[2]));
    const std::string field = absl::AsciiStrToLower(Av(words[3]));
    const std::string symmetry = absl::AsciiStrToLower(Av(words[4]));
    Header header;
    if (object != "matrix") {
      return Error(1, absl::StrCat("object ", QuoteUserText(words[1]),
                                   " is not supported; expected 'matrix'"));
    }
    if (format == "coordinate") {
      header.format = Format::kCoordinate;
    } else if (format == "array") {
      header.format = Format::kArray;
    } else {
      return Error(1, absl::StrCat("format ", QuoteUserText(words[2]),
                                   " is not supported; expected 'coordinate' or 'array'"));
    }
    if (field == "real" || field == "double") {
      header.field = Field::kReal;
    } else if (field == "integer") {
      header.field = Field::kInteger;
    } else if (field == "pattern") {
      if (header.format == Format::kArray) {
        return Error(1, "an array file cannot be 'pattern' (it lists values); use coordinate");
      }
      header.field = Field::kPattern;
    } else {
      return Error(1, absl::StrCat("field ", QuoteUserText(words[3]),
                                   " is not supported; expected real, integer or pattern"));
    }
    if (symmetry == "general") {
      header.symmetry = Symmetry::kGeneral;
    } else if (symmetry == "symmetric") {
      header.symmetry = Symmetry::kSymmetric;
    } else if (symmetry == "skew-symmetric") {
      header.symmetry = Symmetry::kSkewSymmetric;
    } else {
      return Error(1, absl::StrCat("symmetry ", QuoteUserText(words[4]),
                                   " is not supported; expected general, symmetric or "
                                   "skew-symmetric"));
    }
    if (header.format == Format::kArray && header.symmetry != Symmetry::kGeneral) {
      return Error(1, absl::StrCat("a ", symmetry,
                                   " array is not supported; write the matrix as 'array real "
                                   "general' or as coordinates"));
    }

    const bool coordinate = header.format == Format::kCoordinate;
    const char* expected = coordinate ? "'rows columns entries'" : "'rows columns'";
    if (!lines.NextData(&line)) {
      return FileError(absl::StrCat("has no size line ", expected, " after the banner"));
    }
    header.size_line = lines.line_no();
    const int want = coordinate ? 3 : 2;
    const int got = SplitWords(line, words, want);
    if (got != want) {
      return Error(header.size_line,
                   absl::StrCat("the size line ", QuoteUserText(line), " must be ", expected,
                                " for a ", format, " file"));
    }
    int64_t sizes[3] = {0, 0, 0};
    const char* names[3] = {"rows", "columns", "entries"};
    for (int i = 0; i < want; ++i) {
      if (!ParseInt(words[i], &sizes[i]) || sizes[i] < 0) {
        return Error(header.size_line,
                     absl::StrCat("the number of ", names[i], " ", QuoteUserText(words[i]),
                                  " is not a non-negative integer"));
      }
    }
    header.rows = sizes[0];
    header.cols = sizes[1];
    if (header.rows > std::numeric_limits<int32_t>::max()) {
      return Error(header.size_line,
                   absl::StrCat(header.rows, " rows: at most ", std::numeric_limits<int32_t>::max(),
                                " samples are supported"));
    }
    if (header.cols > kMaxLibsvmFeatures) {
      return Error(header.size_line, absl::StrCat(header.cols, " columns: at most ",
                                                  kMaxLibsvmFeatures, " features are supported"));
    }
    if (header.symmetry != Symmetry::kGeneral && header.rows != header.cols) {
      return Error(header.size_line, absl::StrCat("a ", symmetry, " matrix must be square, got ",
                                                  header.rows, " x ", header.cols));
    }
    // Compared in long double: rows * cols can exceed int64 for a bogus size line.
    const long double cells = static_cast<long double>(header.rows) * header.cols;
    if (coordinate) {
      header.entries = sizes[2];
      if (static_cast<long double>(header.entries) > cells) {
        return Error(header.size_line, absl::StrCat(header.entries, " entries do not fit in a ",
                                                    header.rows, " x ", header.cols, " matrix"));
      }
    } else {
      // Every value takes at least two bytes ("0\n"): a larger claim cannot be true, and is
      // refused before it sizes anything.
      if (cells > static_cast<long double>(text_.size())) {
        return Error(header.size_line,
                     absl::StrCat("a ", header.rows, " x ", header.cols,
                                  " array does not fit in a file of ", text_.size(), " bytes"));
      }
      header.entries = header.rows * header.cols;
    }
    header.body_first_line = lines.line_no() + 1;
    header.body_offset = static_cast<size_t>(line.data() + line.size() - text_.data());
    return header;
  }

  // Calls sink(line, row, col, value) for every entry in file order (0-based indices, before any
  // mirroring), after checking its words, range and value.
  template <typename Sink>
  absl::Status ForEachEntry(const Header& h, Sink&& sink) const {
    std::string_view rest = text_.substr(h.body_offset);
    // The size line's own end: the first line of `rest` is the remainder of that line.
    const size_t nl = rest.find('\n');
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    LineReader lines(rest);
    const int64_t line_base = h.body_first_line - 1;
    const bool coordinate = h.format == Format::kCoordinate;
    const int per_line = !coordinate ? 1 : h.field == Field::kPattern ? 2 : 3;
    int64_t count = 0;
    std::string_view line;
    std::string_view words[4];
    while (lines.NextData(&line)) {
      const int64_t line_no = line_base + lines.line_no();
      const int n = SplitWords(line, words, per_line);
      if (n != per_line) {
        const char* expected = !coordinate                  ? "one value"
                               : h.field == Field::kPattern ? "'row column'"
                                                            : "'row column value'";
        return Error(line_no, absl::StrCat("expected ", expected, ", got ", QuoteUserText(line)));
      }
      if (count == h.entries) {
        return Error(line_no, absl::StrCat("more entries than the ", h.entries,
                                           " declared on line ", h.size_line));
      }
      int64_t row = 0;
      int64_t col = 0;
      if (coordinate) {
        int64_t index[2];
        const int64_t bound[2] = {h.rows, h.cols};
        const char* name[2] = {"row", "column"};
        for (int k = 0; k < 2; ++k) {
          if (!ParseInt(words[k], &index[k])) {
            return Error(line_no, absl::StrCat(name[k], " index ", QuoteUserText(words[k]),
                                               " is not an integer"));
          }
          if (index[k] < 1 || index[k] > bound[k]) {
            return Error(line_no, absl::StrCat(name[k], " index ", index[k], " is outside 1..",
                                               bound[k], " (MatrixMarket indices start at 1)"));
          }
        }
        row = index[0] - 1;
        col = index[1] - 1;
        if (h.symmetry == Symmetry::kSkewSymmetric && row == col) {
          return Error(line_no, absl::StrCat("entry (", index[0], ", ", index[1],
                                             ") is on the diagonal of a skew-symmetric matrix, "
                                             "which is zero"));
        }
      } else {
        row = count % h.rows;
        col = count / h.rows;
      }
      double value = 1;
      if (h.field != Field::kPattern) {
        const std::string_view text = words[per_line - 1];
        if (h.field == Field::kInteger) {
          int64_t integer;
          if (!ParseInt(text, &integer)) {
            return Error(line_no, absl::StrCat("value ", QuoteUserText(text),
                                               " is not an integer (the banner says integer)"));
          }
          value = static_cast<double>(integer);
        } else if (!ParseDouble(text, &value)) {
          return Error(line_no, absl::StrCat("value ", QuoteUserText(text), " is not a number"));
        } else if (!std::isfinite(value)) {
          return Error(line_no, absl::StrCat("value is ", std::isnan(value) ? "NaN" : "infinite"));
        }
      }
      ++count;
      sink(line_no, row, col, value);
    }
    if (count < h.entries) {
      return FileError(absl::StrCat("ends after ", count, " of the ", h.entries,
                                    coordinate ? " entries" : " values", " declared on line ",
                                    h.size_line));
    }
    return absl::OkStatus();
  }

  // The error for an entry found twice at (row, col) of the assembled matrix: the lines of its
  // first two appearances, found by reading the entries again (only on this error path).
  absl::Status DuplicateError(const Header& h, int64_t row, int64_t col) const {
    int64_t first = 0;
    int64_t second = 0;
    bool mirrored = false;
    ForEachEntry(h, [&](int64_t line, int64_t r, int64_t c, double) {
      if (second != 0) return;
      const bool direct = r == row && c == col;
      const bool mirror = h.symmetry != Symmetry::kGeneral && c == row && r == col;
      if (!direct && !mirror) return;
      if (!direct) mirrored = true;
      (first == 0 ? first : second) = line;
    }).IgnoreError();
    std::string what = absl::StrCat("entry (", row + 1, ", ", col + 1, ") is given twice");
    if (mirrored) absl::StrAppend(&what, " (a symmetric file lists each off-diagonal pair once)");
    if (first == 0 || second == 0) return FileError(what);
    return Error(second, absl::StrCat(what, "; first on line ", first));
  }

  absl::StatusOr<CscMatrix> Parse(Header* header_out) const {
    absl::StatusOr<Header> header = ReadHeader();
    if (!header.ok()) return header.status();
    const Header& h = *header;
    *header_out = h;
    const bool mirror = h.symmetry != Symmetry::kGeneral;
    const double mirror_sign = h.symmetry == Symmetry::kSkewSymmetric ? -1.0 : 1.0;
    // Sized from the declaration, but never beyond what the text can hold (an entry line takes
    // at least four bytes), so a lying size line cannot allocate.
    const size_t reserve = static_cast<size_t>(
        std::min<int64_t>(h.entries, static_cast<int64_t>(text_.size() / 4 + 1)));
    std::vector<int32_t> rows;
    std::vector<int32_t> cols;
    std::vector<double> values;
    rows.reserve(mirror ? 2 * reserve : reserve);
    cols.reserve(rows.capacity());
    values.reserve(rows.capacity());
    const bool keep_zeros = h.format == Format::kCoordinate;
    absl::Status status = ForEachEntry(h, [&](int64_t, int64_t r, int64_t c, double v) {
      if (v == 0 && !keep_zeros) return;
      rows.push_back(static_cast<int32_t>(r));
      cols.push_back(static_cast<int32_t>(c));
      values.push_back(v);
      if (mirror && r != c) {
        rows.push_back(static_cast<int32_t>(c));
        cols.push_back(static_cast<int32_t>(r));
        values.push_back(mirror_sign * v);
      }
    });
    if (!status.ok()) return status;

    // Counting sort by column (stable, so entries listed in row order need no further sort),
    // then each column sorted by row, where a repeated row is a duplicate entry.
    CscMatrix m = CscFromColumns(h.rows, h.cols, CompressByOuter(h.cols, cols, rows, values));
    std::vector<int32_t>().swap(rows);
    std::vector<int32_t>().swap(cols);
    std::vector<double>().swap(values);
    std::vector<std::pair<int32_t, double>> scratch;
    for (int64_t j = 0; j < m.cols; ++j) {
      const int64_t b = m.col_ptr[j];
      const int64_t e = m.col_ptr[j + 1];
      if (!std::is_sorted(m.row_idx.begin() + b, m.row_idx.begin() + e)) {
        scratch.clear();
        for (int64_t p = b; p < e; ++p) scratch.emplace_back(m.row_idx[p], m.values[p]);
        std::sort(scratch.begin(), scratch.end(),
                  [](const auto& x, const auto& y) { return x.first < y.first; });
        for (int64_t p = b; p < e; ++p) {
          m.row_idx[p] = scratch[p - b].first;
          m.values[p] = scratch[p - b].second;
        }
      }
      for (int64_t p = b + 1; p < e; ++p) {
        if (m.row_idx[p] == m.row_idx[p - 1]) return DuplicateError(h, m.row_idx[p], j);
      }
    }
    return m;
  }

 private:
  std::string_view text_;
  std::string_view source_;
};

}  // namespace

absl::StatusOr<CscMatrix> ParseMatrixMarket(std::string_view text, std::string_view source_name) {
  Header header;
  return Parser(StripUtf8Bom(text), source_name).Parse(&header);
}

absl::StatusOr<std::vector<double>> ParseMatrixMarketVector(std::string_view text,
                                                            std::string_view source_name) {
  Parser parser(StripUtf8Bom(text), source_name);
  Header header;
  absl::StatusOr<CscMatrix> m = parser.Parse(&header);
  if (!m.ok()) return m.status();
  if (header.field == Field::kPattern) {
    return parser.Error(1, "a pattern file has no values; labels need 'real' or 'integer'");
  }
  if (m->cols != 1 && m->rows != 1) {
    return parser.Error(header.size_line, absl::StrCat("expected a vector (N x 1), got a ", m->rows,
                                                       " x ", m->cols, " matrix"));
  }
  std::vector<double> out(static_cast<size_t>(m->cols == 1 ? m->rows : m->cols), 0.0);
  for (int64_t j = 0; j < m->cols; ++j) {
    std::span<const int32_t> rows = m->ColRows(j);
    std::span<const double> values = m->ColValues(j);
    for (size_t k = 0; k < rows.size(); ++k) out[m->cols == 1 ? rows[k] : j] = values[k];
  }
  return out;
}

absl::StatusOr<LabeledData> ReadMatrixMarketData(const std::string& x_path,
                                                 const std::string& y_path) {
  absl::StatusOr<std::string> x_text = ReadWholeFile(x_path);
  if (!x_text.ok()) return x_text.status();
  absl::StatusOr<CscMatrix> x = ParseMatrixMarket(*x_text, x_path);
  if (!x.ok()) return x.status();
  std::string().swap(*x_text);
  absl::StatusOr<std::string> y_text = ReadWholeFile(y_path);
  if (!y_text.ok()) return y_text.status();
  absl::StatusOr<std::vector<double>> y = ParseMatrixMarketVector(*y_text, y_path);
  if (!y.ok()) return y.status();
  if (static_cast<int64_t>(y->size()) != x->rows) {
    return absl::InvalidArgumentError(
        absl::StrCat(y_path, ": ", y->size(), " labels, but ", x_path, " has ", x->rows,
                     " rows (samples); the labels need one value per row"));
  }
  LabeledData data;
  data.x = *std::move(x);
  data.y = *std::move(y);
  return data;
}

}  // namespace strads::core
