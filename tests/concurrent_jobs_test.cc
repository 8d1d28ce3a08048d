// Several jobs at once on one scheduler: each runs on workers of its own (gang allocation), a
// small job may start past a big one that waits (and the big one still starts), a cancelled or
// failing job leaves the others alone, and a restart resumes every job that was running.
// Nothing here waits on timing for correctness: the jobs that must overlap never end by
// themselves (tolerance 1e-300, no round limit to speak of) and are cancelled by the test.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/job_client.h"
#include "client/local_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler_service/job_store.h"
#include "scheduler_service/scheduler_server.h"
#include "tests/cluster_test_support.h"
#include "worker_service/worker_runtime.h"

namespace strads {
namespace {

using ::testing::HasSubstr;
using testing::MakeTempDir;
using testing::WaitForState;
using testing::WriteLassoProblem;

// Delay per work unit of the test workers: rounds take a few milliseconds, so a job that runs
// "forever" does not load the machine.
constexpr double kSlowWorker = 2000;

std::string WriteProblem(const std::string& name) {
  const std::string dir = MakeTempDir(name);
  lasso::LassoProblemOptions options;
  options.samples = 300;
  options.features = 120;
  options.density = 0.1;
  options.correlation = 0.5;
  options.seed = 3;
  EXPECT_TRUE(WriteLassoProblem(options, dir + "/train.libsvm").ok());
  return dir + "/train.libsvm";
}

core::JobSpec Spec(const std::string& data_path, int workers, bool endless) {
  core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = data_path;
  spec.workers = workers;
  spec.params = {{"lambda", "0.1"}, {"scheduler", "cyclic"}};
  if (endless) {
    spec.tolerance = 1e-300;
    spec.max_rounds = 1'000'000'000;
  }
  return spec;
}

// The workers each job holds, from the scheduler's worker list.
std::map<std::string, std::set<std::string>> HeldWorkers(client::JobClient& client) {
  std::map<std::string, std::set<std::string>> held;
  absl::StatusOr<std::vector<v1::WorkerInfo>> workers = client.Workers();
  EXPECT_TRUE(workers.ok()) << workers.status();
  if (!workers.ok()) return held;
  for (const v1::WorkerInfo& worker : *workers) {
    if (!worker.job_id().empty()) held[worker.job_id()].insert(worker.worker_id());
  }
  return held;
}

// Waits until every job of `job_ids` is RUNNING at the same moment (one List call).
bool WaitAllRunning(client::JobClient& client, const std::vector<std::string>& job_ids,
                    double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<std::vector<v1::JobStatus>> jobs = client.List();
    if (jobs.ok()) {
      int running = 0;
      for (const v1::JobStatus& job : *jobs) {
        if (job.state() == v1::JOB_STATE_RUNNING &&
            std::find(job_ids.begin(), job_ids.end(), job.job_id()) != job_ids.end()) {
          ++running;
        }
      }
      if (running == static_cast<int>(job_ids.size())) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

absl::StatusOr<v1::JobStatus> WaitEnd(client::JobClient& client, const std::string& job_id) {
  return client.Watch(job_id, 50, [](const v1::JobStatus&) {});
}

using ConcurrentJobsTest = testing::LocalClusterTest;

TEST_F(ConcurrentJobsTest, TwoTwoWorkerJobsRunAtTheSameTimeOnFourWorkers) {
  StartCluster(4, std::vector<double>(4, kSlowWorker));
  const std::string data = WriteProblem("two_at_once");
  absl::StatusOr<std::string> a = client_->Submit(Spec(data, 2, /*endless=*/true));
  absl::StatusOr<std::string> b = client_->Submit(Spec(data, 2, /*endless=*/true));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(WaitAllRunning(*client_, {*a, *b}, 30)) << "the two jobs never ran together";
  // Each on two workers of its own.
  std::map<std::string, std::set<std::string>> held = HeldWorkers(*client_);
  EXPECT_EQ(held[*a].size(), 2u);
  EXPECT_EQ(held[*b].size(), 2u);
  for (const std::string& worker : held[*a]) EXPECT_FALSE(held[*b].contains(worker)) << worker;

  ASSERT_TRUE(client_->Cancel(*a).ok());
  ASSERT_TRUE(client_->Cancel(*b).ok());
  for (const std::string& id : {*a, *b}) {
    absl::StatusOr<v1::JobStatus> done = WaitEnd(*client_, id);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(done->state(), v1::JOB_STATE_CANCELLED) << id;
  }
}

TEST_F(ConcurrentJobsTest, BackfillStartsASmallJobPastABlockedBigOneAndTheBigOneStillStarts) {
  StartCluster(4, std::vector<double>(4, kSlowWorker));
  const std::string data = WriteProblem("backfill");
  absl::StatusOr<std::string> holder = client_->Submit(Spec(data, 2, /*endless=*/true));
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(WaitForState(*client_, *holder, v1::JOB_STATE_RUNNING, 30));
  absl::StatusOr<std::string> big = client_->Submit(Spec(data, 4, /*endless=*/true));
  ASSERT_TRUE(big.ok());
  absl::StatusOr<std::string> small = client_->Submit(Spec(data, 1, /*endless=*/false));
  ASSERT_TRUE(small.ok());

  // The small job runs to the end on an idle worker while the big one waits for four.
  absl::StatusOr<v1::JobStatus> small_done = WaitEnd(*client_, *small);
  ASSERT_TRUE(small_done.ok()) << small_done.status();
  EXPECT_EQ(small_done->state(), v1::JOB_STATE_SUCCEEDED) << small_done->message();
  absl::StatusOr<v1::JobStatus> waiting = client_->Get(*big);
  ASSERT_TRUE(waiting.ok());
  EXPECT_EQ(waiting->state(), v1::JOB_STATE_WAITING_FOR_WORKERS);
  EXPECT_THAT(waiting->message(), HasSubstr("waiting for workers: "));
  EXPECT_THAT(waiting->message(), HasSubstr(" of 4 idle"));

  // When the holder ends, the big job gets all four.
  ASSERT_TRUE(client_->Cancel(*holder).ok());
  ASSERT_TRUE(WaitForState(*client_, *big, v1::JOB_STATE_RUNNING, 30));
  EXPECT_EQ(HeldWorkers(*client_)[*big].size(), 4u);
  ASSERT_TRUE(client_->Cancel(*big).ok());
  absl::StatusOr<v1::JobStatus> big_done = WaitEnd(*client_, *big);
  ASSERT_TRUE(big_done.ok());
  EXPECT_EQ(big_done->state(), v1::JOB_STATE_CANCELLED);
}

TEST_F(ConcurrentJobsTest, HigherPriorityStartsFirst) {
  StartCluster(2, std::vector<double>(2, kSlowWorker));
  const std::string data = WriteProblem("priority");
  absl::StatusOr<std::string> holder = client_->Submit(Spec(data, 2, /*endless=*/true));
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(WaitForState(*client_, *holder, v1::JOB_STATE_RUNNING, 30));
  absl::StatusOr<std::string> low = client_->Submit(Spec(data, 2, /*endless=*/true));
  core::JobSpec urgent = Spec(data, 2, /*endless=*/true);
  urgent.priority = 5;
  absl::StatusOr<std::string> high = client_->Submit(urgent);
  ASSERT_TRUE(low.ok() && high.ok());
  absl::StatusOr<v1::JobStatus> listed = client_->Get(*high);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->spec().priority(), 5);

  ASSERT_TRUE(client_->Cancel(*holder).ok());
  ASSERT_TRUE(WaitForState(*client_, *high, v1::JOB_STATE_RUNNING, 30));
  absl::StatusOr<v1::JobStatus> still = client_->Get(*low);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->state(), v1::JOB_STATE_WAITING_FOR_WORKERS);
  for (const std::string& id : {*high, *low}) ASSERT_TRUE(client_->Cancel(id).ok());
  for (const std::string& id : {*high, *low}) ASSERT_TRUE(WaitEnd(*client_, id).ok());
}

TEST_F(ConcurrentJobsTest, ACancelledJobFreesItsWorkersForTheNext) {
  StartCluster(2, std::vector<double>(2, kSlowWorker));
  const std::string data = WriteProblem("cancel_frees");
  absl::StatusOr<std::string> first = client_->Submit(Spec(data, 2, /*endless=*/true));
  absl::StatusOr<std::string> next = client_->Submit(Spec(data, 2, /*endless=*/false));
  ASSERT_TRUE(first.ok() && next.ok());
  ASSERT_TRUE(WaitForState(*client_, *first, v1::JOB_STATE_RUNNING, 30));
  absl::StatusOr<v1::JobStatus> waiting = client_->Get(*next);
  ASSERT_TRUE(waiting.ok());
  EXPECT_EQ(waiting->state(), v1::JOB_STATE_WAITING_FOR_WORKERS);

  ASSERT_TRUE(client_->Cancel(*first).ok());
  absl::StatusOr<v1::JobStatus> done = WaitEnd(*client_, *next);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED) << done->message();
  absl::StatusOr<v1::JobStatus> cancelled = client_->Get(*first);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state(), v1::JOB_STATE_CANCELLED);
  EXPECT_TRUE(HeldWorkers(*client_).empty());  // every worker back in the pool
}

