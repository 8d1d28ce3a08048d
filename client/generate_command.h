// `strads generate ...`: seeded synthetic data sets for demos, tests and benchmarks.
#pragma once

#include "CLI/CLI.hpp"

namespace strads::client {

// Adds `generate lasso` (and generators of other apps) to `cli`; the chosen command's exit code
// is stored in `*exit_code`.
void AddGenerateCommands(CLI::App* cli, int* exit_code);

}  // namespace strads::client
