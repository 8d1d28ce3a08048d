#include "client/mf_commands.h"

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "apps/mf/mf_model.h"
#include "apps/registry.h"
#include "client/commands.h"
#include "client/lasso_commands.h"
#include "client/model_files.h"
#include "core/command_line.h"
#include "nlohmann/json.hpp"

namespace strads::client {
namespace {

struct PredictFlags {
  std::string model;
  std::string pairs;
  std::string out;
  bool json = false;
};

struct RecommendFlags {
  std::string model;
  std::string user;
  int64_t top = 10;
  std::string exclude;
  bool json = false;
};

constexpr const char* kModelHelp =
    "model prefix as given to --model-out (reads PREFIX-global.txt, PREFIX-W.txt, PREFIX-H.txt)";

int RunPredict(const PredictFlags& flags) {
  if (flags.json && flags.out.empty()) {
    return Fail(absl::InvalidArgumentError(
        "--json prints the counts on stdout, where the predictions go without --out: give --out"));
  }
  absl::StatusOr<mf::MfModel> model = mf::LoadMfModel(flags.model);
  if (!model.ok()) return Fail(model.status());
  if (!flags.out.empty()) {
    InputFiles inputs = ModelPartInputs("--model", apps::ModelOutputOf("mf"), flags.model);
    inputs.emplace_back("--pairs", flags.pairs);
    if (absl::Status status = CheckOutputFile("--out", flags.out, inputs); !status.ok()) {
      return Fail(status);
    }
  }
  // --out is opened only once every pair has been read: a bad pairs file leaves an existing
  // output file as it was.
  std::ostringstream predictions;
  std::ostream& out = flags.out.empty() ? static_cast<std::ostream&>(std::cout) : predictions;
  absl::StatusOr<mf::PredictCounts> counts = mf::PredictPairs(*model, flags.pairs, out);
  if (!counts.ok()) return Fail(counts.status());
  if (!flags.out.empty()) {
    const std::string_view text = predictions.view();
    if (absl::Status status = WriteFileReplacing(flags.out, {text.data(), text.size()});
        !status.ok()) {
      return Fail(status);
    }
  }
  // The predictions may be on stdout: the counts go to stderr (or stdout as JSON with --out).
  if (flags.json) {
    std::cout << nlohmann::json{{"out", flags.out},
                                {"pairs", counts->pairs},
                                {"unknown_users", counts->unknown_users},
                                {"unknown_items", counts->unknown_items}}
                     .dump()
              << "\n";
  } else {
    std::cerr << absl::StrFormat(
        "predicted %d pairs%s; %d with a user and %d with an item the model has not seen (they "
        "get mu plus the known bias)\n",
        counts->pairs, flags.out.empty() ? "" : " to " + flags.out, counts->unknown_users,
        counts->unknown_items);
  }
  return 0;
}

int RunRecommend(const RecommendFlags& flags) {
  absl::StatusOr<mf::MfModel> model = mf::LoadMfModel(flags.model);
  if (!model.ok()) return Fail(model.status());
  absl::flat_hash_set<int32_t> exclude;
  if (!flags.exclude.empty()) {
    absl::StatusOr<absl::flat_hash_set<int32_t>> rated =
        mf::RatedItems(*model, flags.exclude, flags.user);
    if (!rated.ok()) return Fail(rated.status());
    exclude = *std::move(rated);
  }
  const bool known = model->users.Find(flags.user) >= 0;
  const std::vector<mf::Recommendation> top = mf::Recommend(*model, flags.user, flags.top, exclude);
  if (flags.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const mf::Recommendation& r : top) items.push_back({{"item", r.item}, {"score", r.score}});
    std::cout << nlohmann::json{{"user", flags.user},
                                {"known_user", known},
                                {"excluded", exclude.size()},
                                {"items", items}}
                     .dump()
              << "\n";
    return 0;
  }
  if (!known) {
    std::cerr << "user '" << flags.user
              << "' is not in the model: items ranked by mu + item bias\n";
  }
  for (size_t r = 0; r < top.size(); ++r) {
    std::cout << absl::StrFormat("%d\t%s\t%.4f\n", r + 1, top[r].item, top[r].score);
  }
  return 0;
}

}  // namespace

void AddMfCommands(CLI::App* cli, int* exit_code) {
  CLI::App* predict = cli->add_subcommand(
      "predict", "predict with a trained model: ratings (mf) or targets (lasso)");
  predict->require_subcommand(1);
  auto predict_flags = std::make_shared<PredictFlags>();
  CLI::App* predict_mf = predict->add_subcommand(
      "mf", "one 'user<TAB>item<TAB>prediction' line per 'user item' line of --pairs");
  predict_mf->add_option("--model", predict_flags->model, kModelHelp)->required();
  predict_mf
      ->add_option("--pairs", predict_flags->pairs,
                   "'user item [...]' lines (a ratings file works as is; a header is skipped)")
      ->required();
  predict_mf->add_option("--out", predict_flags->out,
                         "write the predictions here (default stdout)");
  predict_mf->add_flag("--json", predict_flags->json, "with --out: print the counts as JSON");
  predict_mf->callback([predict_flags, exit_code] { *exit_code = RunPredict(*predict_flags); });

  AddPredictLasso(predict, exit_code);

  auto recommend_flags = std::make_shared<RecommendFlags>();
  CLI::App* recommend = cli->add_subcommand(
      "recommend", "a user's top items by predicted rating, from a trained mf model");
  recommend->add_option("--model", recommend_flags->model, kModelHelp)->required();
  recommend->add_option("--user", recommend_flags->user, "user id, as in the training file")
      ->required();
  recommend->add_option("--top", recommend_flags->top, "how many items")
      ->capture_default_str()
      ->check(core::AtLeast<int64_t>(1));
  recommend->add_option("--exclude", recommend_flags->exclude,
                        "ratings file (e.g. the training data): leave out what the user rated");
  recommend->add_flag("--json", recommend_flags->json, "print one line of JSON");
  recommend->callback(
      [recommend_flags, exit_code] { *exit_code = RunRecommend(*recommend_flags); });
}

}  // namespace strads::client
