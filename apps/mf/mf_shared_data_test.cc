// MF with shared data (--data-access shared): the workers read byte ranges of the files, the
// scheduler adds their normal equations. The same job on served data is the reference: same
// rounds, same model and RMSEs up to rounding, whatever the cut.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "apps/mf/mf_app.h"
#include "apps/mf/mf_generator.h"
#include "apps/mf/mf_math.h"
#include "apps/mf/mf_scheduler_app.h"
#include "apps/mf/mf_shared_scheduler_app.h"
#include "apps/mf/partition_ratings.h"
#include "apps/testing/in_process_driver.h"
#include "core/test_temp_dir.h"
#include "core/thread_team.h"
#include "gtest/gtest.h"

namespace strads::mf {
namespace {

using apps::testing::InProcessOptions;
using apps::testing::InProcessResult;
using apps::testing::RunInProcess;

struct Files {
  std::string train;
  std::string test;
};

// Star ratings with biases, power-law popularity: what users bring.
const Files& StarRatings() {
  static const Files* files = [] {
    absl::StatusOr<MfProblem> problem = GenerateMfProblem({.users = 300,
                                                           .items = 200,
                                                           .ratings = 9000,
                                                           .rank = 4,
                                                           .power_law = 0.8,
                                                           .noise = 0.3,
                                                           .mean = 3.5,
                                                           .user_bias = 0.4,
                                                           .item_bias = 0.6,
                                                           .factor_scale = 0.5,
                                                           .stars = true,
                                                           .test_fraction = 0.1,
                                                           .seed = 11});
    EXPECT_TRUE(problem.ok()) << problem.status();
    auto* written =
        new Files{TestTempDir() + "/shared_mf_train.txt", TestTempDir() + "/shared_mf_test.txt"};
    EXPECT_TRUE(WriteRatingsText(written->train, problem->train).ok());
    EXPECT_TRUE(WriteRatingsText(written->test, problem->test).ok());
    return written;
  }();
  return *files;
}

core::JobSpec Spec(const std::string& train, const std::string& test, bool shared) {
  core::JobSpec spec;
  spec.app = "mf";
  spec.data_path = train;
  spec.test_path = test;
  spec.workers = 3;
  spec.params = {{"rank", "5"}, {"lambda", "0.1"}, {"seed", "5"}};
  if (shared) spec.params["data_access"] = "shared";
  return spec;
}

struct Fit {
  InProcessResult result;
  std::vector<double> w;
  std::vector<double> h;
  std::string model;
};

// Runs `spec` with scheduler half App (served or shared data) and the registry's worker half.
template <typename App>
Fit RunWith(const core::JobSpec& spec, const InProcessOptions& options) {
  App app;
  absl::StatusOr<InProcessResult> result = RunInProcess(app, NewMfWorkerApp, spec, options);
  EXPECT_TRUE(result.ok()) << result.status();
  std::ostringstream model;
  EXPECT_TRUE(app.WriteModel(model).ok());
  return {result.ok() ? *result : InProcessResult{}, app.w(), app.h(), model.str()};
}

Fit RunServed(const core::JobSpec& spec, const InProcessOptions& options = {.num_workers = 3}) {
  return RunWith<MfSchedulerApp>(spec, options);
}

Fit RunShared(const core::JobSpec& spec, const InProcessOptions& options = {.num_workers = 3}) {
  return RunWith<MfSharedSchedulerApp>(spec, options);
}

double MaxDifference(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double max = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    max = std::max(max, std::abs(a[i] - b[i]));
  }
  return max;
}

// The served and shared runs agree: the update rounds (shared data adds its index round and,
// with test ratings, an evaluation round), the model, and the RMSEs, to rounding.
void ExpectSameFit(const Fit& served, const Fit& shared) {
  EXPECT_EQ(served.result.outcome, shared.result.outcome);
  EXPECT_EQ(*served.result.Metric("rounds"), *shared.result.Metric("rounds"));
  for (const char* metric : {"train_rmse", "test_rmse", "objective", "mu"}) {
    ASSERT_EQ(served.result.Metric(metric).has_value(), shared.result.Metric(metric).has_value())
        << metric;
    if (!served.result.Metric(metric).has_value()) continue;
    const double want = *served.result.Metric(metric);
    EXPECT_NEAR(*shared.result.Metric(metric), want, 1e-9 * std::abs(want)) << metric;
  }
  for (const char* metric : {"users", "items", "train_ratings", "test_ratings"}) {
    EXPECT_EQ(*served.result.Metric(metric), *shared.result.Metric(metric)) << metric;
  }
  EXPECT_LT(MaxDifference(served.w, shared.w), 1e-8);
  EXPECT_LT(MaxDifference(served.h, shared.h), 1e-8);
}

TEST(MfSharedData, FitsWhatServedDataFitsWithATestSet) {
  const Files& files = StarRatings();
  const Fit served = RunServed(Spec(files.train, files.test, false));
  const Fit shared = RunShared(Spec(files.train, files.test, true));
  EXPECT_EQ(served.result.outcome, core::RoundOutcome::kConverged);
  ExpectSameFit(served, shared);
  // Index round, update rounds, evaluation round.
  EXPECT_EQ(shared.result.rounds, served.result.rounds + 2);
}

// --max-rounds N means N updates either way: the index and evaluation rounds come on top
// (SchedulerApp::extra_rounds), and the last test RMSE is the final model's.
TEST(MfSharedData, AFixedRoundBudgetMeansTheSameUpdates) {
  const Files& files = StarRatings();
  const std::string empty_test = TestTempDir() + "/shared_mf_empty_test.csv";
  std::ofstream(empty_test) << "userId,movieId,rating,timestamp\n";  // a header, no ratings
  for (const std::string& test : {files.test, std::string(), empty_test}) {
    core::JobSpec served_spec = Spec(files.train, test, false);
    core::JobSpec shared_spec = Spec(files.train, test, true);
    served_spec.max_rounds = shared_spec.max_rounds = 7;
    served_spec.tolerance = shared_spec.tolerance = 1e-15;
    const Fit served = RunServed(served_spec);
    const Fit shared = RunShared(shared_spec);
    EXPECT_EQ(*served.result.Metric("rounds"), 7);
    EXPECT_EQ(served.result.outcome, core::RoundOutcome::kContinue);  // stopped by the budget
    ExpectSameFit(served, shared);
  }
}

// Workers with a thread team compute every row's sums on one member, in its fixed place: the
// partials and the model are bit-identical whatever the team's size.
TEST(MfSharedData, PartialsAreBitIdenticalWhateverTheThreadCount) {
  const Files& files = StarRatings();
  core::JobSpec spec = Spec(files.train, files.test, true);
  spec.max_rounds = 5;
  spec.tolerance = 1e-15;
  auto run = [&](int threads) {
    std::vector<std::unique_ptr<core::ThreadTeam>> teams;
    auto make_worker = [&]() -> std::unique_ptr<core::WorkerApp> {
      std::unique_ptr<core::WorkerApp> worker = NewMfWorkerApp();
      if (threads > 0) {
        teams.push_back(std::make_unique<core::ThreadTeam>(threads));
        worker->UseThreads(teams.back().get());
      }
      return worker;
    };
    std::vector<std::vector<double>> out;
    InProcessOptions options{.num_workers = 2};
    options.on_round = [&](const core::RoundPlan&, std::span<const core::Partial> partials) {
      for (const core::Partial& partial : partials) out.push_back(partial.values);
    };
    MfSharedSchedulerApp app;
    EXPECT_TRUE(RunInProcess(app, make_worker, spec, options).ok());
    out.push_back(app.w());
    out.push_back(app.h());
    return out;
  };
  const std::vector<std::vector<double>> serial = run(0);
  ASSERT_GT(serial.size(), 10u);
  for (int threads : {1, 2, 3}) {
    const std::vector<std::vector<double>> parallel = run(threads);
    ASSERT_EQ(parallel.size(), serial.size());
    for (size_t i = 0; i < serial.size(); ++i) {
      ASSERT_EQ(parallel[i].size(), serial[i].size()) << "threads " << threads << " item " << i;
      EXPECT_EQ(
          0, std::memcmp(parallel[i].data(), serial[i].data(), serial[i].size() * sizeof(double)))
          << "threads " << threads << " item " << i;
    }
  }
}

TEST(MfSharedData, AnyNumberOfPartitionsAndShardsPerWorker) {
  const Files& files = StarRatings();
  const Fit served = RunServed(Spec(files.train, "", false));
  for (int workers : {1, 2, 5}) {
    for (int shards_per_worker : {1, 2}) {
      const Fit shared =
          RunShared(Spec(files.train, "", true),
                    {.num_workers = workers, .shards_per_worker = shards_per_worker});
      ExpectSameFit(served, shared);
      EXPECT_EQ(shared.result.rounds, served.result.rounds + 1) << "no evaluation round";
    }
  }
}

TEST(MfSharedData, AReplacementWorkerReadsTheLostPartitionAndTheJobEndsTheSame) {
  const Files& files = StarRatings();
  const Fit served = RunServed(Spec(files.train, files.test, false));
  for (int64_t round : {0, 1, 4}) {  // during the index round, the first W round, later
    const Fit shared = RunShared(Spec(files.train, files.test, true),
                                 {.num_workers = 3, .replace_worker_at_round = round});
    ExpectSameFit(served, shared);
  }
}

TEST(MfSharedData, ModelFileMatchesServedDataButForRounding) {
  const Files& files = StarRatings();
  const Fit served = RunServed(Spec(files.train, files.test, false));
  const Fit shared = RunShared(Spec(files.train, files.test, true));
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  };
  const std::vector<std::string> a = lines(served.model);
  const std::vector<std::string> b = lines(shared.model);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    // Same tag and id on every factor line; the header lines name the same counts.
    std::istringstream x(a[i]), y(b[i]);
    std::string tag_a, tag_b, id_a, id_b;
    x >> tag_a >> id_a;
    y >> tag_b >> id_b;
    EXPECT_EQ(tag_a, tag_b) << "line " << i;
    if (tag_a == "W" || tag_a == "H" || id_a == "users" || id_a == "items" || id_a == "ratings") {
      EXPECT_EQ(id_a, id_b) << "line " << i;
    }
  }
}

