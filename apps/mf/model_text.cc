#include "apps/mf/model_text.h"

#include <charconv>

#include "absl/strings/str_format.h"
#include "apps/mf/mf_math.h"

namespace strads::mf {

absl::Status WriteModelText(const ModelHeader& header, const AppendId& user_id,
                            const AppendId& item_id, std::span<const double> w,
                            std::span<const double> h, std::ostream& out) {
  const int64_t k = header.rank;
  const int64_t stride = RowStride(k);
  out << "# strads mf model\n";
  out << absl::StrFormat("# data %s\n", header.data_path);
  if (!header.test_path.empty()) out << absl::StrFormat("# test %s\n", header.test_path);
  out << absl::StrFormat("# rank %d\n", k);
  out << absl::StrFormat("# lambda %.17g%s\n", header.lambda,
                         header.lambda_auto ? " (chosen by lambda=auto)" : "");
  out << absl::StrFormat("# reg %s\n", RegularizationName(header.reg));
  out << absl::StrFormat("# biases %s\n", header.biases ? "true" : "false");
  out << absl::StrFormat("# bias_lambda %.17g\n", header.bias_lambda);
  out << absl::StrFormat("# mu %.17g\n", header.mu);
  out << absl::StrFormat("# rating_range %.17g %.17g\n", header.min_rating, header.max_rating);
  out << absl::StrFormat("# users %d\n# items %d\n# ratings %d\n# duplicates %d\n", header.users,
                         header.items, header.ratings, header.duplicates);
  out << absl::StrFormat("# rounds %d\n", header.rounds);
  out << absl::StrFormat("# train_rmse %.17g\n", header.train_rmse);
  if (header.test_rmse.has_value()) {
    out << absl::StrFormat("# test_rmse %.17g\n", *header.test_rmse);
  }
  out << absl::StrFormat("# objective %.17g\n", header.objective);
  out << "# format: 'G <mu> <min rating> <max rating>', 'W <user id> <user bias> f1 ... fK' and "
         "'H <item id> <item bias> f1 ... fK'; the predicted rating of (user, item) is mu + both "
         "biases + the dot product of their factors, clipped to [min rating, max rating]\n";
  out << absl::StrFormat("G %.17g %.17g %.17g\n", header.mu, header.min_rating, header.max_rating);
  // std::to_chars writes the shortest text that reads back to the same double, and is fast:
  // models have (users + items) * (K + 1) values.
  auto write_rows = [&](char tag, int64_t rows, const AppendId& id_of,
                        std::span<const double> factor) {
    std::string line;
    char number[32];
    auto append = [&](double value) {
      line.push_back(' ');
      const std::to_chars_result end = std::to_chars(number, number + sizeof(number), value);
      line.append(number, end.ptr);
    };
    for (int64_t r = 0; r < rows; ++r) {
      line.clear();
      line.push_back(tag);
      line.push_back(' ');
      id_of(r, &line);
      append(factor[r * stride + k]);  // the bias first, then the factors
      for (int64_t f = 0; f < k; ++f) append(factor[r * stride + f]);
      line.push_back('\n');
      out << line;
    }
  };
  write_rows('W', header.users, user_id, w);
  write_rows('H', header.items, item_id, h);
  if (!out) return absl::DataLossError("writing the mf model failed");
  return absl::OkStatus();
}

}  // namespace strads::mf
