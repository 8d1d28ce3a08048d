#include "worker_service/thread_count.h"

#include "gtest/gtest.h"

namespace strads::worker {
namespace {

TEST(ParseThreadCount, AutoIsTheAvailableCores) {
  EXPECT_EQ(*ParseThreadCount("auto", 6), 6);
  EXPECT_EQ(*ParseThreadCount("auto", 0), 1);
}

TEST(ParseThreadCount, AcceptsCountsFromOneToTheMaximum) {
  EXPECT_EQ(*ParseThreadCount("1", 6), 1);
  EXPECT_EQ(*ParseThreadCount("16", 6), 16);  // more than the cores is allowed (oversubscribed)
  EXPECT_EQ(*ParseThreadCount("1024", 6), kMaxWorkerThreads);
}

TEST(ParseThreadCount, RefusesAnythingElseNamingTheFlag) {
  for (const char* bad : {"0", "-2", "1025", "two", "", "2.5", "4x"}) {
    absl::StatusOr<int> threads = ParseThreadCount(bad, 6);
    ASSERT_FALSE(threads.ok()) << bad;
    EXPECT_EQ(threads.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(threads.status().message().find("--threads"), std::string::npos);
  }
}

}  // namespace
}  // namespace strads::worker
