#include "scheduler_service/job_event_log.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

std::string LogPath(const std::string& name) {
  std::string path = (std::filesystem::path(TestTempDir()) / name).string();
  std::filesystem::remove(path);
  return path;
}

int CountLines(const std::string& path) {
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

TEST(JobEventLog, NumbersEventsInOrderAndReturnsThoseAfterANumber) {
  JobEventLog log("");
  log.Append("placed");
  log.Append("two\nlines");
  log.Append("done");
  std::vector<JobEvent> all = log.Since(0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].number, 1);
  EXPECT_EQ(all[1].text, "two lines");
  EXPECT_EQ(all[2].number, 3);
  std::vector<JobEvent> later = log.Since(2);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].text, "done");
}

TEST(JobEventLog, SurvivesARestartThroughItsFile) {
  const std::string path = LogPath("restart.log");
  {
    JobEventLog log(path);
    log.Append("submitted");
    log.Append("checkpoint at round 5");
  }
  JobEventLog reloaded(path);
  reloaded.Load();
  reloaded.Append("resumed");
  std::vector<JobEvent> all = reloaded.Since(0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].text, "checkpoint at round 5");
  EXPECT_EQ(all[2].number, 3);  // numbering goes on where the old log stopped
}

TEST(JobEventLog, KeepsTheNewestLinesInMemoryAndOnDisk) {
  const std::string path = LogPath("bounded.log");
  JobEventLog log(path, /*max_lines=*/10);
  for (int i = 1; i <= 95; ++i) log.Append("event " + std::to_string(i));
  std::vector<JobEvent> kept = log.Since(0);
  ASSERT_EQ(kept.size(), 10u);
  EXPECT_EQ(kept.front().number, 86);
  EXPECT_EQ(kept.back().text, "event 95");
  EXPECT_EQ(log.dropped(), 85);
  EXPECT_LE(CountLines(path), 20);
  JobEventLog reloaded(path, 10);
  reloaded.Load();
  EXPECT_EQ(reloaded.Since(0).back().number, 95);
  EXPECT_EQ(reloaded.Since(0).size(), 10u);
}

TEST(JobEventLog, SkipsUnreadableLinesOfItsFile) {
  const std::string path = LogPath("garbled.log");
  std::ofstream(path) << "1 1000 good\nnot a line\n2 x bad\n3 3000 also good\n";
  JobEventLog log(path);
  log.Load();
  std::vector<JobEvent> all = log.Since(0);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].text, "also good");
}

TEST(JobEventLog, AFollowerWakesOnAnEventAndOnClose) {
  JobEventLog log("");
  std::thread writer([&] { log.Append("first"); });
  log.AwaitAfter(0, absl::InfiniteFuture());  // returns only once "first" is there
  writer.join();
  EXPECT_EQ(log.Since(0).size(), 1u);
  std::thread closer([&] { log.Close(); });
  log.AwaitAfter(1, absl::InfiniteFuture());  // returns only once closed
  closer.join();
  EXPECT_TRUE(log.closed());
}

TEST(JobEventLog, AClosedLogKeepsNothingInMemoryAndReadsItsFile) {
  const std::string path = LogPath("closed.log");
  JobEventLog log(path, /*max_lines=*/10);
  for (int i = 1; i <= 25; ++i) log.Append("event " + std::to_string(i));
  EXPECT_EQ(log.events_in_memory(), 10);
  log.Close();
  EXPECT_EQ(log.events_in_memory(), 0);
  std::vector<JobEvent> kept = log.Since(0);
  ASSERT_EQ(kept.size(), 10u);
  EXPECT_EQ(kept.front().number, 16);
  EXPECT_EQ(kept.back().text, "event 25");
  EXPECT_EQ(log.Since(24).size(), 1u);
  EXPECT_EQ(log.dropped(), 15);
  // A late event still lands, numbered on, and memory stays empty.
  log.Append("late");
  EXPECT_EQ(log.events_in_memory(), 0);
  ASSERT_EQ(log.Since(25).size(), 1u);
  EXPECT_EQ(log.Since(25)[0].number, 26);
  EXPECT_EQ(log.Since(0).size(), 10u);
}

TEST(JobEventLog, ALogWithoutAFileKeepsItsEventsWhenClosed) {
  JobEventLog log("");
  log.Append("only in memory");
  log.Close();
  EXPECT_EQ(log.events_in_memory(), 1);
  EXPECT_EQ(log.Since(0).size(), 1u);
}

TEST(PlacementEvent, SaysWhichWorkerHoldsWhichShards) {
  EXPECT_EQ(PlacementEvent({"w1", "w2"}, {{0, 2}, {1}}), "shards placed: w1 holds 0 2, w2 holds 1");
}

}  // namespace
}  // namespace strads::scheduler
