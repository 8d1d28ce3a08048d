#include "core/log_format.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace strads::core {
namespace {

const absl::Time kTime = absl::FromUnixMillis(1796534401123);  // 2026-12-06T05:20:01.123Z

TEST(JsonLogLine, CarriesTimeLevelMessageAndTheMessagesFields) {
  nlohmann::json line = nlohmann::json::parse(
      JsonLogLine(kTime, "info", "event=checkpoint job=job-1 next_round=7 seconds=1.5"));
  EXPECT_EQ(line["time"], "2026-12-06T05:20:01.123Z");
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["message"], "event=checkpoint job=job-1 next_round=7 seconds=1.5");
  EXPECT_EQ(line["event"], "checkpoint");
  EXPECT_EQ(line["job"], "job-1");
  EXPECT_EQ(line["next_round"], 7);
  EXPECT_TRUE(line["next_round"].is_number_integer());
  EXPECT_EQ(line["seconds"], "1.5");
}

TEST(JsonLogLine, QuotedValuesAndSpecialCharactersSurvive) {
  const std::string message =
      "event=worker_dropped job=job-2 why=\"cannot read 'x \\ y.txt': \"gone\".\ttab\" shards=3; "
      "then more";
  std::string text = JsonLogLine(kTime, "warn", message);
  EXPECT_EQ(text.find('\n'), std::string::npos) << "one line";
  nlohmann::json line = nlohmann::json::parse(text);
  EXPECT_EQ(line["message"], message);
  EXPECT_EQ(line["why"], "cannot read 'x \\ y.txt': \"gone\".\ttab");
  EXPECT_EQ(line["shards"], 3);
  EXPECT_FALSE(line.contains("then"));
}

TEST(JsonLogLine, ReservedNamesAreNotReplacedAndFreeTextIsNoField) {
  nlohmann::json line = nlohmann::json::parse(
      JsonLogLine(kTime, "error", "level=low message=x time=3 plain words =odd a=1 a=2"));
  EXPECT_EQ(line["level"], "error");
  EXPECT_EQ(line["message"], "level=low message=x time=3 plain words =odd a=1 a=2");
  EXPECT_EQ(line["time"], "2026-12-06T05:20:01.123Z");
  EXPECT_EQ(line["a"], 1);
  EXPECT_EQ(line.size(), 4u);
}

TEST(JsonLogLine, InvalidUtf8AndControlCharactersStillParse) {
  nlohmann::json line =
      nlohmann::json::parse(JsonLogLine(kTime, "info", "path=\xff\xfe bell=\x07 newline=a\nb"));
  EXPECT_TRUE(line["message"].is_string());
  EXPECT_TRUE(line.contains("path"));
}

TEST(SetLogFormat, RefusesAnUnknownFormat) {
  EXPECT_TRUE(SetLogFormat("text").ok());
  absl::Status status = SetLogFormat("xml");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("text or json"), std::string::npos);
}

}  // namespace
}  // namespace strads::core
