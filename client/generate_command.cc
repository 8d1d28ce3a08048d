#include "client/generate_command.h"

#include <iostream>
#include <memory>

#include "absl/time/clock.h"
#include "apps/lasso/generator.h"
#include "core/labeled_data.h"

namespace strads::client {

void AddGenerateCommands(CLI::App* cli, int* exit_code) {
  CLI::App* generate = cli->add_subcommand("generate", "write a seeded synthetic data set");
  generate->require_subcommand(1);

  auto lasso_options = std::make_shared<lasso::LassoProblemOptions>();
  auto lasso_out = std::make_shared<std::string>();
  lasso_options->samples = 1000;
  lasso_options->features = 1000;
  lasso_options->density = 0.05;
  lasso_options->correlation = 0.8;
  CLI::App* lasso = generate->add_subcommand(
      "lasso", "sparse regression data with groups of strongly correlated columns (LIBSVM)");
  lasso->add_option("--samples", lasso_options->samples, "rows N")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  lasso->add_option("--features", lasso_options->features, "columns M")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  lasso->add_option("--density", lasso_options->density, "fraction of non-zeros per column")
      ->capture_default_str();
  lasso
      ->add_option("--correlation", lasso_options->correlation,
                   "correlation C of columns within a group, in [0, 1)")
      ->capture_default_str();
  lasso->add_option("--group-size", lasso_options->group_size, "columns per correlated group")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  lasso
      ->add_option("--true-nonzeros", lasso_options->true_nonzero_fraction,
                   "fraction of non-zero coefficients in the planted model")
      ->capture_default_str();
  lasso->add_option("--noise", lasso_options->noise, "standard deviation of label noise")
      ->capture_default_str();
  lasso->add_option("--seed", lasso_options->seed, "random seed")->capture_default_str();
  lasso->add_option("--out", *lasso_out, "output LIBSVM file")->required();
  lasso->callback([lasso_options, lasso_out, exit_code] {
    absl::Time start = absl::Now();
    absl::StatusOr<lasso::LassoProblem> problem = lasso::GenerateLassoProblem(*lasso_options);
    if (!problem.ok()) {
      std::cerr << "strads: " << problem.status().message() << "\n";
      *exit_code = 1;
      return;
    }
    if (absl::Status status = core::WriteLibsvmFile(*lasso_out, problem->data); !status.ok()) {
      std::cerr << "strads: " << status.message() << "\n";
      *exit_code = 1;
      return;
    }
    std::cout << "wrote " << *lasso_out << ": " << problem->data.x.rows << " samples, "
              << problem->data.x.cols << " features, " << problem->data.x.nnz() << " non-zeros ("
              << absl::ToDoubleSeconds(absl::Now() - start) << " s)\n";
    *exit_code = 0;
  });
}

}  // namespace strads::client