// A restarted scheduler resumes from a checkpoint without an index round: the shards' inits carry
// the ids and the model, the workers read their partitions again, and the job ends as the
// uninterrupted one. A checkpoint from before the index round starts the job over.
TEST(MfSharedData, ResumesFromACheckpointWithTheUninterruptedResult) {
  const Files& files = StarRatings();
  const core::JobSpec spec = Spec(files.train, files.test, true);
  const Fit whole = RunShared(spec);
  for (int64_t at : {0, 1, 6}) {
    MfSharedSchedulerApp first;
    std::string checkpoint;
    InProcessOptions options{.num_workers = 3};
    int64_t round = 0;
    options.on_round = [&](const core::RoundPlan&, std::span<const core::Partial>) {
      if (round++ != at) return;
      std::ostringstream out;
      ASSERT_TRUE(first.SaveCheckpoint(out).ok());
      checkpoint = out.str();
    };
    ASSERT_TRUE(RunInProcess(first, NewMfWorkerApp, spec, options).ok());
    ASSERT_FALSE(checkpoint.empty());

    MfSharedSchedulerApp resumed;
    absl::StatusOr<InProcessResult> result =
        RunInProcess(resumed, NewMfWorkerApp, spec,
                     {.num_workers = 2, .checkpoint = checkpoint, .first_round = at + 1});
    ASSERT_TRUE(result.ok()) << result.status();
    for (const char* metric : {"train_rmse", "test_rmse", "objective", "rounds"}) {
      EXPECT_NEAR(*result->Metric(metric), *whole.result.Metric(metric),
                  1e-9 * *whole.result.Metric(metric))
          << metric << " after a checkpoint at round " << at;
    }
    EXPECT_LT(MaxDifference(resumed.w(), whole.w), 1e-8);

    // Saving right after a restore gives the same bytes.
    MfSharedSchedulerApp restored;
    ASSERT_TRUE(restored.Prepare(spec, 3).ok());
    std::istringstream in(checkpoint);
    ASSERT_TRUE(restored.RestoreCheckpoint(in).ok());
    std::ostringstream again;
    ASSERT_TRUE(restored.SaveCheckpoint(again).ok());
    EXPECT_EQ(again.str(), checkpoint);
  }
  // Another rank's checkpoint is refused.
  MfSharedSchedulerApp other;
  core::JobSpec rank3 = spec;
  rank3.params["rank"] = "3";
  ASSERT_TRUE(other.Prepare(rank3, 3).ok());
  MfSharedSchedulerApp source;
  InProcessOptions options{.num_workers = 3};
  std::string checkpoint;
  options.on_round = [&](const core::RoundPlan&, std::span<const core::Partial>) {
    std::ostringstream out;
    ASSERT_TRUE(source.SaveCheckpoint(out).ok());
    checkpoint = out.str();
  };
  ASSERT_TRUE(RunInProcess(source, NewMfWorkerApp, spec, options).ok());
  std::istringstream in(checkpoint);
  EXPECT_EQ(other.RestoreCheckpoint(in).code(), absl::StatusCode::kDataLoss);
}

