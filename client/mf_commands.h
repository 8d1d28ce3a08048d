// The recommender commands on a trained MF model: `strads predict mf` (ratings of given
// (user, item) pairs) and `strads recommend` (a user's top unseen items). Thin CLI wiring; the
// logic is apps/mf/mf_model.h.
#pragma once

#include "CLI/CLI.hpp"

namespace strads::client {

// Adds `predict` (with its `mf` subcommand, and `lasso` from lasso_commands.h) and `recommend` to
// `cli`; they set *exit_code.
void AddMfCommands(CLI::App* cli, int* exit_code);

}  // namespace strads::client
