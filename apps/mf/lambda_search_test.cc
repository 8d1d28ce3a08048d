#include "apps/mf/lambda_search.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "apps/mf/mf_app.h"
#include "apps/mf/mf_generator.h"
#include "apps/mf/mf_scheduler_app.h"
#include "apps/testing/in_process_driver.h"
#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::mf {
namespace {

TrainingRatings Generated(const MfProblemOptions& options, const std::string& name) {
  absl::StatusOr<MfProblem> problem = GenerateMfProblem(options);
  EXPECT_TRUE(problem.ok()) << problem.status();
  const std::string path = ::strads::TestTempDir() + "/" + name;
  EXPECT_TRUE(WriteRatingsText(path, problem->train).ok());
  absl::StatusOr<TrainingRatings> train = ReadTrainingRatings(path);
  EXPECT_TRUE(train.ok()) << train.status();
  return *std::move(train);
}

TEST(SplitHeldOut, HoldsOutASeededTenthAndKeepsTheRest) {
  const TrainingRatings train =
      Generated({.users = 200, .items = 100, .ratings = 5000, .seed = 2}, "split.txt");
  const HeldOutSplit a = SplitHeldOut(train, 0.1, 5);
  const HeldOutSplit b = SplitHeldOut(train, 0.1, 5);
  const HeldOutSplit c = SplitHeldOut(train, 0.1, 6);
  EXPECT_EQ(a.held_out.values, b.held_out.values);
  EXPECT_EQ(a.held_out.users, b.held_out.users);
  EXPECT_NE(a.held_out.users, c.held_out.users);
  EXPECT_EQ(a.fit.by_user.nnz() + a.held_out.size(), train.by_user.nnz());
  EXPECT_NEAR(static_cast<double>(a.held_out.size()) / train.by_user.nnz(), 0.1, 0.02);
  EXPECT_EQ(a.fit.by_item.nnz(), a.fit.by_user.nnz());
  EXPECT_EQ(a.fit.by_user.rows, train.by_user.rows);  // same dense indices
}

// Where the answer is known: on nearly noise-free low-rank ratings a tiny penalty wins; on pure
// noise around a mean, any fit of rank 10 is over-fitting, and the huge penalty (which predicts
// mu) wins. Both are in one grid, given in both orders.
TEST(ChooseLambda, PicksTheKnownBestOfItsGrid) {
  const TrainingRatings clean =
      Generated({.users = 300, .items = 200, .ratings = 20000, .rank = 3, .noise = 0.01, .seed = 3},
                "clean.txt");
  const TrainingRatings noise = Generated({.users = 300,
                                           .items = 200,
                                           .ratings = 20000,
                                           .rank = 3,
                                           .noise = 1.0,
                                           .mean = 3,
                                           .factor_scale = 0,
                                           .seed = 4},
                                          "noise.txt");
  for (const std::vector<double>& grid :
       {std::vector<double>{1e-4, 100}, std::vector<double>{100, 1e-4}}) {
    absl::StatusOr<LambdaChoice> on_clean =
        ChooseLambda(clean, {.rank = 3, .max_rounds = 10, .grid = grid, .refine = false});
    ASSERT_TRUE(on_clean.ok()) << on_clean.status();
    EXPECT_EQ(on_clean->lambda, 1e-4);
    absl::StatusOr<LambdaChoice> on_noise =
        ChooseLambda(noise, {.rank = 10, .max_rounds = 10, .grid = grid, .refine = false});
    ASSERT_TRUE(on_noise.ok()) << on_noise.status();
    EXPECT_EQ(on_noise->lambda, 100);
    EXPECT_EQ(on_noise->holdout_rmse.size(), 2u);
  }
}

TEST(SplitHeldOut, FoldsOfOneSeedAreDisjointAndFoldZeroIsTheDefaultSplit) {
  const TrainingRatings train =
      Generated({.users = 200, .items = 100, .ratings = 5000, .seed = 2}, "folds.txt");
  const HeldOutSplit first = SplitHeldOut(train, 0.1, 5);
  const HeldOutSplit fold0 = SplitHeldOut(train, 0.1, 5, 0);
  EXPECT_EQ(first.held_out.users, fold0.held_out.users);
  EXPECT_EQ(first.held_out.items, fold0.held_out.items);
  std::set<std::pair<int32_t, int32_t>> seen;
  int64_t held = 0;
  for (int fold = 0; fold < 3; ++fold) {
    const HeldOutSplit split = SplitHeldOut(train, 0.1, 5, fold);
    EXPECT_EQ(split.fit.by_user.nnz() + split.held_out.size(), train.by_user.nnz());
    EXPECT_NEAR(static_cast<double>(split.held_out.size()) / train.by_user.nnz(), 0.1, 0.02);
    for (int64_t e = 0; e < split.held_out.size(); ++e) {
      EXPECT_TRUE(seen.insert({split.held_out.users[e], split.held_out.items[e]}).second)
          << "rating held out by two folds";
    }
    held += split.held_out.size();
  }
  EXPECT_EQ(static_cast<int64_t>(seen.size()), held);
}

TEST(FoldsFor, PoolsSlicesOnlyWhileTheHeldOutRatingsAreFew) {
  EXPECT_EQ(FoldsFor(90000, 0.1), 3);  // 9000 held out per slice: the most folds
  EXPECT_EQ(FoldsFor(300000, 0.1), 2);
  EXPECT_EQ(FoldsFor(500000, 0.1), 1);  // 50000 held out already
  EXPECT_EQ(FoldsFor(10, 0.1), 3);
  EXPECT_EQ(FoldsFor(10, 0.5), 2);  // no more folds than disjoint slices
}

// On pure noise around a mean the strongest penalty wins; the grid given stops at 0.1, so the
// answer is past its end and the walk has to go there. The pooled folds are all used.
TEST(ChooseLambda, WalksPastTheGridEndTowardsTheKnownAnswer) {
  const TrainingRatings noise = Generated({.users = 300,
                                           .items = 200,
                                           .ratings = 20000,
                                           .rank = 3,
                                           .noise = 1.0,
                                           .mean = 3,
                                           .factor_scale = 0,
                                           .seed = 4},
                                          "noise-walk.txt");
  absl::StatusOr<LambdaChoice> choice =
      ChooseLambda(noise, {.rank = 10, .max_rounds = 6, .grid = {0.01, 0.1}});
  ASSERT_TRUE(choice.ok()) << choice.status();
  EXPECT_GT(choice->lambda, 0.1);
  EXPECT_EQ(choice->folds, 3);
  EXPECT_GT(choice->holdout_ratings, 5000);  // three tenths of 20000
  EXPECT_LE(choice->best_holdout_rmse, choice->holdout_rmse[1]);
}

// The refinement only ever keeps a better point: the choice is the lowest held-out error of all
// the pairs tried, and no worse than the grid-only choice on the same folds.
TEST(ChooseLambda, RefinedChoiceIsTheBestPairTried) {
  const TrainingRatings train = Generated({.users = 300,
                                           .items = 200,
                                           .ratings = 15000,
                                           .rank = 3,
                                           .noise = 0.7,
                                           .mean = 3.5,
                                           .user_bias = 0.4,
                                           .item_bias = 0.4,
                                           .seed = 9},
                                          "refine.txt");
  const LambdaSearchOptions options{.rank = 4, .search_bias_lambda = true, .max_rounds = 6};
  absl::StatusOr<LambdaChoice> refined = ChooseLambda(train, options);
  LambdaSearchOptions grid_only = options;
  grid_only.refine = false;
  absl::StatusOr<LambdaChoice> coarse = ChooseLambda(train, grid_only);
  ASSERT_TRUE(refined.ok() && coarse.ok());
  EXPECT_GT(refined->tried.size(), coarse->tried.size());
  EXPECT_LE(refined->best_holdout_rmse, coarse->best_holdout_rmse);
  double lowest = refined->tried.front().holdout_rmse;
  for (const ScoredPenalties& p : refined->tried) lowest = std::min(lowest, p.holdout_rmse);
  EXPECT_EQ(refined->best_holdout_rmse, lowest);
  bool chosen_was_tried = false;
  for (const ScoredPenalties& p : refined->tried) {
    chosen_was_tried |= p.lambda == refined->lambda && p.bias_lambda == refined->bias_lambda &&
                        p.holdout_rmse == lowest;
  }
  EXPECT_TRUE(chosen_was_tried);
}

// Each held-out fit runs until its objective settles (the job's own rule), not a fixed count: a
// fixed count would score slowly converging penalties before they converge.
TEST(ChooseLambda, HeldOutFitsRunUntilTheirObjectiveSettles) {
  const TrainingRatings train =
      Generated({.users = 300, .items = 200, .ratings = 20000, .rank = 3, .noise = 0.3, .seed = 5},
                "settle.txt");
  LambdaSearchOptions options{.rank = 4,
                              .max_rounds = 300,
                              .tolerance = 1e-3,
                              .grid = {0.01, 0.1},
                              .folds = 1,
                              .refine = false};
  absl::StatusOr<LambdaChoice> settled = ChooseLambda(train, options);
  ASSERT_TRUE(settled.ok()) << settled.status();
  for (const ScoredPenalties& tried : settled->tried) {
    EXPECT_GT(tried.rounds, 2) << "lambda " << tried.lambda;
    EXPECT_LT(tried.rounds, 300) << "lambda " << tried.lambda;
  }
  options.tolerance = 0;
  options.max_rounds = 7;
  absl::StatusOr<LambdaChoice> fixed = ChooseLambda(train, options);
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  for (const ScoredPenalties& tried : fixed->tried) EXPECT_EQ(tried.rounds, 7);
}

TEST(ChooseLambda, RefusesTooFewRatingsClearly) {
  const std::string path = ::strads::TestTempDir() + "/one.txt";
  ASSERT_TRUE(WriteRatingsText(path, std::vector<Rating>{{1, 1, 3.0}}).ok());
  absl::StatusOr<TrainingRatings> train = ReadTrainingRatings(path);
  ASSERT_TRUE(train.ok());
  absl::StatusOr<LambdaChoice> choice = ChooseLambda(*train, {.rank = 2});
  EXPECT_EQ(choice.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(choice.status().message().find("--lambda"), std::string::npos) << choice.status();
}

// The job under lambda=auto trains with the lambda the search picks and reports it.
TEST(MfApp, LambdaAutoTrainsWithTheChosenLambdaAndReportsIt) {
  const std::string path = ::strads::TestTempDir() + "/auto.txt";
  absl::StatusOr<MfProblem> problem = GenerateMfProblem({.users = 200,
                                                         .items = 100,
                                                         .ratings = 6000,
                                                         .rank = 3,
                                                         .noise = 0.5,
                                                         .mean = 3,
                                                         .user_bias = 0.3,
                                                         .seed = 8});
  ASSERT_TRUE(problem.ok());
  ASSERT_TRUE(WriteRatingsText(path, problem->train).ok());
  core::JobSpec spec;
  spec.app = "mf";
  spec.data_path = path;
  spec.workers = 2;
  spec.max_rounds = 6;
  spec.params = {{"rank", "3"}, {"lambda", "auto"}};
  MfSchedulerApp app;
  absl::StatusOr<apps::testing::InProcessResult> result =
      apps::testing::RunInProcess(app, NewMfWorkerApp, spec);
  ASSERT_TRUE(result.ok()) << result.status();
  absl::StatusOr<LambdaChoice> expected =
      ChooseLambda(app.train(), {.rank = 3, .search_bias_lambda = true, .max_rounds = 6});
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(app.lambda(), expected->lambda);
  EXPECT_EQ(result->Metric("lambda"), expected->lambda);
  EXPECT_EQ(result->Metric("bias_lambda"), expected->bias_lambda);
  EXPECT_EQ(expected->bias_grid.size(), 4u);  // the default 3 was scored with the lambda grid
  EXPECT_EQ(result->Metric("lambda_auto"), 1.0);
  EXPECT_EQ(result->Metric("als_wr"), 1.0);
  ASSERT_TRUE(app.lambda_choice().has_value());
  EXPECT_EQ(app.lambda_choice()->grid, DefaultLambdaGrid(Regularization::kWeighted));
  EXPECT_EQ(app.lambda_choice()->folds, 3);  // 6000 ratings: every slice allowed is pooled

  // lambda_folds=1: one held-out slice, the same search on it.
  spec.params["lambda_folds"] = "1";
  MfSchedulerApp one_fold;
  ASSERT_TRUE(apps::testing::RunInProcess(one_fold, NewMfWorkerApp, spec).ok());
  absl::StatusOr<LambdaChoice> expected_one = ChooseLambda(
      one_fold.train(), {.rank = 3, .search_bias_lambda = true, .max_rounds = 6, .folds = 1});
  ASSERT_TRUE(expected_one.ok());
  ASSERT_TRUE(one_fold.lambda_choice().has_value());
  EXPECT_EQ(one_fold.lambda_choice()->folds, 1);
  EXPECT_EQ(one_fold.lambda(), expected_one->lambda);
  EXPECT_EQ(one_fold.lambda_choice()->tried.size(), expected_one->tried.size());
}

}  // namespace
}  // namespace strads::mf