// A directory of part-* files, each with its own MovieLens header, CRLF line ends and comments:
// the same ratings as one plain file.
TEST(MfSharedData, ADirectoryOfPartsWithHeadersEqualsOneFile) {
  const Files& files = StarRatings();
  std::ifstream in(files.train);
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#' && line[0] != '%') rows.push_back(line);
  }
  const std::string dir = TestTempDir() + "/shared_mf_parts";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  constexpr int kParts = 4;
  for (int p = 0; p < kParts; ++p) {
    std::ofstream part(dir + "/part-0000" + std::to_string(p));
    part << "userId,movieId,rating,timestamp\r\n# a comment\r\n";
    for (size_t r = p * rows.size() / kParts; r < (p + 1) * rows.size() / kParts; ++r) {
      std::string row = rows[r];
      std::replace(row.begin(), row.end(), ' ', ',');
      std::replace(row.begin(), row.end(), '\t', ',');
      part << row << ",964982703\r\n";
    }
  }
  const Fit served = RunServed(Spec(files.train, "", false));
  const Fit shared = RunShared(Spec(dir, "", true), {.num_workers = 3});
  ExpectSameFit(served, shared);
}

// MatrixMarket coordinate files: the entries are ratings in any order, so byte ranges work; the
// worker whose range starts the file skips the size line.
TEST(MfSharedData, MatrixMarketFilesFitAsTheyDoServed) {
  const Files& files = StarRatings();
  auto to_market = [](const std::string& text_path, const std::string& name) {
    std::ifstream in(text_path);
    std::vector<std::string> entries;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] != '#') entries.push_back(line);
    }
    const std::string path = TestTempDir() + "/" + name;
    std::ofstream out(path);
    out << "%%MatrixMarket matrix coordinate real general\n% written by a test\n";
    out << "300 200 " << entries.size() << "\n";
    for (const std::string& entry : entries) out << entry << "\n";
    return path;
  };
  const std::string train = to_market(files.train, "shared_mf_train.mtx");
  const std::string test = to_market(files.test, "shared_mf_test.mtx");
  const Fit served = RunServed(Spec(train, test, false));
  for (int workers : {1, 2, 4, 24}) {
    const Fit shared = RunShared(Spec(train, test, true), {.num_workers = workers});
    ExpectSameFit(served, shared);
  }
}

