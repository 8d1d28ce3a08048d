#include "core/params.h"

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace {

using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(ParamReader, AbsentNamesGiveDefaults) {
  const std::map<std::string, std::string> params;
  ParamReader r(params);
  EXPECT_EQ(*r.Double("lambda", 0.5, 0, kInf), 0.5);
  EXPECT_EQ(*r.Int("batch", 64, 1, kMaxInt), 64);
  EXPECT_EQ(*r.Bool("standardize", true), true);
  EXPECT_EQ(*r.Choice("scheduler", "dynamic", {"dynamic", "random"}), "dynamic");
  EXPECT_EQ(*r.String("model_out", "m.txt"), "m.txt");
  EXPECT_TRUE(r.CheckAllUsed().ok());
}

TEST(ParamReader, ParsesPresentValues) {
  const std::map<std::string, std::string> params = {
      {"lambda", " 1e-3 "},    {"batch", "+128"},        {"standardize", "No"},
      {"scheduler", "cyclic"}, {"model_out", "out.txt"}, {"rho", "1"}};
  ParamReader r(params);
  EXPECT_EQ(*r.Double("lambda", 0.5, 0, kInf), 1e-3);
  EXPECT_EQ(*r.Double("rho", 0.1, 0, 1), 1.0);
  EXPECT_EQ(*r.Int("batch", 64, 1, kMaxInt), 128);
  EXPECT_EQ(*r.Bool("standardize", true), false);
  EXPECT_EQ(*r.Choice("scheduler", "dynamic", {"dynamic", "cyclic"}), "cyclic");
  EXPECT_EQ(*r.String("model_out", "m.txt"), "out.txt");
  EXPECT_TRUE(r.CheckAllUsed().ok());
}

TEST(ParamReader, BoolAcceptsCommonSpellings) {
  for (const auto& [text, value] : std::map<std::string, bool>{{"true", true},
                                                               {"1", true},
                                                               {"yes", true},
                                                               {"TRUE", true},
                                                               {"false", false},
                                                               {"0", false},
                                                               {"no", false}}) {
    const std::map<std::string, std::string> params = {{"flag", text}};
    ParamReader r(params);
    auto v = r.Bool("flag", !value);
    ASSERT_TRUE(v.ok()) << text;
    EXPECT_EQ(*v, value) << text;
  }
  const std::map<std::string, std::string> bad = {{"flag", "maybe"}};
  ParamReader r(bad);
  auto v = r.Bool("flag", true);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(Message(v.status()), HasSubstr("flag must be true or false"));
  EXPECT_THAT(Message(v.status()), HasSubstr("got 'maybe'"));
}

TEST(ParamReader, OutOfRangeValuesNameTheParameterAndBound) {
  const std::map<std::string, std::string> params = {
      {"lambda", "-1"}, {"rho", "1.5"}, {"batch", "0"}, {"tol", "inf"}, {"workers", "99"}};
  ParamReader r(params);
  auto lambda = r.Double("lambda", 0.1, 0, kInf);
  EXPECT_EQ(lambda.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(lambda.status()), "lambda must be >= 0, got -1");
  EXPECT_EQ(Message(r.Double("rho", 0.1, 0, 1).status()), "rho must be in [0, 1], got 1.5");
  EXPECT_EQ(Message(r.Int("batch", 1, 1, kMaxInt).status()), "batch must be >= 1, got 0");
  EXPECT_EQ(Message(r.Double("tol", 1, 0, 1e9).status()), "tol must be in [0, 1e+09], got inf");
  EXPECT_EQ(Message(r.Int("workers", 1, std::numeric_limits<int64_t>::min(), 64).status()),
            "workers must be <= 64, got 99");
}

TEST(ParamReader, BadNumbersAreRefused) {
  const std::map<std::string, std::string> params = {
      {"batch", "1.5"}, {"lambda", "abc"}, {"eta", "nan"}, {"big", "99999999999999999999"},
      {"empty", ""},    {"trail", "3x"}};
  ParamReader r(params);
  EXPECT_EQ(Message(r.Int("batch", 1, 1, kMaxInt).status()), "batch must be an integer, got '1.5'");
  EXPECT_EQ(Message(r.Double("lambda", 1, 0, kInf).status()), "lambda must be a number, got 'abc'");
  EXPECT_EQ(Message(r.Double("eta", 1, 0, kInf).status()), "eta must be a number, got 'nan'");
  EXPECT_EQ(r.Int("big", 1, 1, kMaxInt).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(r.Double("empty", 1, 0, kInf).status()), "empty must be a number, got ''");
  EXPECT_EQ(Message(r.Int("trail", 1, 0, 10).status()), "trail must be an integer, got '3x'");
}

TEST(ParamReader, ChoiceOutsideTheListIsRefused) {
  const std::map<std::string, std::string> params = {{"scheduler", "foo"}};
  ParamReader r(params);
  auto v = r.Choice("scheduler", "dynamic", {"dynamic", "random", "static", "cyclic"});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(Message(v.status()),
            "scheduler must be one of dynamic|random|static|cyclic, got 'foo'");
}

TEST(ParamReader, CheckAllUsedNamesEveryUnknownParameter) {
  const std::map<std::string, std::string> params = {
      {"lamda", "1"}, {"lambda", "1"}, {"btach", "3"}};
  ParamReader r(params);
  ASSERT_TRUE(r.Double("lambda", 0.1, 0, kInf).ok());
  const absl::Status s = r.CheckAllUsed();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(s), "unknown parameter(s): 'btach', 'lamda'");
  ASSERT_TRUE(r.Int("btach", 1, 1, 10).ok());
  EXPECT_EQ(Message(r.CheckAllUsed()), "unknown parameter(s): 'lamda'");
}

TEST(ParamReader, ReadingAnAbsentNameStillCountsAsKnown) {
  const std::map<std::string, std::string> params = {{"x", "1"}};
  ParamReader r(params);
  ASSERT_TRUE(r.Int("y", 1, 0, 10).ok());
  EXPECT_EQ(Message(r.CheckAllUsed()), "unknown parameter(s): 'x'");
}

}  // namespace
}  // namespace strads::core
