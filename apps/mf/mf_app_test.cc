#include "apps/mf/mf_app.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "apps/mf/mf_generator.h"
#include "apps/mf/mf_protocol.h"
#include "apps/mf/mf_scheduler_app.h"
#include "apps/mf/mf_task.h"
#include "apps/mf/mf_worker_app.h"
#include "apps/mf/reference_solver.h"
#include "apps/testing/in_process_driver.h"
#include "core/load_balancer.h"
#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::mf {
namespace {

using apps::testing::InProcessOptions;
using apps::testing::InProcessResult;
using apps::testing::RunInProcess;

struct WrittenProblem {
  std::string train_path;
  std::string test_path;
};

WrittenProblem WriteProblem(const MfProblemOptions& options, const std::string& name) {
  absl::StatusOr<MfProblem> problem = GenerateMfProblem(options);
  EXPECT_TRUE(problem.ok()) << problem.status();
  WrittenProblem written;
  written.train_path = ::strads::TestTempDir() + "/" + name + "_train.txt";
  written.test_path = ::strads::TestTempDir() + "/" + name + "_test.txt";
  EXPECT_TRUE(WriteRatingsText(written.train_path, problem->train).ok());
  EXPECT_TRUE(WriteRatingsText(written.test_path, problem->test).ok());
  return written;
}

// Power-law popularity: user 1 rates far more than user 300.
const WrittenProblem& SkewedProblem() {
  static const WrittenProblem* problem = new WrittenProblem(WriteProblem({.users = 400,
                                                                          .items = 300,
                                                                          .ratings = 12000,
                                                                          .rank = 4,
                                                                          .power_law = 0.9,
                                                                          .noise = 0.1,
                                                                          .test_fraction = 0.1,
                                                                          .seed = 3},
                                                                         "skewed"));
  return *problem;
}

core::JobSpec SpecFor(const WrittenProblem& written, const std::string& balance = "dynamic") {
  core::JobSpec spec;
  spec.app = "mf";
  spec.data_path = written.train_path;
  spec.test_path = written.test_path;
  spec.workers = 2;
  spec.params = {{"rank", "4"}, {"lambda", "0.1"}, {"balance", balance}, {"seed", "7"}};
  return spec;
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::strads::TestTempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// The distributed rounds make exactly the reference's updates: the same seeded start
// (InitFactors), the same RowSolver on the same rows in the same rating order (both build the
// by-item matrix with Transpose), only split among workers. So after the same number of rounds
// the factors agree to the last bit and the RMSEs to rounding of the SSE sums (summed per
// worker, then across workers).
TEST(MfApp, MatchesTheReferenceSolverRoundForRound) {
  const WrittenProblem& written = SkewedProblem();
  constexpr int64_t kRounds = 9;  // ends on a W round, so both factors have moved
  for (int workers : {2, 3}) {
    for (const char* balance : {"dynamic", "static"}) {
      MfSchedulerApp app;
      core::JobSpec spec = SpecFor(written, balance);
      spec.max_rounds = kRounds;
      spec.tolerance = 1e-15;  // never converged early
      std::vector<double> rmse_per_round;
      InProcessOptions options;
      options.num_workers = workers;
      options.on_round = [&](const core::RoundPlan&, std::span<const core::Partial>) {
        rmse_per_round.push_back(app.train_rmse());
      };
      absl::StatusOr<InProcessResult> result = RunInProcess(app, NewMfWorkerApp, spec, options);
      ASSERT_TRUE(result.ok()) << result.status();
      ASSERT_EQ(result->rounds, kRounds);

      // Biases and ALS-WR are on (the defaults), so mu, both biases and the per-row penalty are
      // all compared.
      MfReferenceResult reference =
          SolveMfReference(app.train(), {.rank = 4, .lambda = 0.1, .seed = 7, .rounds = kRounds});
      EXPECT_EQ(app.mu(), reference.mu);
      EXPECT_NE(reference.mu, 0.0);
      ASSERT_EQ(rmse_per_round.size(), reference.train_rmse.size());
      for (int64_t r = 0; r < kRounds; ++r) {
        EXPECT_NEAR(rmse_per_round[r], reference.train_rmse[r], 1e-6)
            << "round " << r << " workers=" << workers << " balance=" << balance;
      }
      EXPECT_NEAR(*result->Metric("train_rmse"), reference.train_rmse.back(), 1e-6);
      EXPECT_NEAR(*result->Metric("objective"), reference.objective.back(),
                  1e-9 * reference.objective.back());
      double max_diff = 0;
      for (size_t i = 0; i < reference.w.size(); ++i) {
        max_diff = std::max(max_diff, std::abs(app.w()[i] - reference.w[i]));
      }
      for (size_t i = 0; i < reference.h.size(); ++i) {
        max_diff = std::max(max_diff, std::abs(app.h()[i] - reference.h[i]));
      }
      EXPECT_LT(max_diff, 1e-12) << "workers=" << workers << " balance=" << balance;
    }
  }
}

// The reference solver stops by the app's rule (mf_math.h ObjectiveSettled): same round, same
// factors. Without a tolerance it makes every round.
TEST(MfApp, StopsAtTheRoundTheReferenceSolverStopsAt) {
  MfSchedulerApp app;
  core::JobSpec spec = SpecFor(SkewedProblem());
  spec.tolerance = 1e-3;
  absl::StatusOr<InProcessResult> result =
      RunInProcess(app, NewMfWorkerApp, spec, {.max_rounds = 1000});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->outcome, core::RoundOutcome::kConverged);
  const MfReferenceResult reference = SolveMfReference(
      app.train(),
      {.rank = 4, .lambda = 0.1, .seed = 7, .rounds = kDefaultMaxRounds, .tolerance = 1e-3});
  EXPECT_TRUE(reference.converged);
  EXPECT_EQ(static_cast<int64_t>(reference.objective.size()), result->rounds);
  EXPECT_GT(result->rounds, 4);
  EXPECT_EQ(app.w(), reference.w);
  EXPECT_EQ(app.h(), reference.h);

  const MfReferenceResult all_rounds =
      SolveMfReference(app.train(), {.rank = 4, .lambda = 0.1, .seed = 7, .rounds = 9});
  EXPECT_FALSE(all_rounds.converged);
  EXPECT_EQ(all_rounds.objective.size(), 9u);
}

TEST(MfApp, ObjectiveNeverRisesAndTheModelFitsThePlantedRatings) {
  MfSchedulerApp app;
  core::JobSpec spec = SpecFor(SkewedProblem());
  spec.max_rounds = 30;
  spec.params["lambda"] = "0.01";  // ALS-WR: per rating, so this is a light penalty
  std::vector<double> objectives;
  InProcessOptions options;
  options.on_round = [&](const core::RoundPlan&, std::span<const core::Partial>) {
    objectives.push_back(app.objective());
  };
  absl::StatusOr<InProcessResult> result = RunInProcess(app, NewMfWorkerApp, spec, options);
  ASSERT_TRUE(result.ok()) << result.status();
  for (size_t r = 1; r < objectives.size(); ++r) {
    EXPECT_LE(objectives[r], objectives[r - 1] * (1 + 1e-12)) << "round " << r;
  }
  // Noise is 0.1 on ratings of unit scale: a rank-4 fit gets close on train, and generalises.
  EXPECT_LT(*result->Metric("train_rmse"), 0.2);
  EXPECT_LT(*result->Metric("test_rmse"), 0.6);
  std::printf("rounds=%lld train_rmse=%.4f test_rmse=%.4f converged=%.0f\n",
              static_cast<long long>(result->rounds), *result->Metric("train_rmse"),
              *result->Metric("test_rmse"), *result->Metric("converged"));
}

// Pearson correlation of a and b over the entries where `keep` is true.
double Correlation(const std::vector<double>& a, const std::vector<double>& b,
                   const std::vector<bool>& keep) {
  double n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!keep[i]) continue;
    n += 1;
    sa += a[i];
    sb += b[i];
    saa += a[i] * a[i];
    sbb += b[i] * b[i];
    sab += a[i] * b[i];
  }
  return (sab - sa * sb / n) / std::sqrt((saa - sa * sa / n) * (sbb - sb * sb / n));
}

