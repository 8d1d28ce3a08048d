#include "client/lasso_commands.h"

#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "apps/lasso/lasso_model.h"
#include "client/commands.h"
#include "client/model_files.h"
#include "core/labeled_data_source.h"
#include "nlohmann/json.hpp"

namespace strads::client {
namespace {

struct PredictLassoFlags {
  std::string model = "lasso-model.txt";
  std::string data;
  std::string labels;
  std::string out;
  bool json = false;
};

int RunPredictLasso(const PredictLassoFlags& flags) {
  if (flags.json && flags.out.empty()) {
    return Fail(absl::InvalidArgumentError(
        "--json prints the fit on stdout, where the predictions go without --out: give --out"));
  }
  absl::StatusOr<lasso::LassoModel> model = lasso::ReadLassoModel(flags.model);
  if (!model.ok()) return Fail(model.status());
  if (!flags.out.empty()) {
    if (absl::Status status = CheckOutputFile(
            "--out", flags.out,
            {{"--data", flags.data}, {"--labels", flags.labels}, {"--model", flags.model}});
        !status.ok()) {
      return Fail(status);
    }
  }
  if (absl::Status status = core::CheckLabeledDataPaths(flags.data, flags.labels); !status.ok()) {
    return Fail(status);
  }
  absl::StatusOr<core::LabeledData> data = core::ReadLabeledData(flags.data, flags.labels);
  if (!data.ok()) return Fail(data.status());
  const std::vector<double> predictions = lasso::PredictLasso(*model, data->x);
  const lasso::PredictionFit fit = lasso::FitOfPredictions(predictions, data->y);

  std::string text;
  text.reserve(predictions.size() * 24);
  for (double p : predictions) absl::StrAppendFormat(&text, "%.17g\n", p);
  if (flags.out.empty()) {
    std::cout << text;
  } else if (absl::Status status = WriteFileReplacing(flags.out, text); !status.ok()) {
    return Fail(status);
  }
  if (model->declared_features >= 0 && data->x.cols > model->declared_features) {
    std::cerr << absl::StrFormat(
        "note: %s has features up to %d, the model was trained on %d: the others count for "
        "nothing (is it the same feature numbering?)\n",
        flags.data, data->x.cols, model->declared_features);
  }
  // The predictions may be on stdout: the fit goes to stderr (or stdout as JSON with --out).
  // R^2 is undefined for constant labels (null in JSON).
  const bool have_r_squared = !std::isnan(fit.r_squared);
  if (flags.json) {
    std::cout << nlohmann::json{{"out", flags.out},
                                {"rows", predictions.size()},
                                {"rmse", fit.rmse},
                                {"r_squared", have_r_squared ? nlohmann::json(fit.r_squared)
                                                             : nlohmann::json(nullptr)}}
                     .dump()
              << "\n";
  } else {
    std::cerr << absl::StrFormat(
        "predicted %d rows%s; against the labels of %s: RMSE %.6g, R^2 %s\n", predictions.size(),
        flags.out.empty() ? "" : " to " + flags.out,
        flags.labels.empty() ? flags.data : flags.labels, fit.rmse,
        have_r_squared ? absl::StrFormat("%.6g", fit.r_squared)
                       : std::string("undefined (the labels are all equal)"));
  }
  return 0;
}

}  // namespace

void AddPredictLasso(CLI::App* predict, int* exit_code) {
  auto flags = std::make_shared<PredictLassoFlags>();
  CLI::App* lasso = predict->add_subcommand(
      "lasso",
      "one prediction (intercept + x b, 17 digits) per row of --data, in its order; RMSE "
      "and R^2 against the rows' labels go to stderr (a LIBSVM row needs a label: for unlabelled "
      "rows write 0 and ignore the fit)");
  lasso->add_option("--model", flags->model, "a model file written by strads run/result lasso")
      ->capture_default_str();
  lasso
      ->add_option("--data", flags->data,
                   "LIBSVM rows, or a MatrixMarket matrix (.mmt/.mtx) with --labels; the labels "
                   "are only compared with the predictions")
      ->required();
  lasso->add_option("--labels", flags->labels,
                    "labels of a MatrixMarket --data: a MatrixMarket vector, one value per row");
  lasso->add_option("--out", flags->out, "write the predictions here instead of stdout");
  lasso->add_flag("--json", flags->json, "with --out: print the fit as one line of JSON on stdout");
  lasso->callback([flags, exit_code] { *exit_code = RunPredictLasso(*flags); });
}

}  // namespace strads::client
