#include "client/job_report.h"

#include "gtest/gtest.h"

namespace strads::client {
namespace {

v1::JobStatus WithMetrics(const std::map<std::string, double>& metrics) {
  v1::JobStatus status;
  status.set_job_id("job-1");
  status.set_state(v1::JOB_STATE_SUCCEEDED);
  for (const auto& [name, value] : metrics) (*status.mutable_metrics())[name] = value;
  return status;
}

TEST(SummaryJson, CountsAreIntegersAndOtherValuesKeepEveryDigit) {
  const double objective = 0.1 + 0.2;  // 0.30000000000000004: needs all 17 digits
  nlohmann::json summary = SummaryJson(
      WithMetrics({{"nnz", 17}, {"updates", 123456}, {"converged", 1}, {"objective", objective}}),
      "");
  EXPECT_TRUE(summary["nnz"].is_number_integer());
  EXPECT_EQ(summary["nnz"].get<int64_t>(), 17);
  EXPECT_TRUE(summary["updates"].is_number_integer());
  EXPECT_TRUE(summary["converged"].is_number_integer());
  EXPECT_TRUE(summary["rounds"].is_number_integer());
  EXPECT_EQ(summary.dump().find("17.0"), std::string::npos) << summary.dump();
  ASSERT_TRUE(summary["objective"].is_number_float());
  EXPECT_EQ(nlohmann::json::parse(summary.dump())["objective"].get<double>(), objective);
}

TEST(SummaryJson, ValuesBeyondExactIntegersStayFloats) {
  nlohmann::json summary =
      SummaryJson(WithMetrics({{"huge", 1e300}, {"big", 9007199254740992.0}, {"half", 2.5}}), "");
  EXPECT_TRUE(summary["huge"].is_number_float());
  EXPECT_TRUE(summary["big"].is_number_float());
  EXPECT_TRUE(summary["half"].is_number_float());
}

TEST(JobsTable, ShowsTheNameOrADash) {
  v1::JobStatus named = WithMetrics({});
  named.mutable_spec()->set_name("nightly-lasso");
  v1::JobStatus unnamed = WithMetrics({});
  unnamed.set_job_id("job-2");
  const std::string table = JobsTable({named, unnamed});
  EXPECT_NE(table.find("NAME"), std::string::npos) << table;
  EXPECT_NE(table.find("job-1      nightly-lasso"), std::string::npos) << table;
  EXPECT_NE(table.find("job-2      -"), std::string::npos) << table;
  EXPECT_EQ(SummaryJson(named, "")["name"], "nightly-lasso");
}

TEST(LogLine, StampsTheEventInUtc) {
  v1::JobLogEvent event;
  event.set_unix_ms(1000 * 86400 + 1250);  // 1970-01-02 00:00:01.250
  event.set_text("checkpoint before round 40");
  EXPECT_EQ(LogLine(event), "1970-01-02 00:00:01.250  checkpoint before round 40");
}

}  // namespace
}  // namespace strads::client