// A header longer than a worker's byte range (the size line then starts in a later range) is
// still left out, and what served data refuses in a MatrixMarket file, shared data refuses too.
TEST(MfSharedData, MatrixMarketHeadersAndErrorsAsServed) {
  auto write = [](const std::string& name, const std::string& text) {
    const std::string path = TestTempDir() + "/" + name;
    std::ofstream(path) << text;
    return path;
  };
  std::string long_header = "%%MatrixMarket matrix coordinate real general\n";
  for (int k = 0; k < 40; ++k) long_header += "% a comment line of some length, one of many\n";
  std::string entries;
  int count = 0;
  for (int u = 1; u <= 12; ++u) {
    for (int i = 1; i <= 9; ++i) {
      if ((u * 5 + i * 3) % 4 == 0) continue;
      entries += absl::StrCat(u, " ", i, " ", 1 + (u * i) % 5, "\n");
      ++count;
    }
  }
  const std::string good =
      write("shared_mf_long_header.mtx", absl::StrCat(long_header, "12 9 ", count, "\n", entries));
  const Fit served = RunServed(Spec(good, "", false), {.num_workers = 1});
  for (int workers : {2, 5, 24}) {
    ExpectSameFit(served, RunShared(Spec(good, "", true), {.num_workers = workers}));
  }
  const struct {
    const char* name;
    std::string text;
    const char* error;
  } bad[] = {
      {"count", absl::StrCat(long_header, "12 9 ", count + 1, "\n", entries), "declares"},
      {"row", "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 4\n5 1 3\n",
       "row '5' is not in [1, 3]"},
      {"zero", "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 4\n0 2 3\n",
       "row '0' is not in [1, 3]"},
      {"symmetric", "%%MatrixMarket matrix coordinate integer symmetric\n3 3 1\n1 2 4\n",
       "unsupported MatrixMarket header"},
      {"array", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n",
       "unsupported MatrixMarket header"},
  };
  for (const auto& c : bad) {
    const std::string path = write(absl::StrCat("shared_mf_bad_", c.name, ".mtx"), c.text);
    MfSharedSchedulerApp app;
    absl::StatusOr<InProcessResult> result =
        RunInProcess(app, NewMfWorkerApp, Spec(path, "", true), {.num_workers = 2});
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_NE(result.status().message().find(c.error), std::string::npos)
        << c.name << ": " << result.status();
  }
}

