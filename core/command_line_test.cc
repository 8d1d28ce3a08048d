#include "core/command_line.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace {

using ::testing::HasSubstr;

// Parses `args` (after the program name) with a --tol >= 0 and a --count >= 1 flag; returns
// ParseCommandLine's answer and what it printed to stderr.
std::pair<std::optional<int>, std::string> Parse(std::vector<std::string> args) {
  CLI::App cli{"test"};
  double tol = 0;
  int64_t count = 1;
  cli.add_option("--tol", tol, "tolerance")->check(AtLeast(0.0));
  cli.add_option("--count", count, "count")->check(AtLeast<int64_t>(1));
  CLI::App* sub = cli.add_subcommand("sub", "a subcommand");
  sub->add_option("--workers", count, "workers")->check(Between(1, 4096));
  args.insert(args.begin(), "prog");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  ::testing::internal::CaptureStderr();
  ::testing::internal::CaptureStdout();
  std::optional<int> stop =
      ParseCommandLine(cli, static_cast<int>(argv.size()), argv.data(), "prog");
  ::testing::internal::GetCapturedStdout();
  return {stop, ::testing::internal::GetCapturedStderr()};
}

TEST(ParseCommandLine, ABadValueIsOneLineNamingFlagAndBoundWithExitCodeTwo) {
  auto [stop, err] = Parse({"--tol", "-1"});
  EXPECT_EQ(stop, 2);
  EXPECT_EQ(err, "prog: --tol must be >= 0, got -1 (see: prog --help)\n");
}

TEST(ParseCommandLine, AnUnsignedFlagTakesItsWholeRange) {
  CLI::App cli{"test"};
  uint64_t seed = 1;
  cli.add_option("--seed", seed, "seed")->check(AtLeast<uint64_t>(0));
  std::string prog = "prog", flag = "--seed", value = "18446744073709551615";
  char* argv[] = {prog.data(), flag.data(), value.data()};
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(ParseCommandLine(cli, 3, argv, "prog"), std::nullopt);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(seed, 18446744073709551615u);
}

TEST(ParseCommandLine, EveryParseErrorExitsTwo) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"--bogus"},
                                             {"--count", "1.5"},
                                             {"--count", "0"},
                                             {"--tol", "abc"},
                                             {"--tol"},
                                             {"sub", "--workers", "0"},
                                             {"sub", "--workers", "5000"}}) {
    auto [stop, err] = Parse(args);
    EXPECT_EQ(stop, 2) << args[0];
    EXPECT_THAT(err, HasSubstr("prog: ")) << args[0];
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
}

TEST(ParseCommandLine, MessagesSayWhatIsRequired) {
  EXPECT_THAT(Parse({"--count", "1.5"}).second, HasSubstr("--count must be an integer, got '1.5'"));
  EXPECT_THAT(Parse({"--count", "0"}).second, HasSubstr("--count must be >= 1, got 0"));
  EXPECT_THAT(Parse({"sub", "--workers", "0"}).second,
              HasSubstr("--workers must be between 1 and 4096, got 0 (see: prog sub --help)"));
  EXPECT_THAT(Parse({"--bogus"}).second, HasSubstr("prog: the following argument"));
}

TEST(ParseCommandLine, HelpExitsZeroAndAGoodLineGoesOn) {
  EXPECT_EQ(Parse({"--help"}).first, 0);
  auto [stop, err] = Parse({"--tol", "0", "--count", "3"});
  EXPECT_EQ(stop, std::nullopt);
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace strads::core
