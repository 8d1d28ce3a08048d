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
  bool SendTask(const std::string&, int64_t, const core::Payload&, const core::Payload&,
                bool) override {
    return true;
  }
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

}  // namespace
}  // namespace strads::scheduler
