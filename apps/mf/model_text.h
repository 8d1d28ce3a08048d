// The MF model file's text (format: apps/mf/mf_scheduler_app.h WriteModel), written the same way
// for jobs with served and with shared data.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "apps/mf/mf_params.h"

namespace strads::mf {

// What the "# " header lines say.
struct ModelHeader {
  std::string data_path;
  std::string test_path;  // empty: no test line
  int64_t rank = 0;
  double lambda = 0;
  bool lambda_auto = false;
  Regularization reg = Regularization::kWeighted;
  bool biases = true;
  double bias_lambda = 0;
  double mu = 0;
  double min_rating = 0;
  double max_rating = 0;
  int64_t users = 0;
  int64_t items = 0;
  int64_t ratings = 0;
  int64_t duplicates = 0;
  int64_t rounds = 0;
  double train_rmse = 0;
  std::optional<double> test_rmse;
  double objective = 0;
};

// Appends row r's id as the model names it.
using AppendId = std::function<void(int64_t row, std::string* line)>;

// Writes the header, the G line, then one W line per user and one H line per item (augmented
// rows of RowStride(rank) values), every value in the shortest text that reads back exactly.
absl::Status WriteModelText(const ModelHeader& header, const AppendId& user_id,
                            const AppendId& item_id, std::span<const double> w,
                            std::span<const double> h, std::ostream& out);

}  // namespace strads::mf