// Ratings = 3.5 + b_u + b_i + 0.5 w'h + noise (seed 11). With biases on, mu is the training mean
// (near 3.5), the learned biases follow the planted ones, and the held-out error beats the old
// biasless model of the same rank, whose factors must spend themselves on the offsets.
TEST(MfApp, LearnsThePlantedMeanAndBiasesAndBeatsABiaslessFit) {
  const MfProblemOptions options{.users = 300,
                                 .items = 200,
                                 .ratings = 24000,
                                 .rank = 3,
                                 .power_law = 0.5,
                                 .noise = 0.3,
                                 .mean = 3.5,
                                 .user_bias = 0.5,
                                 .item_bias = 0.5,
                                 .factor_scale = 0.5,
                                 .test_fraction = 0.1,
                                 .seed = 11};
  absl::StatusOr<MfProblem> problem = GenerateMfProblem(options);
  ASSERT_TRUE(problem.ok()) << problem.status();
  const WrittenProblem written = WriteProblem(options, "biased");
  auto run = [&](bool biases, MfSchedulerApp& app) {
    core::JobSpec spec = SpecFor(written);
    spec.params["rank"] = "3";
    spec.params["lambda"] = "0.05";
    spec.params["biases"] = biases ? "true" : "false";
    spec.max_rounds = 20;
    absl::StatusOr<InProcessResult> result = RunInProcess(app, NewMfWorkerApp, spec);
    EXPECT_TRUE(result.ok()) << result.status();
    return *result->Metric("test_rmse");
  };
  MfSchedulerApp biased, biasless;
  const double with_biases = run(true, biased);
  const double without = run(false, biasless);
  std::printf("test_rmse with biases %.4f, without %.4f; mu %.4f\n", with_biases, without,
              biased.mu());
  EXPECT_LT(with_biases, 0.9 * without);
  EXPECT_LT(with_biases, 0.45);  // noise 0.3 plus what 2000 ratings leave of the model
  EXPECT_NEAR(biased.mu(), 3.5, 0.15);
  EXPECT_EQ(biasless.mu(), 0.0);

  // Learned biases (the last of each stored row) against the planted ones, by the file's ids
  // (1-based there), over rows with at least 20 ratings.
  auto compare = [&](const IdMap& ids, const RatingsCsr& m, const std::vector<double>& rows,
                     const std::vector<double>& planted, const char* what) {
    std::vector<double> learned(ids.size()), truth(ids.size());
    std::vector<bool> keep(ids.size());
    for (int64_t r = 0; r < ids.size(); ++r) {
      learned[r] = rows[r * 4 + 3];
      truth[r] = planted[std::stoll(ids.names[r]) - 1];
      keep[r] = m.RowNnz(r) >= 20;
    }
    const double correlation = Correlation(learned, truth, keep);
    std::printf("%s bias correlation %.4f\n", what, correlation);
    EXPECT_GT(correlation, 0.9) << what;
  };
  compare(biased.train().users, biased.train().by_user, biased.w(), problem->user_bias, "user");
  compare(biased.train().items, biased.train().by_item, biased.h(), problem->item_bias, "item");
}

