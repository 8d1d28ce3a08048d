#include "apps/lasso/lasso_model.h"

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/file_text.h"
#include "core/labeled_data.h"
#include "core/number_text.h"
#include "core/user_text.h"

namespace strads::lasso {
namespace {

constexpr absl::string_view kFirstLine = "# strads lasso model";

absl::Status Malformed(const std::string& path, int64_t line, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(path, " line ", line, ": ", why));
}

std::string_view Std(absl::string_view text) { return {text.data(), text.size()}; }

}  // namespace

absl::StatusOr<LassoModel> ReadLassoModel(const std::string& path) {
  absl::StatusOr<std::string> text = core::ReadWholeFile(path);
  if (!text.ok()) return text.status();
  LassoModel model;
  int64_t line_no = 0;
  int64_t last_feature = -1;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line_no == 1 && line != kFirstLine) {
      return Malformed(path, 1,
                       absl::StrCat("not a Lasso model of strads (it starts with '", kFirstLine,
                                    "'), got ", core::QuoteUserText(Std(line))));
    }
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (absl::ConsumePrefix(&line, "# intercept ")) {
        if (!core::ParseDouble(Std(line), &model.intercept) || !std::isfinite(model.intercept)) {
          return Malformed(path, line_no,
                           absl::StrCat("intercept ", core::QuoteUserText(Std(line)),
                                        " is not a finite number"));
        }
      }
      int64_t features = 0;
      if (absl::ConsumePrefix(&line, "# features ") && core::ParseInt(Std(line), &features) &&
          features >= 0) {
        model.declared_features = features;
      }
      continue;
    }
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    int64_t feature = 0;
    double coefficient = 0;
    if (fields.size() != 2 || !core::ParseInt(Std(fields[0]), &feature) ||
        !core::ParseDouble(Std(fields[1]), &coefficient)) {
      return Malformed(path, line_no,
                       absl::StrCat("expected '<feature index, 1-based> <coefficient>', got ",
                                    core::QuoteUserText(Std(line))));
    }
    if (feature < 1 || feature > core::kMaxLibsvmFeatures) {
      return Malformed(
          path, line_no,
          absl::StrCat("feature index ", feature, " is outside 1..", core::kMaxLibsvmFeatures));
    }
    if (feature - 1 <= last_feature) {
      return Malformed(path, line_no, "feature indices must increase");
    }
    if (!std::isfinite(coefficient)) {
      return Malformed(path, line_no, "the coefficient is not a finite number");
    }
    last_feature = feature - 1;
    model.features.push_back(feature - 1);
    model.coefficients.push_back(coefficient);
  }
  return model;
}

std::vector<double> PredictLasso(const LassoModel& model, const core::CscMatrix& x) {
  std::vector<double> predictions(static_cast<size_t>(x.rows), model.intercept);
  for (size_t k = 0; k < model.features.size(); ++k) {
    const int64_t j = model.features[k];
    if (j >= x.cols) break;  // increasing: the rest are past x's columns too
    const std::span<const int32_t> rows = x.ColRows(j);
    const std::span<const double> values = x.ColValues(j);
    for (size_t p = 0; p < rows.size(); ++p) {
      predictions[rows[p]] += values[p] * model.coefficients[k];
    }
  }
  return predictions;
}

PredictionFit FitOfPredictions(std::span<const double> predictions,
                               std::span<const double> labels) {
  PredictionFit fit;
  if (labels.empty()) return fit;
  double mean = 0;
  for (double y : labels) mean += y;
  mean /= static_cast<double>(labels.size());
  double rss = 0;
  double tss = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    rss += (labels[i] - predictions[i]) * (labels[i] - predictions[i]);
    tss += (labels[i] - mean) * (labels[i] - mean);
  }
  fit.rmse = std::sqrt(rss / static_cast<double>(labels.size()));
  fit.r_squared = tss > 0 ? 1 - rss / tss : std::numeric_limits<double>::quiet_NaN();
  return fit;
}

}  // namespace strads::lasso