TEST(MfSharedData, RepeatedPairsInOnePartitionKeepTheLastRating) {
  const std::string with_repeats = TestTempDir() + "/shared_mf_repeats.txt";
  const std::string without = TestTempDir() + "/shared_mf_no_repeats.txt";
  {
    std::ofstream a(with_repeats), b(without);
    for (int u = 1; u <= 30; ++u) {
      for (int i = 1; i <= 20; ++i) {
        if ((u * 7 + i * 3) % 4 == 0) continue;
        const int rating = 1 + (u * i) % 5;
        if ((u + i) % 9 == 0) a << u << " " << i << " " << 6 - rating << "\n";  // overwritten
        a << u << " " << i << " " << rating << "\n";
        b << u << " " << i << " " << rating << "\n";
      }
    }
  }
  const Fit served = RunServed(Spec(without, "", false));
  const Fit shared = RunShared(Spec(with_repeats, "", true), {.num_workers = 1});
  ExpectSameFit(served, shared);
  EXPECT_GT(*shared.result.Metric("duplicates"), 10);
}

// A --test file that repeats a pair: scored once with its last rating, the repeats counted in
// test_duplicates, as served data does (one worker: one partition holds every repeat; a pair
// repeated in two partitions would be scored twice, README).
TEST(MfSharedData, CountsTestRepeatsAndScoresTheLastRating) {
  const std::string train = TestTempDir() + "/shared_mf_grid.txt";
  const std::string test = TestTempDir() + "/shared_mf_test_repeats.txt";
  {
    std::ofstream a(train), b(test);
    for (int u = 1; u <= 30; ++u) {
      for (int i = 1; i <= 20; ++i) {
        const int rating = 1 + (u * i) % 5;
        if ((u * 7 + i * 3) % 4 != 0) {
          a << u << " " << i << " " << rating << "\n";
        } else if (u % 3 == 0) {
          b << u << " " << i << " " << 6 - rating << "\n";  // overwritten
          b << u << " " << i << " " << rating << "\n";
        } else {
          b << u << " " << i << " " << rating << "\n";
        }
      }
    }
  }
  const Fit served = RunServed(Spec(train, test, false));
  const Fit shared = RunShared(Spec(train, test, true), {.num_workers = 1});
  ExpectSameFit(served, shared);
  ASSERT_TRUE(shared.result.Metric("test_duplicates").has_value());
  EXPECT_EQ(*shared.result.Metric("test_duplicates"), *served.result.Metric("test_duplicates"));
  EXPECT_GT(*shared.result.Metric("test_duplicates"), 10);
}

