// A trained Lasso model as `strads run lasso` writes it (LassoSchedulerApp::WriteModel), read
// back to predict with: `strads predict lasso`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/csc_matrix.h"

namespace strads::lasso {

struct LassoModel {
  double intercept = 0;            // "# intercept", 0 for a model without one
  int64_t declared_features = -1;  // "# features": the training data's; -1 if not said
  std::vector<int64_t> features;   // 0-based indices of the non-zero coefficients
  std::vector<double> coefficients;
};

// Fails naming the file and line on anything that is not a model `strads run lasso` wrote.
absl::StatusOr<LassoModel> ReadLassoModel(const std::string& path);

// intercept + x b for every row of `x`. Features of the model beyond x's columns meet zeros;
// columns of x the model has no coefficient for count for nothing.
std::vector<double> PredictLasso(const LassoModel& model, const core::CscMatrix& x);

struct PredictionFit {
  double rmse = 0;
  double r_squared = 0;  // 1 - RSS / TSS; NaN (undefined) when the labels are all equal
};
PredictionFit FitOfPredictions(std::span<const double> predictions, std::span<const double> labels);

}  // namespace strads::lasso