TEST_F(ConcurrentJobsTest, AFailingJobDoesNotDisturbAnotherRunningOne) {
  StartCluster(3, std::vector<double>(3, kSlowWorker));
  const std::string data = WriteProblem("failing");
  absl::StatusOr<std::string> steady = client_->Submit(Spec(data, 2, /*endless=*/true));
  ASSERT_TRUE(steady.ok());
  ASSERT_TRUE(WaitForState(*client_, *steady, v1::JOB_STATE_RUNNING, 30));
  const std::set<std::string> steady_workers = HeldWorkers(*client_)[*steady];

  // Readable at submission, broken on line 2: the job fails after it took its worker.
  const std::string bad = std::filesystem::path(data).parent_path().string() + "/bad.libsvm";
  {
    std::ofstream out(bad);
    out << "1 1:1\n1 2:x\n";
  }
  absl::StatusOr<std::string> failing = client_->Submit(Spec(bad, 1, /*endless=*/false));
  ASSERT_TRUE(failing.ok()) << failing.status();
  absl::StatusOr<v1::JobStatus> failed = WaitEnd(*client_, *failing);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state(), v1::JOB_STATE_FAILED);
  EXPECT_THAT(failed->message(), HasSubstr("line 2"));

  // The steady job still runs on the same workers and keeps making rounds.
  absl::StatusOr<v1::JobStatus> before = client_->Get(*steady);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(HeldWorkers(*client_)[*steady], steady_workers);
  bool progressed = false;
  for (int i = 0; i < 500 && !progressed; ++i) {
    absl::StatusOr<v1::JobStatus> now = client_->Get(*steady);
    progressed = now.ok() && now->round() > before->round();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(progressed);
  ASSERT_TRUE(client_->Cancel(*steady).ok());
  absl::StatusOr<v1::JobStatus> done = WaitEnd(*client_, *steady);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::JOB_STATE_CANCELLED);
}

