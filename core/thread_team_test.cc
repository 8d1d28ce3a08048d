#include "core/thread_team.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace strads::core {
namespace {

TEST(ThreadTeam, RunsEveryMemberOnceAndWaitsForAll) {
  for (int size : {1, 2, 3, 8}) {
    ThreadTeam team(size);
    ASSERT_EQ(team.size(), size);
    for (int round = 0; round < 200; ++round) {
      std::vector<int> calls(static_cast<size_t>(size), 0);
      team.Run([&](int member) { ++calls[static_cast<size_t>(member)]; });
      // Run returned: every member has run (and no member twice), or the counts would differ.
      for (int member = 0; member < size; ++member) {
        ASSERT_EQ(calls[static_cast<size_t>(member)], 1)
            << "size " << size << " round " << round << " member " << member;
      }
    }
  }
}

TEST(ThreadTeam, MembersRunOnDistinctThreadsWithMemberZeroTheCaller) {
  ThreadTeam team(3);
  absl::Mutex mu;
  std::set<std::thread::id> ids;
  std::thread::id member_zero;
  team.Run([&](int member) {
    absl::MutexLock lock(&mu);
    ids.insert(std::this_thread::get_id());
    if (member == 0) member_zero = std::this_thread::get_id();
  });
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(member_zero, std::this_thread::get_id());
}

TEST(ThreadTeam, SizeBelowOneIsOne) {
  ThreadTeam team(0);
  EXPECT_EQ(team.size(), 1);
  int calls = 0;
  team.Run([&](int) { ++calls; });
  EXPECT_EQ(calls, 1);
}

TEST(EvenPart, CoversTheRangeInOrderWithSizesWithinOne) {
  for (int64_t count : {0, 1, 5, 7, 100}) {
    for (int parts : {1, 2, 3, 8}) {
      int64_t next = 0;
      for (int part = 0; part < parts; ++part) {
        const IndexRange range = EvenPart(count, parts, part);
        EXPECT_EQ(range.begin, next);
        const int64_t size = range.end - range.begin;
        EXPECT_TRUE(size == count / parts || size == count / parts + 1);
        next = range.end;
      }
      EXPECT_EQ(next, count) << count << " in " << parts;
    }
  }
}

}  // namespace
}  // namespace strads::core
