#include "apps/mf/mf_model.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_split.h"
#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::mf {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::strads::TestTempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// A rank-2 model, as the CLI writes it: 2 users, 3 items, mu 3, ratings 1-5.
std::string WriteModel(const std::string& prefix_name) {
  const std::string prefix = ::strads::TestTempDir() + "/" + prefix_name;
  std::ofstream(prefix + "-global.txt") << "# strads mf model\n# format: ...\n3 1 5\n";
  std::ofstream(prefix + "-W.txt") << "# comment\nalice 0.5 1 0\nbob -0.5 0 1\n";
  std::ofstream(prefix + "-H.txt") << "dune 0.25 1 1\nalien -1 0 2\nheat 0 3 0\n";
  return prefix;
}

TEST(LoadMfModel, ReadsTheThreeFilesWithTheUsersIds) {
  absl::StatusOr<MfModel> model = LoadMfModel(WriteModel("m1"));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->rank, 2);
  EXPECT_EQ(model->predictor.mu, 3);
  EXPECT_EQ(model->users.names, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(model->items.Find("heat"), 2);
  // Stored as the app stores rows: factors, then the bias.
  EXPECT_EQ(model->user_rows, (std::vector<double>{1, 0, 0.5, 0, 1, -0.5}));
}

TEST(PredictRating, AddsMuBiasesAndFactorsAndHandlesUnknownIds) {
  absl::StatusOr<MfModel> model = LoadMfModel(WriteModel("m2"));
  ASSERT_TRUE(model.ok()) << model.status();
  // 3 + 0.5 + 0.25 + (1 * 1 + 0 * 1)
  EXPECT_DOUBLE_EQ(PredictRating(*model, "alice", "dune").value, 4.75);
  // 3 - 0.5 - 1 + 2 = 3.5
  EXPECT_DOUBLE_EQ(PredictRating(*model, "bob", "alien").value, 3.5);
  // 3 + 0.5 + 0 + 3 = 6.5, clipped to 5
  EXPECT_EQ(PredictRating(*model, "alice", "heat").value, 5.0);
  const Prediction new_user = PredictRating(*model, "zoe", "alien");
  EXPECT_FALSE(new_user.user_known);
  EXPECT_TRUE(new_user.item_known);
  EXPECT_DOUBLE_EQ(new_user.value, 2.0);  // mu + b_alien
  const Prediction new_item = PredictRating(*model, "alice", "brazil");
  EXPECT_FALSE(new_item.item_known);
  EXPECT_DOUBLE_EQ(new_item.value, 3.5);  // mu + b_alice
  EXPECT_EQ(PredictRating(*model, "zoe", "brazil").value, 3.0);
}

TEST(PredictPairs, WritesOneLinePerPairSkipsAHeaderAndCountsUnknowns) {
  absl::StatusOr<MfModel> model = LoadMfModel(WriteModel("m3"));
  ASSERT_TRUE(model.ok());
  const std::string pairs = WriteFile("pairs.csv",
                                      "userId,movieId,rating\r\nalice,dune,4\r\nzoe,alien,1\r\n"
                                      "alice,brazil,2\r\n");
  std::ostringstream out;
  absl::StatusOr<PredictCounts> counts = PredictPairs(*model, pairs, out);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->pairs, 3);
  EXPECT_EQ(counts->unknown_users, 1);
  EXPECT_EQ(counts->unknown_items, 1);
  EXPECT_EQ(out.str(), "alice\tdune\t4.75\nzoe\talien\t2\nalice\tbrazil\t3.5\n");
}

// A two-column pairs file with a header: skipped when the model's ids are numbers (it cannot be
// a pair of them), kept as a pair of unknown ids when the model's ids are words.
TEST(PredictPairs, SkipsATwoColumnHeaderOnlyWhenTheModelsIdsAreNumbers) {
  const std::string prefix = ::strads::TestTempDir() + "/numeric";
  std::ofstream(prefix + "-global.txt") << "3 1 5\n";
  std::ofstream(prefix + "-W.txt") << "7 0.5 1 0\n";
  std::ofstream(prefix + "-H.txt") << "42 0.25 1 1\n";
  absl::StatusOr<MfModel> numeric = LoadMfModel(prefix);
  ASSERT_TRUE(numeric.ok()) << numeric.status();
  const std::string pairs = WriteFile("pairs2.csv", "userId,movieId\n7,42\n");
  std::ostringstream out;
  absl::StatusOr<PredictCounts> counts = PredictPairs(*numeric, pairs, out);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->pairs, 1);
  EXPECT_EQ(counts->unknown_users, 0);
  EXPECT_EQ(out.str(), "7\t42\t4.75\n");

  absl::StatusOr<MfModel> words = LoadMfModel(WriteModel("m5"));
  ASSERT_TRUE(words.ok());
  std::ostringstream kept;
  counts = PredictPairs(*words, WriteFile("pairs3.txt", "zoe brazil\nalice dune\n"), kept);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pairs, 2);
  EXPECT_EQ(counts->unknown_users, 1);
}