TEST(MfApp, StopsWhenTheObjectiveSettles) {
  MfSchedulerApp app;
  core::JobSpec spec = SpecFor(SkewedProblem());
  spec.tolerance = 2e-2;  // ALS has a slow tail: about 1.5% per sweep after 25 rounds here
  absl::StatusOr<InProcessResult> result =
      RunInProcess(app, NewMfWorkerApp, spec, {.max_rounds = 200});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->outcome, core::RoundOutcome::kConverged);
  EXPECT_EQ(result->Metric("converged"), 1.0);
  EXPECT_LT(result->rounds, kDefaultMaxRounds);
  EXPECT_GE(result->rounds, 3);

  // Without a tolerance reachable in time, the app's default max_rounds stops it, unconverged.
  // (At rank 4 ALS reaches a fixed point to the last bit within the default cap; with more
  // factors than the data supports and almost no penalty it still moves after it.)
  MfSchedulerApp capped;
  core::JobSpec strict = SpecFor(SkewedProblem());
  strict.params["rank"] = "12";
  strict.params["lambda"] = "0.0001";
  strict.tolerance = 1e-15;
  absl::StatusOr<InProcessResult> stopped =
      RunInProcess(capped, NewMfWorkerApp, strict, {.max_rounds = kDefaultMaxRounds + 10});
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->rounds, kDefaultMaxRounds);
  EXPECT_EQ(stopped->outcome, core::RoundOutcome::kStopped);
  EXPECT_EQ(stopped->Metric("converged"), 0.0);
}

