#include "client/generate_command.h"

#include <iostream>
#include <memory>

#include "absl/time/clock.h"
#include "apps/lasso/generator.h"
#include "apps/mf/mf_generator.h"
#include "client/commands.h"
#include "core/command_line.h"
#include "core/labeled_data.h"
#include "core/row_sharding.h"
#include "nlohmann/json.hpp"

namespace strads::client {
namespace {

using core::AtLeast;
using core::GreaterThan;

void AddJsonFlag(CLI::App* command, bool* json) {
  command->add_flag("--json", *json, "print what was written as one line of JSON");
}

}  // namespace

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
      "lasso",
      "sparse regression data y = X beta + noise (LIBSVM); the design has groups of strongly "
      "correlated columns, or with --kind looks like real data");
  auto lasso_kind = std::make_shared<std::string>("groups");
  lasso
      ->add_option("--kind", *lasso_kind,
                   "design: groups (correlated groups, the default), onehot (categorical "
                   "fields), counts (Zipf word counts), binary (power-law indicators), spectra "
                   "(dense smooth curves), duplicated (exact and near copies of columns)")
      ->capture_default_str()
      ->check([](const std::string& value) {
        absl::StatusOr<lasso::DesignKind> kind = lasso::ParseDesignKind(value);
        return kind.ok() ? std::string() : std::string(kind.status().message());
      });
  lasso->add_option("--samples", lasso_options->samples, "rows N")
      ->capture_default_str()
      ->check(GreaterThan<int64_t>(0));
  lasso->add_option("--features", lasso_options->features, "columns M")
      ->capture_default_str()
      ->check(GreaterThan<int64_t>(0));
  lasso
      ->add_option("--density", lasso_options->density,
                   "fraction of non-zeros per column (counts: mean words per row / features; "
                   "onehot and spectra set their own)")
      ->capture_default_str();
  lasso
      ->add_option("--correlation", lasso_options->correlation,
                   "correlation C of columns within a group, in [0, 1)")
      ->capture_default_str();
  lasso->add_option("--group-size", lasso_options->group_size, "columns per correlated group")
      ->capture_default_str()
      ->check(GreaterThan<int64_t>(0));
  lasso
      ->add_option("--true-nonzeros", lasso_options->true_nonzero_fraction,
                   "fraction of non-zero coefficients in the planted model")
      ->capture_default_str();
  lasso->add_option("--noise", lasso_options->noise, "standard deviation of label noise")
      ->capture_default_str();
  lasso->add_option("--seed", lasso_options->seed, "random seed")
      ->capture_default_str()
      ->check(AtLeast<uint64_t>(0));
  lasso->add_option("--out", *lasso_out, "output LIBSVM file")->required();
  auto lasso_test_out = std::make_shared<std::string>();
  auto lasso_test_rows = std::make_shared<int64_t>(0);
  lasso->add_option("--test-out", *lasso_test_out,
                    "also write --test-rows more rows of the same planted model here (held-out "
                    "data: another --seed plants another model)");
  lasso->add_option("--test-rows", *lasso_test_rows, "rows for --test-out")
      ->check(GreaterThan<int64_t>(0));
  auto lasso_json = std::make_shared<bool>(false);
  AddJsonFlag(lasso, lasso_json.get());
  lasso->callback([lasso_options, lasso_kind, lasso_out, lasso_test_out, lasso_test_rows,
                   lasso_json, exit_code] {
    if (lasso_test_out->empty() != (*lasso_test_rows == 0)) {
      *exit_code = Fail(absl::InvalidArgumentError("--test-out and --test-rows go together"));
      return;
    }
    absl::Time start = absl::Now();
    lasso_options->kind = *lasso::ParseDesignKind(*lasso_kind);  // checked by the option
    // The held-out rows are drawn with the others, from the same planted model, and split off.
    const int64_t train_rows = lasso_options->samples;
    lasso_options->samples += *lasso_test_rows;
    absl::StatusOr<lasso::LassoProblem> problem = lasso::GenerateLassoProblem(*lasso_options);
    absl::Status status = problem.status();
    core::LabeledData train;
    core::LabeledData test;
    if (status.ok()) {
      train = core::SliceRows(problem->data, {0, train_rows});
      status = core::WriteLibsvmFile(*lasso_out, train);
    }
    if (status.ok() && *lasso_test_rows > 0) {
      test = core::SliceRows(problem->data, {train_rows, lasso_options->samples});
      status = core::WriteLibsvmFile(*lasso_test_out, test);
    }
    if (!status.ok()) {
      *exit_code = Fail(status);
      return;
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    const core::CscMatrix& x = train.x;
    if (*lasso_json) {
      nlohmann::json written = {{"out", *lasso_out},
                                {"samples", x.rows},
                                {"features", x.cols},
                                {"nnz", x.nnz()},
                                {"seconds", seconds}};
      if (*lasso_test_rows > 0) {
        written["test_out"] = *lasso_test_out;
        written["test_samples"] = test.x.rows;
      }
      std::cout << written.dump() << "\n";
    } else {
      std::cout << "wrote " << *lasso_out << ": " << x.rows << " samples, " << x.cols
                << " features, " << x.nnz() << " non-zeros";
      if (*lasso_test_rows > 0) {
        std::cout << "; " << *lasso_test_out << ": " << test.x.rows << " held-out samples";
      }
      std::cout << " (" << seconds << " s)\n";
    }
    *exit_code = 0;
  });
  auto mf_options = std::make_shared<mf::MfProblemOptions>();
  auto mf_out = std::make_shared<std::string>();
  auto mf_test_out = std::make_shared<std::string>();
  CLI::App* mf = generate->add_subcommand(
      "mf",
      "ratings from a planted low-rank model; power-law popularity, low ids most popular "
      "(tab-separated 'user item rating')");
  mf->add_option("--users", mf_options->users, "users (rows)")
      ->capture_default_str()
      ->check(GreaterThan<int64_t>(0));
  mf->add_option("--items", mf_options->items, "items (columns)")
      ->capture_default_str()
      ->check(GreaterThan<int64_t>(0));
  mf->add_option("--ratings", mf_options->ratings,
                 "distinct (user, item) ratings, train and test together")
      ->capture_default_str()
      ->check(GreaterThan<int64_t>(0));
  mf->add_option("--rank", mf_options->rank, "rank of the planted model")
      ->capture_default_str()
      ->check(GreaterThan<int64_t>(0));
  mf->add_option("--power-law", mf_options->power_law,
                 "popularity exponent alpha: P(id i) ~ i^-alpha, 0 = uniform")
      ->capture_default_str();
  mf->add_option("--noise", mf_options->noise, "standard deviation of rating noise")
      ->capture_default_str();
  mf->add_option("--mean", mf_options->mean, "global mean added to every rating")
      ->capture_default_str();
  mf->add_option("--user-bias", mf_options->user_bias,
                 "standard deviation of the planted per-user biases")
      ->capture_default_str();
  mf->add_option("--item-bias", mf_options->item_bias,
                 "standard deviation of the planted per-item biases")
      ->capture_default_str();
  mf->add_option("--factor-scale", mf_options->factor_scale,
                 "multiplier of the planted low-rank part w_u'h_i (unit scale at 1)")
      ->capture_default_str();
  mf->add_flag("--stars", mf_options->stars,
               "round ratings to whole stars and clip them to 1-5 (real-like data: try --mean 3.5 "
               "--user-bias 0.4 --item-bias 0.5 --factor-scale 0.5 --noise 0.8 --stars)");
  mf->add_option("--test-fraction", mf_options->test_fraction,
                 "fraction of ratings held out for --test-out")
      ->capture_default_str();
  mf->add_option("--seed", mf_options->seed, "random seed")
      ->capture_default_str()
      ->check(AtLeast<uint64_t>(0));
  mf->add_option("--out", *mf_out, "output training ratings file")->required();
  mf->add_option("--test-out", *mf_test_out,
                 "output held-out ratings file (without it, held-out ratings are dropped)");
  auto mf_json = std::make_shared<bool>(false);
  AddJsonFlag(mf, mf_json.get());
  mf->callback([mf_options, mf_out, mf_test_out, mf_json, exit_code] {
    absl::Time start = absl::Now();
    absl::StatusOr<mf::MfProblem> problem = mf::GenerateMfProblem(*mf_options);
    absl::Status status = problem.status();
    if (status.ok()) status = mf::WriteRatingsText(*mf_out, problem->train);
    if (status.ok() && !mf_test_out->empty()) {
      status = mf::WriteRatingsText(*mf_test_out, problem->test);
    }
    if (!status.ok()) {
      *exit_code = Fail(status);
      return;
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    if (*mf_json) {
      nlohmann::json written = {{"out", *mf_out},
                                {"ratings", problem->train.size()},
                                {"users", mf_options->users},
                                {"items", mf_options->items},
                                {"seconds", seconds}};
      if (!mf_test_out->empty()) {
        written["test_out"] = *mf_test_out;
        written["test_ratings"] = problem->test.size();
      } else {
        written["dropped_test_ratings"] = problem->test.size();
      }
      std::cout << written.dump() << "\n";
    } else {
      std::cout << "wrote " << *mf_out << ": " << problem->train.size() << " ratings";
      if (!mf_test_out->empty()) {
        std::cout << "; " << *mf_test_out << ": " << problem->test.size() << " ratings";
      } else if (!problem->test.empty()) {
        // --ratings counts both sides of the split: say where the rest went.
        std::cout << "; " << problem->test.size()
                  << " held out (--test-fraction) and dropped: no --test-out";
      }
      std::cout << " (" << mf_options->users << " users, " << mf_options->items << " items, "
                << seconds << " s)\n";
    }
    *exit_code = 0;
  });
}

}  // namespace strads::client
