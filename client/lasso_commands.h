// `strads predict lasso`: a trained Lasso model's predictions for the rows of a data file, and how
// well they fit the file's labels. Thin CLI wiring; the logic is apps/lasso/lasso_model.h.
#pragma once

#include "CLI/CLI.hpp"

namespace strads::client {

// Adds the `lasso` subcommand to `predict`; it sets *exit_code.
void AddPredictLasso(CLI::App* predict, int* exit_code);

}  // namespace strads::client
