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

}  // namespace
}  // namespace strads::client