// Each worker's busy seconds in the last update round, as served data reports them.
TEST(MfSharedData, ReportsEachWorkersBusySeconds) {
  const Files& files = StarRatings();
  const Fit shared = RunShared(Spec(files.train, files.test, true));
  for (const char* metric :
       {"busy_seconds_worker_0", "busy_seconds_worker_1", "busy_seconds_worker_2", "busy_spread"}) {
    ASSERT_TRUE(shared.result.Metric(metric).has_value()) << metric;
    EXPECT_GE(*shared.result.Metric(metric), 0) << metric;
  }
  EXPECT_GT(*shared.result.Metric("busy_seconds_worker_0"), 0);
  EXPECT_FALSE(shared.result.Metric("busy_seconds_worker_3").has_value());
}

TEST(MfSharedData, RefusesWhatItCannotReadWithReasons) {
  const std::string text_ids = TestTempDir() + "/shared_mf_text_ids.txt";
  std::ofstream(text_ids) << "1 1 4\nalice 2 3\n";
  MfSharedSchedulerApp app;
  absl::StatusOr<InProcessResult> result =
      RunInProcess(app, NewMfWorkerApp, Spec(text_ids, "", true), {.num_workers = 1});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("line 2: user id 'alice' is not an integer"),
            std::string::npos)
      << result.status();

  core::JobSpec lambda_auto = Spec(StarRatings().train, "", true);
  lambda_auto.params["lambda"] = "auto";
  EXPECT_NE(ValidateMfSpec(lambda_auto).message().find("lambda=auto needs data_access=served"),
            std::string::npos);
}

TEST(PartitionRatings, ReadsEveryLineOnceWhereverTheCutsFall) {
  const std::string path = TestTempDir() + "/partition_ratings.csv";
  std::ofstream(path) << "userId,movieId,rating,timestamp\n1,10,4.5,99\n\n% note\n2,10,3\r\n"
                         "2,11,1\n-3\t12\t2.5\n";
  for (int parts : {1, 2, 3, 7}) {
    absl::StatusOr<std::vector<core::DataPartition>> cut = core::CutDataPartitions(path, parts);
    ASSERT_TRUE(cut.ok()) << cut.status();
    std::vector<int64_t> users;
    double sum = 0;
    for (const core::DataPartition& part : *cut) {
      absl::StatusOr<PartitionRatings> ratings = ReadPartitionRatings(part);
      ASSERT_TRUE(ratings.ok()) << ratings.status();
      users.insert(users.end(), ratings->users.begin(), ratings->users.end());
      for (double v : ratings->values) sum += v;
    }
    std::sort(users.begin(), users.end());
    EXPECT_EQ(users, (std::vector<int64_t>{-3, 1, 2, 2})) << parts << " parts";
    EXPECT_EQ(sum, 11.0);
  }
}