// Real-like stars (seed 1): power-law users and items, biases, a weak rank-8 signal under noise
// 0.8, fitted at rank 5 and lambda 0.2, where one factor sits near the penalty that switches it
// off and ALS has a long slow tail. The default stopping rule must not stop in that tail: its
// test RMSE is within 0.2% of the fit run to a standstill (the old default, 1e-4, stopped after
// 46 rounds 0.6% above it).
TEST(MfApp, DefaultStopLeavesTheTestRmseWhereTheConvergedFitHasIt) {
  const WrittenProblem written = WriteProblem({.users = 1500,
                                               .items = 800,
                                               .ratings = 40000,
                                               .rank = 8,
                                               .power_law = 0.8,
                                               .noise = 0.8,
                                               .mean = 3.5,
                                               .user_bias = 0.4,
                                               .item_bias = 0.5,
                                               .factor_scale = 0.6,
                                               .stars = true,
                                               .test_fraction = 0.1,
                                               .seed = 1},
                                              "slow_tail");
  auto run = [&](double tolerance, int64_t max_rounds) {
    MfSchedulerApp app;
    core::JobSpec spec = SpecFor(written);
    spec.params = {{"rank", "5"}, {"lambda", "0.2"}, {"seed", "1"}};
    spec.tolerance = tolerance;  // 0: the app's default
    spec.max_rounds = max_rounds;
    absl::StatusOr<InProcessResult> result =
        RunInProcess(app, NewMfWorkerApp, spec, {.max_rounds = 5000});
    EXPECT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->Metric("converged"), 1.0) << "tolerance " << tolerance;
    std::printf("tolerance %g: %lld rounds, test_rmse %.5f\n", tolerance,
                static_cast<long long>(result->rounds), *result->Metric("test_rmse"));
    return *result->Metric("test_rmse");
  };
  const double by_default = run(0, 0);
  const double converged = run(1e-10, 4000);
  EXPECT_LT(std::abs(by_default / converged - 1), 2e-3);
}

TEST(MfApp, DynamicBalanceSplitsRatingsEvenlyWhereStaticDoesNot) {
  for (const char* balance : {"dynamic", "static"}) {
    MfSchedulerApp app;
    core::JobSpec spec = SpecFor(SkewedProblem(), balance);
    spec.max_rounds = 2;
    absl::StatusOr<InProcessResult> result = RunInProcess(app, NewMfWorkerApp, spec);
    ASSERT_TRUE(result.ok()) << result.status();
    const core::LoadBalancer& users = app.user_balancer();
    std::vector<double> costs = {users.Cost(0), users.Cost(1)};
    const double spread = core::Spread(costs);
    if (std::string(balance) == "dynamic") {
      EXPECT_LT(spread, 0.15) << balance;
    } else {
      EXPECT_GT(spread, 0.5) << balance;
    }
  }
}

// What a worker held after its last push (the driver owns the workers and ends them with the
// run, so tests look at this instead).
struct HeldProbe {
  std::vector<int64_t> user_ranges;
  std::vector<int64_t> item_ranges;
  int64_t user_ratings = 0;
  int64_t item_ratings = 0;
};

// Wraps a worker so it takes `ns_per_unit` extra per unit of work, like the cluster's
// test_delay_ns_per_unit knob.
class SlowWorkerApp final : public core::WorkerApp {
 public:
  explicit SlowWorkerApp(double ns_per_unit, HeldProbe* probe = nullptr)
      : ns_per_unit_(ns_per_unit), probe_(probe) {}
  absl::Status Configure(const core::JobSpec& spec) override { return inner_.Configure(spec); }
  absl::Status AddShard(int shard, std::string_view bytes, const core::Payload& init) override {
    return inner_.AddShard(shard, bytes, init);
  }
  void DropShard(int shard) override { inner_.DropShard(shard); }
  absl::Status Apply(const core::Payload& update) override { return inner_.Apply(update); }
  absl::Status Push(const core::Payload& task, core::Partial* out) override {
    absl::Status status = inner_.Push(task, out);
    if (probe_ != nullptr) {
      probe_->user_ranges = inner_.users().Ranges();
      probe_->item_ranges = inner_.items().Ranges();
      probe_->user_ratings = inner_.users().held_ratings();
      probe_->item_ratings = inner_.items().held_ratings();
    }
    std::this_thread::sleep_for(std::chrono::nanoseconds(
        static_cast<int64_t>(ns_per_unit_ * static_cast<double>(out->work_units))));
    return status;
  }

 private:
  double ns_per_unit_;
  HeldProbe* probe_;
  MfWorkerApp inner_;
};

