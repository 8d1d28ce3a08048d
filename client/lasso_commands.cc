#include "client/lasso_commands.h"

#include <cerrno>
#include <fstream>
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
  absl::StatusOr<lasso::LassoModel> model = lasso::ReadLassoModel(flags.model);
  if (!model.ok()) return Fail(model.status());
  if (!flags.out.empty()) {
    if (absl::Status status = CheckCanWrite("--out", flags.out, false); !status.ok()) {
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
  } else {
    std::ofstream file(flags.out, std::ios::trunc);
    file << text;
    file.close();
    if (!file) return Fail(WriteError(flags.out, errno));
  }
  // The predictions may be on stdout: the fit goes to stderr (or stdout as JSON with --out).
  if (flags.json && !flags.out.empty()) {
    std::cout << nlohmann::json{{"out", flags.out},
                                {"rows", predictions.size()},
                                {"rmse", fit.rmse},
                                {"r_squared", fit.r_squared}}
                     .dump()
              << "\n";
  } else {
    std::cerr << absl::StrFormat(
        "predicted %d rows%s; against the labels of %s: RMSE %.6g, R^2 %.6g\n", predictions.size(),
        flags.out.empty() ? "" : " to " + flags.out,
        flags.labels.empty() ? flags.data : flags.labels, fit.rmse, fit.r_squared);
  }
  return 0;
}

}  // namespace

void AddPredictLasso(CLI::App* predict, int* exit_code) {
  auto flags = std::make_shared<PredictLassoFlags>();
  CLI::App* lasso = predict->add_subcommand(
      "lasso", "one prediction (intercept + x b) per row of --data, in its order");
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
  lasso->add_flag("--json", flags->json, "with --out: print the fit as one line of JSON");
  lasso->callback([flags, exit_code] { *exit_code = RunPredictLasso(*flags); });
}

}  // namespace strads::client
