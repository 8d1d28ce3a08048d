#include "scheduler_service/worker_pool.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
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

// A transport read by whoever polls it: PollOnce delivers the next queued partial, if any, and
// records the thread that polled. The right to poll can be held by "another thread" (taken).
class FakePump final : public MessagePump {
 public:
  FakePump(WorkerPool* pool, std::string worker, std::string job)
      : pool_(pool), worker_(std::move(worker)), job_(std::move(job)) {}
  bool TryAcquire() override {
    absl::MutexLock lock(&mu_);
    if (held_) return false;
    held_ = true;
    return true;
  }
  void PollOnce(absl::Time) override {
    int64_t sequence = 0;
    {
      absl::MutexLock lock(&mu_);
      polled_by_.push_back(std::this_thread::get_id());
      if (queued_.empty()) return;
      sequence = queued_.front();
      queued_.erase(queued_.begin());
    }
    const double value = static_cast<double>(sequence);
    pool_->OnPartial(worker_, job_, sequence, std::span<const double>(&value, 1), 0, 1);
  }
  void Release() override {
    absl::MutexLock lock(&mu_);
    held_ = false;
  }
  void Kick() override {
    absl::MutexLock lock(&mu_);
    ++kicks_;
  }
  void Queue(int64_t sequence) {
    absl::MutexLock lock(&mu_);
    queued_.push_back(sequence);
  }
  void Take() {
    absl::MutexLock lock(&mu_);
    held_ = true;
  }
  int kicks() {
    absl::MutexLock lock(&mu_);
    return kicks_;
  }
  std::vector<std::thread::id> polled_by() {
    absl::MutexLock lock(&mu_);
    return polled_by_;
  }

 private:
  WorkerPool* pool_;
  std::string worker_;
  std::string job_;
  absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<int64_t> queued_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread::id> polled_by_ ABSL_GUARDED_BY(mu_);
  int kicks_ ABSL_GUARDED_BY(mu_) = 0;
};

// One worker claimed by job-1, and a pump that delivers its partials.
class WorkerPoolWithPump : public ::testing::Test {
 protected:
  WorkerPoolWithPump() {
    EXPECT_EQ(pool.ClaimAll("job-1", 1).size(), 1u);
    pool.SetPump(&pump);
  }
  ~WorkerPoolWithPump() override { pool.SetPump(nullptr); }

  WorkerPool pool;
  const std::string id = Connect(pool, "a");
  const std::vector<std::string> ids = {id};
  FakePump pump{&pool, id, "job-1"};
};

// With a pump, the thread that waits for a partial reads it itself (no other thread involved),
// and one that finds the pump taken sleeps until it is released, then polls.
TEST_F(WorkerPoolWithPump, AWaitPollsThePumpItselfOrSleepsUntilItIsReleased) {
  std::vector<core::Partial> partials(1);

  pool.ExpectReplies(ids, 1);
  pump.Queue(1);
  WorkerPool::WaitOutcome outcome =
      pool.AwaitPartials("job-1", 1, ids, partials, absl::Now() + absl::Seconds(30), nullptr);
  ASSERT_EQ(outcome.result, WorkerPool::WaitResult::kDone);
  EXPECT_EQ(partials[0].values, std::vector<double>{1.0});
  ASSERT_FALSE(pump.polled_by().empty());
  for (std::thread::id thread : pump.polled_by()) EXPECT_EQ(thread, std::this_thread::get_id());

  // Taken by another thread: the wait must not poll, and must poll once the pump is released.
  pool.ExpectReplies(ids, 2);
  pump.Queue(2);
  pump.Take();
  const size_t polls_before = pump.polled_by().size();
  std::atomic<bool> done = false;
  std::thread waiter([&] {
    std::vector<core::Partial> mine(1);
    WorkerPool::WaitOutcome result =
        pool.AwaitPartials("job-1", 2, ids, mine, absl::Now() + absl::Seconds(30), nullptr);
    EXPECT_EQ(result.result, WorkerPool::WaitResult::kDone);
    EXPECT_EQ(mine[0].values, std::vector<double>{2.0});
    done = true;
  });
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(done.load()) << "the wait returned without its partial";
  EXPECT_EQ(pump.polled_by().size(), polls_before) << "polled a pump another thread holds";
  pump.Release();
  pool.PumpReleased();
  waiter.join();
  EXPECT_TRUE(done.load());
}

// A wait that polls a pump with nothing to deliver still sees its interrupt flag (set, as the job
// manager does, with a Wake, which kicks the pump).
TEST_F(WorkerPoolWithPump, APollingWaitSeesItsInterrupt) {
  pool.ExpectReplies(ids, 1);
  std::atomic<bool> interrupt = false;
  std::thread interrupter([&] {
    absl::SleepFor(absl::Milliseconds(30));
    interrupt = true;
    pool.Wake();
  });
  std::vector<core::Partial> partials(1);
  WorkerPool::WaitOutcome outcome =
      pool.AwaitPartials("job-1", 1, ids, partials, absl::Now() + absl::Seconds(30), &interrupt);
  interrupter.join();
  EXPECT_EQ(outcome.result, WorkerPool::WaitResult::kInterrupted);
  EXPECT_EQ(pump.kicks(), 1) << "Wake must kick a poll, which has no short slices";
}

}  // namespace
}  // namespace strads::scheduler