// One run of the slow-worker case: the balancers' final cost ratios (slow over fast worker), the
// rows moved per round and the busy spread averaged over the last rounds.
struct SlowWorkerRun {
  double user_ratio = 0;
  double item_ratio = 0;
  std::vector<double> moved;
  double busy_spread_avg = 0;
  bool Balanced() const {
    // 1/3 when settled; noise can stop the balancer short of that (NoiseBand), never at 1.
    for (double ratio : {user_ratio, item_ratio}) {
      if (!(ratio < 0.65 && ratio > 0.15)) return false;
    }
    return busy_spread_avg < 0.5;
  }
};

SlowWorkerRun RunWithASlowWorker() {
  // Worker 1 is three times slower per rating; both are slowed (sleeping, which a loaded machine
  // does not stretch) so that timing noise of the real compute matters little.
  MfSchedulerApp app;
  core::JobSpec spec = SpecFor(SkewedProblem(), "dynamic");
  spec.max_rounds = 20;
  spec.tolerance = 1e-15;
  int made = 0;
  SlowWorkerRun run;
  InProcessOptions options;
  options.on_round = [&](const core::RoundPlan&, std::span<const core::Partial>) {
    std::vector<core::Metric> metrics;
    app.Metrics(&metrics);
    for (const core::Metric& m : metrics) {
      if (m.name == "rows_moved") run.moved.push_back(m.value);
    }
  };
  absl::StatusOr<InProcessResult> result = RunInProcess(
      app,
      [&]() -> std::unique_ptr<core::WorkerApp> {
        return std::make_unique<SlowWorkerApp>(made++ == 1 ? 3000.0 : 1000.0);
      },
      spec, options);
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return run;
  run.user_ratio = app.user_balancer().Cost(1) / app.user_balancer().Cost(0);
  run.item_ratio = app.item_balancer().Cost(1) / app.item_balancer().Cost(0);
  run.busy_spread_avg = *result->Metric("busy_spread_avg");
  std::printf("user cost ratio %.3f item cost ratio %.3f busy_spread %.3f busy_spread_avg %.3f\n",
              run.user_ratio, run.item_ratio, *result->Metric("busy_spread"), run.busy_spread_avg);
  return run;
}

TEST(MfApp, DynamicBalanceMovesRowsOffASlowWorker) {
  // Busy time is measured for real; on a machine loaded by other tests one run can be stretched,
  // so a second run is taken when the first is off. A balancer that does not balance fails both.
  SlowWorkerRun run = RunWithASlowWorker();
  if (!run.Balanced()) run = RunWithASlowWorker();
  EXPECT_LT(run.user_ratio, 0.65) << "the slow worker kept too much";
  EXPECT_GT(run.user_ratio, 0.15);
  EXPECT_LT(run.item_ratio, 0.65) << "the slow worker kept too much";
  EXPECT_GT(run.item_ratio, 0.15);
  // Averaged over the last rounds: one round on a loaded machine can be far off.
  EXPECT_LT(run.busy_spread_avg, 0.5);
  // Incremental: some rounds moved rows, none moved a large part of the rows.
  double total = 0;
  for (double m : run.moved) {
    total += m;
    EXPECT_LE(m, 0.1 * 400 + 2);
  }
  EXPECT_GT(total, 0);
}

TEST(MfApp, ReportsTheDocumentedMetrics) {
  MfSchedulerApp app;
  core::JobSpec spec = SpecFor(SkewedProblem());
  spec.max_rounds = 4;
  absl::StatusOr<InProcessResult> result =
      RunInProcess(app, NewMfWorkerApp, spec, {.num_workers = 3});
  ASSERT_TRUE(result.ok()) << result.status();
  for (const char* name :
       {"train_rmse", "test_rmse", "objective", "rounds", "busy_seconds_worker_0",
        "busy_seconds_worker_1", "busy_seconds_worker_2", "busy_spread", "busy_spread_avg",
        "rows_moved", "test_unknown_entries", "seconds_per_round", "converged"}) {
    EXPECT_TRUE(result->Metric(name).has_value()) << name;
  }
  EXPECT_FALSE(result->Metric("busy_seconds_worker_3").has_value());
  EXPECT_EQ(result->Metric("rounds"), 4.0);
}