TEST(PartitionRatings, SharedShardBytesRoundTrip) {
  core::DataPartition train{{{"/data/a b.txt", 0, 10}, {"/data/c", 5, 9}}};
  core::DataPartition test{{{"/data/t", 3, 4}}};
  for (const core::DataPartition& with_test : {test, core::DataPartition{}}) {
    const std::string bytes = EncodeSharedShard(train, with_test);
    ASSERT_TRUE(IsSharedShard(bytes));
    absl::StatusOr<SharedShard> shard = DecodeSharedShard(bytes);
    ASSERT_TRUE(shard.ok()) << shard.status();
    ASSERT_EQ(shard->train.pieces.size(), 2u);
    EXPECT_EQ(shard->train.pieces[1].path, "/data/c");
    EXPECT_EQ(shard->test.pieces.size(), with_test.pieces.size());
  }
  EXPECT_FALSE(DecodeSharedShard("strads-mf-shared-shard v3\n- -\n99\nshort").ok());
  EXPECT_FALSE(DecodeSharedShard("strads-mf-shared-shard v3\n2\n").ok());
  const MatrixMarketShape shape{.rows = 3, .cols = 4, .entries = 5, .data_begin = 60};
  absl::StatusOr<SharedShard> market = DecodeSharedShard(EncodeSharedShard(train, test, shape));
  ASSERT_TRUE(market.ok()) << market.status();
  ASSERT_TRUE(market->train_shape.has_value());
  EXPECT_EQ(market->train_shape->cols, 4);
  EXPECT_EQ(market->train_shape->data_begin, 60);
  EXPECT_FALSE(market->test_shape.has_value());
}

// The row's sums add over any split of its ratings and solve to what RowSolver::Solve gives the
// whole row, its error included.
TEST(NormalEquations, SumsOfPartsSolveLikeTheWholeRow) {
  for (bool biases : {true, false}) {
    const SolveOptions options{.rank = 3,
                               .lambda = 0.3,
                               .reg = Regularization::kWeighted,
                               .bias_lambda = 2.0,
                               .biases = biases,
                               .mu = 3.2};
    std::vector<double> w, h;
    InitFactors(1, 9, 3, 4, &w, &h);
    for (size_t i = 0; i < h.size(); i += 4) h[i + 3] = 0.1 * static_cast<double>(i % 5);
    const std::vector<int32_t> cols = {0, 2, 3, 5, 8, 1};
    const std::vector<double> ratings = {4, 5, 1, 3.5, 2, 4};
    RowSolver whole(options);
    std::vector<double> want(4), got(4);
    const double want_error = whole.Solve(cols, ratings, h.data(), want.data());

    const int64_t dim = biases ? 4 : 3;
    Eigen::MatrixXd gram(dim, dim);
    Eigen::VectorXd feature(dim);
    std::vector<double> a(NormalEquationsSize(dim)), b(a.size());
    NormalEquationsOf(options, std::span(cols).first(2), std::span(ratings).first(2), h.data(),
                      &gram, &feature, a.data());
    NormalEquationsOf(options, std::span(cols).subspan(2), std::span(ratings).subspan(2), h.data(),
                      &gram, &feature, b.data());
    for (size_t e = 0; e < a.size(); ++e) a[e] += b[e];
    RowSolver from_sums(options);
    const double error = from_sums.SolveFromSums(a.data() + 1 + dim, a.data() + 1, a[0],
                                                 static_cast<int64_t>(cols.size()), got.data());
    for (size_t f = 0; f < 4; ++f) EXPECT_NEAR(got[f], want[f], 1e-12) << f;
    EXPECT_NEAR(error, want_error, 1e-10 * want_error);
    if (!biases) EXPECT_EQ(got[3], 0.0);
  }
}

}  // namespace
}  // namespace strads::mf
