#include "scheduler_service/worker_pool.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace strads::scheduler {
namespace {

class NullLink final : public WorkerLink {
 public:
  bool SendAssign(const std::string&, const core::JobSpec&, std::span<const ShardGrant>,
                  std::span<const int>) override {
    return true;
  }
  bool SendTasks(const std::string&, std::span<const OutgoingTask>) override { return true; }
  bool SendRelease(const std::string&) override { return true; }
  void Disconnect() override {}
};

std::string Connect(WorkerPool& pool, const std::string& name) {
  const std::string id = pool.Register(name);
  EXPECT_TRUE(pool.Attach(id, std::make_shared<NullLink>()).ok());
  return id;
}

// A job that will not take a worker back (it was too late for it) must not see that worker as
// available: counting it made the job re-plan every round and spin while it waited.
TEST(WorkerPool, ExcludedWorkersAreNeitherCountedNorClaimedNorWaitedFor) {
  WorkerPool pool;
  const std::string late = Connect(pool, "late");
  const absl::flat_hash_set<std::string> exclude = {late};
  EXPECT_EQ(pool.IdleCount(), 1);
  EXPECT_EQ(pool.IdleCount(exclude), 0);
  EXPECT_TRUE(pool.ClaimIdle("job-1", 1, exclude).empty());

  const absl::Time start = absl::Now();
  EXPECT_FALSE(pool.AwaitIdle(1, start + absl::Milliseconds(200), nullptr, exclude));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150)) << "AwaitIdle returned without waiting";

  const std::string fresh = Connect(pool, "fresh");
  EXPECT_TRUE(pool.AwaitIdle(1, absl::Now() + absl::Seconds(5), nullptr, exclude));
  EXPECT_EQ(pool.ClaimIdle("job-1", 2, exclude), std::vector<std::string>{fresh});
  EXPECT_EQ(pool.IdleCount(exclude), 0);
  EXPECT_EQ(pool.IdleCount(), 1);
}

// Gang allocation: a job gets every worker it asks for at once or none, and a worker one job
// holds is never handed to another.
TEST(WorkerPool, ClaimAllTakesEveryWorkerOrNone) {
  WorkerPool pool;
  const std::string a = Connect(pool, "a");
  const std::string b = Connect(pool, "b");
  const std::string c = Connect(pool, "c");
  EXPECT_TRUE(pool.ClaimAll("job-1", 4).empty());
  EXPECT_EQ(pool.IdleCount(), 3);
  EXPECT_EQ(pool.ClaimAll("job-1", 2), (std::vector<std::string>{a, b}));
  EXPECT_TRUE(pool.ClaimAll("job-2", 2).empty());
  EXPECT_EQ(pool.ClaimIdle("job-2", 5), (std::vector<std::string>{c}));
  EXPECT_TRUE(pool.ClaimIdle("job-3", 1).empty());
  pool.Release(a, "job-2");  // not its worker: ignored
  EXPECT_EQ(pool.IdleCount(), 0);
  pool.Release(a, "job-1");
  EXPECT_EQ(pool.ClaimAll("job-3", 1), (std::vector<std::string>{a}));
}

// The dispatcher waits on the epoch; each event that can let a job start must move it.
TEST(WorkerPool, ConnectReleaseAndLeaveEachMoveTheChangeEpoch) {
  WorkerPool pool;
  int64_t epoch = pool.ChangeEpoch();
  auto moved = [&] {
    const int64_t now = pool.ChangeEpoch();
    const bool changed = now > epoch;
    epoch = now;
    return changed;
  };
  const std::string a = Connect(pool, "a");
  EXPECT_TRUE(moved());
  ASSERT_EQ(pool.ClaimAll("job-1", 1).size(), 1u);
  pool.Release(a, "job-1");
  EXPECT_TRUE(moved());
  pool.Detach(a);
  EXPECT_TRUE(moved());
  pool.Wake();
  EXPECT_TRUE(moved());
  pool.AwaitChange(epoch - 1, absl::InfiniteFuture());  // returns at once: already past
  EXPECT_FALSE(moved());
}

}  // namespace
}  // namespace strads::scheduler