TEST(MfApp, EmptyTestSetHasNoTestRmseAndColdStartsArePredictedFromMuAndBiases) {
  const std::string train = WriteFile("tiny_train.txt", "1 1 5\n1 2 4\n2 1 3\n2 2 1\n3 2 2\n");
  MfSchedulerApp app;
  core::JobSpec spec;
  spec.data_path = train;
  spec.test_path = WriteFile("tiny_empty_test.txt", "");
  spec.params = {{"rank", "2"}};
  spec.max_rounds = 3;
  absl::StatusOr<InProcessResult> result = RunInProcess(app, NewMfWorkerApp, spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->Metric("test_rmse").has_value());
  EXPECT_TRUE(result->Metric("train_rmse").has_value());

  MfSchedulerApp unknown;
  spec.test_path = WriteFile("tiny_unknown_test.txt", "1 9 3\n8 1 2\n3 1 4\n");
  result = RunInProcess(unknown, NewMfWorkerApp, spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->Metric("test_unknown_entries"), 2.0);
  EXPECT_EQ(result->Metric("test_ratings"), 3.0);  // every held-out rating counts
  EXPECT_TRUE(result->Metric("test_rmse").has_value());

  // A user and an item both unseen: the prediction is mu, the training mean (15 / 5 = 3).
  MfSchedulerApp cold;
  spec.test_path = WriteFile("tiny_cold_test.txt", "9 9 4\n");
  result = RunInProcess(cold, NewMfWorkerApp, spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_DOUBLE_EQ(*result->Metric("test_rmse"), 1.0);
}

TEST(MfApp, MoreWorkersThanRowsStillCoversEveryRow) {
  const std::string train = WriteFile("two_users.txt", "1 1 5\n2 1 3\n");
  MfSchedulerApp app;
  core::JobSpec spec;
  spec.data_path = train;
  spec.params = {{"rank", "3"}};
  spec.max_rounds = 4;
  absl::StatusOr<InProcessResult> result =
      RunInProcess(app, NewMfWorkerApp, spec, {.num_workers = 3});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->rounds, 4);
}

TEST(MfApp, SurvivesAWorkerReplacedMidJob) {
  core::JobSpec spec = SpecFor(SkewedProblem());
  spec.max_rounds = 7;
  spec.tolerance = 1e-15;
  MfSchedulerApp straight;
  absl::StatusOr<InProcessResult> baseline = RunInProcess(straight, NewMfWorkerApp, spec);
  ASSERT_TRUE(baseline.ok()) << baseline.status();
  MfSchedulerApp app;
  absl::StatusOr<InProcessResult> result =
      RunInProcess(app, NewMfWorkerApp, spec,
                   {.num_workers = 3, .shards_per_worker = 2, .replace_worker_at_round = 4});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NEAR(*result->Metric("train_rmse"), *baseline->Metric("train_rmse"), 1e-9);
}

TEST(MfWorkerApp, RefusesRowsItWasNeverSentCacheUpdatesAndMalformedTasks) {
  const std::string train = WriteFile("placement.txt", "1 1 5\n2 1 3\n3 2 4\n4 2 1\n");
  MfSchedulerApp scheduler;
  core::JobSpec spec;
  spec.data_path = train;
  spec.params = {{"rank", "2"}, {"balance", "static"}};
  ASSERT_TRUE(scheduler.Prepare(spec, 2).ok());
  MfWorkerApp worker;
  ASSERT_TRUE(worker.Configure(spec).ok());
  core::Payload init;
  scheduler.ShardInit(0, &init);
  ASSERT_TRUE(worker.AddShard(0, *scheduler.ShardBytes(0), init).ok());
  // Shard 0 of 2 (static): users 0-1 and item 0, and nothing else.
  EXPECT_EQ(worker.users().Ranges(), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(worker.items().Ranges(), (std::vector<int64_t>{0, 1}));

  const std::vector<double> h = {0.5, 0.5, 0.1, 0.25, 0.25, -0.1};  // K = 2, then the bias
  core::Payload task;
  task.op = kUpdateUsers;
  const int64_t held[] = {0, 2};
  const int64_t not_held[] = {2, 4};
  const int32_t needed[] = {0, 1};
  WriteTask(held, {}, {}, scheduler.train().by_user, needed, h, 3, &task);
  core::Partial partial;
  EXPECT_TRUE(worker.Push(task, &partial).ok());
  WriteTask(not_held, {}, {}, scheduler.train().by_user, needed, h, 3, &task);
  absl::Status status = worker.Push(task, &partial);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("never sent"), std::string::npos) << status;
  // Sent with the task, the rows can be solved; dropped, they cannot.
  WriteTask(not_held, {}, not_held, scheduler.train().by_user, needed, h, 3, &task);
  EXPECT_TRUE(worker.Push(task, &partial).ok());
  EXPECT_EQ(worker.users().Ranges(), (std::vector<int64_t>{0, 4}));
  WriteTask(not_held, held, {}, scheduler.train().by_user, needed, h, 3, &task);
  EXPECT_TRUE(worker.Push(task, &partial).ok());
  EXPECT_EQ(worker.users().Ranges(), (std::vector<int64_t>{2, 4}));

  core::Payload update;
  update.op = 4;
  update.keys = {0, 1};
  update.values = {0.5, 0.5};
  EXPECT_EQ(worker.Apply(update).code(), absl::StatusCode::kInvalidArgument);

  task.keys = {1, 0, 0, 0, 0, 0, 5};  // a range past the last user
  task.values.clear();
  EXPECT_EQ(worker.Push(task, &partial).code(), absl::StatusCode::kInvalidArgument);
}