TEST(PredictPairs, BadLineIsAnErrorNamingItAndWritesNothing) {
  absl::StatusOr<MfModel> model = LoadMfModel(WriteModel("m6"));
  ASSERT_TRUE(model.ok());
  std::ostringstream out;
  absl::StatusOr<PredictCounts> counts =
      PredictPairs(*model, WriteFile("bad-pairs.txt", "alice dune\nbob alien\nalice\n"), out);
  EXPECT_EQ(counts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(counts.status().message().find("line 3"), std::string::npos) << counts.status();
  EXPECT_EQ(out.str(), "");
  counts = PredictPairs(*model, ::strads::TestTempDir() + "/no-such-pairs.txt", out);
  EXPECT_FALSE(counts.ok());
  EXPECT_NE(counts.status().message().find("no-such-pairs.txt"), std::string::npos);
}

TEST(Recommend, RanksUnseenItemsAndLeavesOutExcludedOnes) {
  absl::StatusOr<MfModel> model = LoadMfModel(WriteModel("m4"));
  ASSERT_TRUE(model.ok());
  // alice: heat 6.5 (shown clipped to 5), dune 4.75, alien 2.5.
  std::vector<Recommendation> top = Recommend(*model, "alice", 2, {});
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].item, "heat");
  EXPECT_EQ(top[0].score, 5.0);
  EXPECT_EQ(top[1].item, "dune");
  EXPECT_DOUBLE_EQ(top[1].score, 4.75);

  const std::string train = WriteFile("train.txt", "alice heat 5\nbob dune 4\nalice nope 1\n");
  absl::StatusOr<absl::flat_hash_set<int32_t>> rated = RatedItems(*model, train, "alice");
  ASSERT_TRUE(rated.ok()) << rated.status();
  EXPECT_EQ(rated->size(), 1u);  // "nope" is not in the model
  top = Recommend(*model, "alice", 10, *rated);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].item, "dune");
  EXPECT_EQ(top[1].item, "alien");
  // An unknown user gets the items by mu + b_i.
  top = Recommend(*model, "zoe", 1, {});
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].item, "dune");
}

TEST(LoadMfModel, BadFilesGetAClearError) {
  absl::Status missing = LoadMfModel(::strads::TestTempDir() + "/nothing").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("nothing-global.txt"), std::string::npos) << missing;

  auto broken = [](const std::string& name, const std::string& global, const std::string& w,
                   const std::string& h) {
    const std::string prefix = ::strads::TestTempDir() + "/" + name;
    std::ofstream(prefix + "-global.txt") << global;
    std::ofstream(prefix + "-W.txt") << w;
    std::ofstream(prefix + "-H.txt") << h;
    return LoadMfModel(prefix).status();
  };
  struct Case {
    std::string name, global, w, h, expect;
  };
  for (const Case& c : {
           Case{"b1", "3 1\n", "a 0 1\n", "x 0 1\n", "b1-global.txt line 1"},
           Case{"b2", "3 1 5\n", "a 0 1\nb 0 1 2\n", "x 0 1\n", "b2-W.txt line 2"},
           Case{"b3", "3 1 5\n", "a 0 1\n", "x 0 1 2\n", "b3-H.txt line 1: has 2 factors"},
           Case{"b4", "3 1 5\n", "a 0 one\n", "x 0 1\n", "'one' is not a finite number"},
           Case{"b5", "3 1 5\n", "a 0 1\na 0 1\n", "x 0 1\n", "repeats"},
           Case{"b6", "3 1 5\n", "", "x 0 1\n", "no users"},
       }) {
    absl::Status status = broken(c.name, c.global, c.w, c.h);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name << ": " << status;
    EXPECT_NE(status.message().find(c.expect), std::string::npos) << c.name << ": " << status;
  }
  absl::StatusOr<MfModel> model = LoadMfModel(WriteModel("m5"));
  ASSERT_TRUE(model.ok());
  std::ostringstream out;
  const std::string one_field = WriteFile("one_field.txt", "alice\n");
  absl::Status status = PredictPairs(*model, one_field, out).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("one_field.txt line 1"), std::string::npos) << status;
  EXPECT_EQ(PredictPairs(*model, one_field + ".missing", out).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace strads::mf