// The index (LocalCluster names its workers local-N) of one worker `job_id` holds, or -1.
int WorkerIndexOf(client::JobClient& client, const std::string& job_id) {
  absl::StatusOr<std::vector<v1::WorkerInfo>> workers = client.Workers();
  if (!workers.ok()) return -1;
  for (const v1::WorkerInfo& worker : *workers) {
    if (worker.job_id() == job_id && worker.name().starts_with("local-")) {
      return std::stoi(worker.name().substr(6));
    }
  }
  return -1;
}

// Waits until the job has made `rounds` more rounds than now while running.
bool WaitMoreRounds(client::JobClient& client, const std::string& job_id, int64_t rounds) {
  absl::StatusOr<v1::JobStatus> start = client.Get(job_id);
  if (!start.ok()) return false;
  for (int i = 0; i < 1500; ++i) {
    absl::StatusOr<v1::JobStatus> now = client.Get(job_id);
    if (now.ok() && now->state() == v1::JOB_STATE_RUNNING &&
        now->round() >= start->round() + rounds) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST_F(ConcurrentJobsTest, AJobThatLosesAWorkerTakesAnIdleOneNeverOneAnotherJobHolds) {
  StartCluster(4, std::vector<double>(4, kSlowWorker));
  const std::string data = WriteProblem("lost_worker");
  absl::StatusOr<std::string> big = client_->Submit(Spec(data, 2, /*endless=*/true));
  absl::StatusOr<std::string> small = client_->Submit(Spec(data, 1, /*endless=*/true));
  ASSERT_TRUE(big.ok() && small.ok());
  ASSERT_TRUE(WaitAllRunning(*client_, {*big, *small}, 30));
  std::map<std::string, std::set<std::string>> held = HeldWorkers(*client_);
  ASSERT_EQ(held[*big].size(), 2u);
  const std::set<std::string> small_workers = held[*small];
  ASSERT_EQ(small_workers.size(), 1u);

  // One idle worker left: the big job takes it when it loses one of its own.
  const int lost = WorkerIndexOf(*client_, *big);
  ASSERT_GE(lost, 0);
  cluster_->StopWorker(lost);
  bool replaced = false;
  for (int i = 0; i < 1500 && !replaced; ++i) {
    held = HeldWorkers(*client_);
    replaced = held[*big].size() == 2;
    if (!replaced) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(replaced) << "the big job never took the idle worker";
  EXPECT_EQ(held[*small], small_workers);
  EXPECT_TRUE(WaitMoreRounds(*client_, *big, 5));

  // None idle now: losing another, the big job goes on without taking the small job's worker.
  const int lost_again = WorkerIndexOf(*client_, *big);
  ASSERT_GE(lost_again, 0);
  cluster_->StopWorker(lost_again);
  EXPECT_TRUE(WaitMoreRounds(*client_, *big, 5)) << "the big job stopped making rounds";
  EXPECT_TRUE(WaitMoreRounds(*client_, *small, 5)) << "the small job was disturbed";
  held = HeldWorkers(*client_);
  EXPECT_EQ(held[*small], small_workers);
  EXPECT_EQ(held[*big].size(), 1u);

  for (const std::string& id : {*big, *small}) {
    ASSERT_TRUE(client_->Cancel(id).ok());
    absl::StatusOr<v1::JobStatus> done = WaitEnd(*client_, id);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(done->state(), v1::JOB_STATE_CANCELLED) << id;
  }
}

// Both jobs running when the scheduler stops are checkpointed, and the next scheduler on the
// same data directory resumes each from its checkpoint (not from round 0).
TEST(ConcurrentJobsRestart, ARestartResumesEveryRunningJobFromItsCheckpoint) {
  const std::string data = WriteProblem("restart_two");
  const std::string data_dir = MakeTempDir("restart_two_data");
  std::unique_ptr<scheduler::SchedulerServer> first = testing::StartScheduler(
      "127.0.0.1:0", data_dir, /*checkpoint_interval=*/absl::Milliseconds(200));
  const std::string address = first->address();
  std::vector<std::unique_ptr<worker::WorkerRuntime>> workers;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    worker::WorkerOptions options;
    options.scheduler_address = address;
    options.reconnect = true;
    options.reconnect_delay = absl::Milliseconds(50);
    options.test_delay_ns_per_unit = kSlowWorker;
    workers.push_back(std::make_unique<worker::WorkerRuntime>(options));
    threads.emplace_back([runtime = workers.back().get()] { runtime->Run().IgnoreError(); });
  }
  std::vector<std::string> ids;
  {
    client::JobClient client(address);
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<std::string> id = client.Submit(Spec(data, 2, /*endless=*/true));
      ASSERT_TRUE(id.ok()) << id.status();
      ids.push_back(*id);
    }
    ASSERT_TRUE(WaitAllRunning(client, ids, 30));
    for (const std::string& id : ids) {
      for (int i = 0; i < 500; ++i) {
        absl::StatusOr<v1::JobStatus> status = client.Get(id);
        if (status.ok() && status->round() >= 20) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  first->Shutdown();
  first.reset();

  std::map<std::string, int64_t> checkpointed;
  scheduler::JobStore store(data_dir);
  for (const std::string& id : ids) {
    absl::StatusOr<std::optional<scheduler::StoredCheckpoint>> checkpoint =
        store.LoadCheckpoint(id);
    ASSERT_TRUE(checkpoint.ok() && checkpoint->has_value()) << id << " has no checkpoint";
    checkpointed[id] = (*checkpoint)->next_round;
    EXPECT_GE(checkpointed[id], 20) << id;
  }

  std::unique_ptr<scheduler::SchedulerServer> second = testing::StartScheduler(address, data_dir);
  client::JobClient client(address);
  ASSERT_TRUE(WaitAllRunning(client, ids, 30));
  // Every round either job reports after the restart is past its checkpoint; a job started
  // over would report round 1 first.
  std::map<std::string, int64_t> first_round_seen;
  for (int i = 0; i < 1000 && first_round_seen.size() < ids.size(); ++i) {
    for (const std::string& id : ids) {
      absl::StatusOr<v1::JobStatus> status = client.Get(id);
      if (status.ok() && status->round() > 0 && !first_round_seen.contains(id)) {
        first_round_seen[id] = status->round();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (const std::string& id : ids) {
    ASSERT_TRUE(first_round_seen.contains(id)) << id << " made no round after the restart";
    EXPECT_GT(first_round_seen[id], checkpointed[id]) << id;
    ASSERT_TRUE(client.Cancel(id).ok());
    absl::StatusOr<v1::JobStatus> done = WaitEnd(client, id);
    ASSERT_TRUE(done.ok());
    EXPECT_EQ(done->state(), v1::JOB_STATE_CANCELLED);
  }
  for (auto& runtime : workers) runtime->Stop();
  for (std::thread& thread : threads) thread.join();
  second->Shutdown();
}

}  // namespace
}  // namespace strads