// Two communities: users 1-20 rate only items 1-10, users 21-40 only items 11-20. Split in two,
// each worker needs half of the other factor, and that is all it gets.
TEST(MfApp, EachWorkerReceivesOnlyTheFactorRowsItsRatingsTouch) {
  std::ostringstream text;
  for (int u = 1; u <= 40; ++u) {
    const int first_item = u <= 20 ? 1 : 11;
    for (int i = 0; i < 5; ++i) text << u << ' ' << first_item + (u + 3 * i) % 10 << " 1\n";
  }
  MfSchedulerApp app;
  core::JobSpec spec;
  spec.data_path = WriteFile("communities.txt", text.str());
  spec.params = {{"rank", "2"}, {"balance", "static"}};
  spec.max_rounds = 2;
  std::vector<std::vector<int64_t>> ids_per_worker;
  InProcessOptions options;
  options.on_round = [&](const core::RoundPlan& plan, std::span<const core::Partial>) {
    if (plan.number != 0) return;
    for (const core::Payload& task : plan.tasks) {
      absl::StatusOr<MfTaskView> view = ParseTask(task, 3, 40, 20);
      ASSERT_TRUE(view.ok()) << view.status();
      ids_per_worker.emplace_back(view->factor_ids.begin(), view->factor_ids.end());
      EXPECT_TRUE(view->add.empty()) << "the shards already hold the first split";
    }
    std::vector<core::Metric> metrics;
    app.Metrics(&metrics);
    for (const core::Metric& m : metrics) {
      if (m.name == "factor_rows_sent") EXPECT_EQ(m.value, 20.0);
    }
  };
  absl::StatusOr<InProcessResult> result = RunInProcess(app, NewMfWorkerApp, spec, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(ids_per_worker.size(), 2u);
  std::vector<int64_t> first(10), second(10);
  for (int i = 0; i < 10; ++i) {
    first[i] = i;
    second[i] = 10 + i;
  }
  EXPECT_EQ(ids_per_worker[0], first);
  EXPECT_EQ(ids_per_worker[1], second);
}

// With rows moving off a slow worker, every worker ends up holding exactly the ratings of the
// rows it solves (no more, no less), and what moved was sent with the tasks.
TEST(MfApp, RatingsMoveWithTheRowsTheBalancerMoves) {
  MfSchedulerApp app;
  core::JobSpec spec = SpecFor(SkewedProblem(), "dynamic");
  spec.max_rounds = 12;
  spec.tolerance = 1e-15;
  std::vector<HeldProbe> probes(2);
  int made = 0;
  double ratings_sent = 0;
  InProcessOptions options;
  options.on_round = [&](const core::RoundPlan&, std::span<const core::Partial>) {
    std::vector<core::Metric> metrics;
    app.Metrics(&metrics);
    for (const core::Metric& m : metrics) {
      if (m.name == "ratings_sent") ratings_sent += m.value;
    }
  };
  absl::StatusOr<InProcessResult> result = RunInProcess(
      app,
      [&]() -> std::unique_ptr<core::WorkerApp> {
        const int w = made++;
        return std::make_unique<SlowWorkerApp>(w == 1 ? 1500.0 : 500.0, &probes[w]);
      },
      spec, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(ratings_sent, 0);
  const int64_t nnz = app.train().by_user.nnz();
  int64_t held_by_user = 0, held_by_item = 0;
  for (int w = 0; w < 2; ++w) {
    const std::span<const int64_t> users = app.user_balancer().boundaries();
    const std::span<const int64_t> items = app.item_balancer().boundaries();
    EXPECT_EQ(probes[w].user_ranges, (std::vector<int64_t>{users[w], users[w + 1]}))
        << "worker " << w;
    EXPECT_EQ(probes[w].item_ranges, (std::vector<int64_t>{items[w], items[w + 1]}))
        << "worker " << w;
    held_by_user += probes[w].user_ratings;
    held_by_item += probes[w].item_ratings;
  }
  EXPECT_EQ(held_by_user, nnz);
  EXPECT_EQ(held_by_item, nnz);
}

TEST(MfApp, WritesTheModelWithTheUsersOwnIds) {
  const std::string train =
      WriteFile("named.txt", "alice::dune::5\nbob::dune::3\nbob::alien::2\ncarol::alien::4\n");
  MfSchedulerApp app;
  core::JobSpec spec;
  spec.data_path = train;
  spec.params = {{"rank", "2"}, {"lambda", "0.01"}};
  spec.max_rounds = 6;
  absl::StatusOr<InProcessResult> result = RunInProcess(app, NewMfWorkerApp, spec);
  ASSERT_TRUE(result.ok()) << result.status();
  std::ostringstream out;
  ASSERT_TRUE(app.WriteModel(out).ok());
  std::istringstream in(out.str());
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "# strads mf model");
  std::map<std::string, std::vector<double>> rows;
  while (std::getline(in, line)) {
    if (line.starts_with("#")) continue;
    std::istringstream fields(line);
    std::string tag;
    std::string id;
    fields >> tag >> id;
    std::vector<double> values;
    double v = 0;
    while (fields >> v) values.push_back(v);
    if (tag == "G") {
      EXPECT_EQ(values.size(), 2u) << line;  // "G mu min max": the id field took mu
      EXPECT_EQ(std::stod(id), app.mu());
      EXPECT_EQ(values, (std::vector<double>{2, 5}));
      continue;
    }
    EXPECT_EQ(values.size(), 3u) << line;  // bias, f1, f2
    rows[tag + " " + id] = values;
  }
  EXPECT_EQ(rows.size(), 5u);
  ASSERT_TRUE(rows.contains("W alice"));
  ASSERT_TRUE(rows.contains("H alien"));
  // Reads back exactly and predicts like the model in memory.
  const int32_t bob = app.train().users.Find("bob");
  EXPECT_EQ(rows["W bob"][0], app.w()[bob * 3 + 2]);  // the bias is stored last
  EXPECT_EQ(rows["W bob"][1], app.w()[bob * 3]);
  EXPECT_EQ(rows["W bob"][2], app.w()[bob * 3 + 1]);
}

TEST(ValidateMfSpec, RefusesBadParametersAndMissingFiles) {
  core::JobSpec spec = SpecFor(SkewedProblem());
  EXPECT_TRUE(ValidateMfSpec(spec).ok());
  struct Case {
    const char* name;
    const char* value;
  };
  for (const Case& c :
       {Case{"rank", "0"}, Case{"rank", "1001"}, Case{"lambda", "-1"}, Case{"balance", "random"},
        Case{"rnak", "4"}, Case{"reg", "l1"}, Case{"biases", "maybe"}, Case{"lambda", "autoo"},
        Case{"lambda_folds", "11"}, Case{"lambda_folds", "-1"}}) {
    core::JobSpec bad = spec;
    bad.params[c.name] = c.value;
    absl::Status status = ValidateMfSpec(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name << "=" << c.value;
    EXPECT_NE(status.message().find(c.name), std::string::npos) << status;
  }
  core::JobSpec missing = spec;
  missing.data_path = ::strads::TestTempDir() + "/no_such_ratings.txt";
  absl::Status status = ValidateMfSpec(missing);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find("no_such_ratings.txt"), std::string::npos) << status;
  missing = spec;
  missing.test_path = ::strads::TestTempDir() + "/no_such_test.txt";
  EXPECT_EQ(ValidateMfSpec(missing).code(), absl::StatusCode::kNotFound);

  MfSchedulerApp app;
  missing.test_path.clear();
  missing.data_path = ::strads::TestTempDir() + "/no_such_ratings.txt";
  EXPECT_EQ(app.Prepare(missing, 2).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace strads::mf
