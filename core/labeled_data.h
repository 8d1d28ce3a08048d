// A design matrix with one label per row: the input of supervised apps such as Lasso.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/csc_matrix.h"

namespace strads::core {

struct LabeledData {
  CscMatrix x;            // rows = samples, cols = features
  std::vector<double> y;  // size x.rows
};

// The largest feature index a LIBSVM file may use. Every feature costs memory on the scheduler
// and on every worker whatever its non-zeros, and a Lasso duality-gap round sends one number per
// feature in one message (core/limits.h: 256 MiB), so a stray "2147483647:1" is refused here
// rather than exhausting memory.
inline constexpr int64_t kMaxLibsvmFeatures = 30'000'000;

// Reads LIBSVM text: "label index:value index:value ..." per line, indices 1-based and
// increasing. Blank lines and lines starting with '#' are skipped. Errors name the file and line
// ("train.libsvm line 17: index 0; LIBSVM indices start at 1"); NaN or inf values are refused.
// `min_features` widens the matrix when the file's largest index is smaller.
absl::StatusOr<LabeledData> ReadLibsvmFile(const std::string& path, int64_t min_features = 0);
absl::StatusOr<LabeledData> ParseLibsvm(std::string_view text, std::string_view source_name,
                                        int64_t min_features = 0);

// The same parser fed a piece at a time, so a reader never holds a whole file's text next to
// the matrix it becomes (a worker reading its partition of a shared file: the text is about as
// large again as the parsed rows). Each Feed takes whole lines (a last line may lack its '\n');
// line numbers in errors count from the first Feed. After an error the parser takes no more.
class LibsvmParser {
 public:
  explicit LibsvmParser(std::string source_name);
  absl::Status Feed(std::string_view lines);
  // The matrix of every row fed; the parser is empty afterwards. No rows at all is an error
  // unless `allow_empty` (a part of a data set, whose other parts hold the rows).
  absl::StatusOr<LabeledData> Finish(int64_t min_features = 0, bool allow_empty = false);
  // The line (1-based, over everything fed) whose error stopped the parser; 0 when none did.
  int64_t failed_line() const { return failed_.ok() ? 0 : line_no_; }

 private:
  absl::Status ParseLines(std::string_view text);
  absl::Status Error(const std::string& what) const;

  std::string source_name_;
  std::vector<double> y_;
  std::vector<int64_t> row_ptr_{0};
  std::vector<int32_t> col_idx_;
  std::vector<double> vals_;
  int64_t max_index_ = 0;
  int64_t line_no_ = 0;
  bool started_ = false;
  absl::Status failed_;
};

// Writes LIBSVM text with 1-based indices and full double precision (round-trips exactly).
absl::Status WriteLibsvmFile(const std::string& path, const LabeledData& data);

}  // namespace strads::core
