#include "scheduler_service/worker_session.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/app.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "scheduler_service/access_policy.h"
#include "scheduler_service/shard_catalogue.h"
#include "scheduler_service/worker_pool.h"
#include "scheduler_service/worker_service_impl.h"

namespace strads::scheduler {
namespace {

using ClientStream = grpc::ClientReaderWriter<v1::WorkerMessage, v1::SchedulerMessage>;

// A real WorkerService on loopback, and worker streams dialled by the test itself, so the test
// plays the worker message by message.
class WorkerSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    service_.AddTo(builder);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    service_.Start();
    stub_ = v1::WorkerService::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                                           grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    pool_.DisconnectAll();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    service_.Stop();
  }

  std::string Register() {
    grpc::ClientContext context;
    v1::RegisterRequest request;
    request.set_name("test-worker");
    v1::RegisterResponse response;
    EXPECT_TRUE(stub_->Register(&context, request, &response).ok());
    return response.worker_id();
  }

  struct Worker {
    std::string id;
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<ClientStream> stream;
  };
  // Opens a session and says Hello with `id` (and whether this worker takes task batches).
  Worker Open(const std::string& id, bool takes_task_batches = false) {
    Worker worker;
    worker.id = id;
    worker.context = std::make_unique<grpc::ClientContext>();
    worker.context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    worker.stream = stub_->Session(worker.context.get());
    v1::WorkerMessage hello;
    hello.mutable_hello()->set_worker_id(id);
    hello.mutable_hello()->set_takes_task_batches(takes_task_batches);
    EXPECT_TRUE(worker.stream->Write(hello));
    return worker;
  }

  // Waits (on the pool's change epoch, no polling) until `count` workers are connected.
  bool AwaitConnected(int count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      const int64_t epoch = pool_.ChangeEpoch();
      if (pool_.ConnectedCount() == count) return true;
      pool_.AwaitChange(epoch, deadline);
    }
    return pool_.ConnectedCount() == count;
  }

  WorkerPool pool_;
  ShardCatalogue catalogue_;
  AccessPolicy access_;
  WorkerServiceImpl service_{&pool_, &catalogue_, &access_};
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  absl::Mutex expect_mu_;
  int64_t expected_[2] ABSL_GUARDED_BY(expect_mu_) = {0, 0};
  std::unique_ptr<v1::WorkerService::Stub> stub_;
};

v1::WorkerMessage PartialMessage(const std::string& job_id, int64_t sequence) {
  v1::WorkerMessage message;
  v1::PartialResult* partial = message.mutable_partial();
  partial->set_job_id(job_id);
  partial->set_sequence(sequence);
  partial->add_values(static_cast<double>(sequence));
  partial->add_values(2.0 * static_cast<double>(sequence));
  partial->set_work_units(sequence);
  return message;
}

// Pipelined rounds: many replies awaited at once, each read reaction delivering one into its
// slot; the engine must find every one, with its own values, in the order it asks.
TEST_F(WorkerSessionTest, DeliversEveryPartialToTheSlotOfItsSequence) {
  Worker worker = Open(Register());
  ASSERT_TRUE(AwaitConnected(1));
  ASSERT_EQ(pool_.ClaimIdle("job-1", 1), std::vector<std::string>{worker.id});
  const std::vector<std::string> ids = {worker.id};
  constexpr int kReplies = 200;
  for (int64_t sequence = 1; sequence <= kReplies; ++sequence) {
    pool_.ExpectAnotherReply(ids, sequence);
  }
  for (int64_t sequence = 1; sequence <= kReplies; ++sequence) {
    ASSERT_TRUE(worker.stream->Write(PartialMessage("job-1", sequence)));
  }
  std::vector<core::Partial> partials(1);
  for (int64_t sequence = 1; sequence <= kReplies; ++sequence) {
    WorkerPool::WaitOutcome outcome = pool_.AwaitPartials("job-1", sequence, ids, partials,
                                                          absl::Now() + absl::Seconds(20), nullptr);
    ASSERT_EQ(outcome.result, WorkerPool::WaitResult::kDone) << "sequence " << sequence;
    ASSERT_EQ(partials[0].values,
              (std::vector<double>{static_cast<double>(sequence), 2.0 * sequence}))
        << "sequence " << sequence;
    EXPECT_EQ(partials[0].work_units, sequence);
  }
}

// Two engines waiting at once on the sessions' queue: one polls it, the other sleeps until the
// poller delivers its replies or lets the queue go; neither misses a reply, however they race.
TEST_F(WorkerSessionTest, TwoJobsWaitingAtOnceEachGetTheirOwnReplies) {
  Worker first = Open(Register());
  Worker second = Open(Register());
  ASSERT_TRUE(AwaitConnected(2));
  const std::vector<std::string> jobs = {"job-1", "job-2"};
  std::vector<std::string> ids(2);
  ids[0] = pool_.ClaimIdle(jobs[0], 1).at(0);
  ids[1] = pool_.ClaimIdle(jobs[1], 1).at(0);
  Worker* workers[2] = {&first, &second};
  if (ids[0] != first.id) std::swap(workers[0], workers[1]);
  constexpr int kReplies = 300;
  std::vector<std::thread> engines;
  std::vector<int> received(2, 0);
  for (int j = 0; j < 2; ++j) {
    engines.emplace_back([&, j] {
      const std::vector<std::string> mine = {ids[j]};
      std::vector<core::Partial> partials(1);
      for (int64_t sequence = 1; sequence <= kReplies; ++sequence) {
        pool_.ExpectReplies(mine, sequence);
        // The reply is sent only once it is expected (a late one would be dropped).
        {
          absl::MutexLock lock(&expect_mu_);
          expected_[j] = sequence;
        }
        WorkerPool::WaitOutcome outcome = pool_.AwaitPartials(
            jobs[j], sequence, mine, partials, absl::Now() + absl::Seconds(30), nullptr);
        if (outcome.result != WorkerPool::WaitResult::kDone) return;
        if (partials[0].values.at(0) == static_cast<double>(sequence)) ++received[j];
      }
    });
  }
  for (int j = 0; j < 2; ++j) {
    engines.emplace_back([&, j] {
      for (int64_t sequence = 1; sequence <= kReplies; ++sequence) {
        {
          absl::MutexLock lock(&expect_mu_);
          auto expected = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(expect_mu_) {
            return expected_[j] >= sequence;
          };
          expect_mu_.Await(absl::Condition(&expected));
        }
        if (!workers[j]->stream->Write(PartialMessage(jobs[j], sequence))) return;
      }
    });
  }
  for (std::thread& thread : engines) thread.join();
  EXPECT_EQ(received, std::vector<int>(2, kReplies));
}

// Consecutive tasks go in one TaskBatch to a worker that takes batches, in their order and each
// with its own apply and push, and the replies of one PartialBatch reach each its own slot; a
// worker that did not say it takes batches (an older build) gets one Task message a task.
TEST_F(WorkerSessionTest, SendsConsecutiveTasksInOneBatchOnlyToAWorkerThatTakesThem) {
  Worker batching = Open(Register(), /*takes_task_batches=*/true);
  Worker older = Open(Register(), /*takes_task_batches=*/false);
  ASSERT_TRUE(AwaitConnected(2));
  core::Payload update{.op = 7, .keys = {1, 2}, .values = {0.5, -0.5}};
  core::Payload pushes[2] = {{.op = 1, .keys = {3}, .values = {}},
                             {.op = 1, .keys = {4, 5}, .values = {}}};
  const OutgoingTask tasks[] = {
      {.sequence = 10, .apply = &update, .push = nullptr, .reply = false},
      {.sequence = 11, .apply = nullptr, .push = &pushes[0], .reply = true},
      {.sequence = 12, .apply = nullptr, .push = &pushes[1], .reply = true}};
  for (Worker* worker : {&batching, &older}) {
    std::shared_ptr<WorkerLink> link = pool_.Link(worker->id);
    ASSERT_NE(link, nullptr);
    ASSERT_TRUE(link->SendTasks("job-1", tasks));
  }

  v1::SchedulerMessage message;
  ASSERT_TRUE(batching.stream->Read(&message));
  ASSERT_EQ(message.kind_case(), v1::SchedulerMessage::kTaskBatch);
  ASSERT_EQ(message.task_batch().tasks_size(), 3);
  for (int k = 0; k < 3; ++k) {
    const v1::Task& task = message.task_batch().tasks(k);
    EXPECT_EQ(task.job_id(), "job-1");
    EXPECT_EQ(task.sequence(), tasks[k].sequence);
    EXPECT_EQ(task.reply(), tasks[k].reply);
  }
  EXPECT_EQ(message.task_batch().tasks(0).apply().keys_size(), 2);
  EXPECT_EQ(message.task_batch().tasks(0).push().keys_size(), 0);
  EXPECT_EQ(message.task_batch().tasks(1).apply().keys_size(), 0);
  EXPECT_EQ(message.task_batch().tasks(2).push().keys(1), 5);

  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(older.stream->Read(&message));
    ASSERT_EQ(message.kind_case(), v1::SchedulerMessage::kTask) << "task " << k;
    EXPECT_EQ(message.task().sequence(), tasks[k].sequence);
    EXPECT_EQ(message.task().reply(), tasks[k].reply);
  }

  ASSERT_EQ(pool_.ClaimIdle("job-1", 1), std::vector<std::string>{batching.id});
  const std::vector<std::string> ids = {batching.id};
  pool_.ExpectReplies(ids, 11);
  pool_.ExpectAnotherReply(ids, 12);
  v1::WorkerMessage replies;
  for (int64_t sequence : {11, 12}) {
    *replies.mutable_partial_batch()->add_partials() = PartialMessage("job-1", sequence).partial();
  }
  ASSERT_TRUE(batching.stream->Write(replies));
  std::vector<core::Partial> partials(1);
  for (int64_t sequence : {11, 12}) {
    WorkerPool::WaitOutcome outcome = pool_.AwaitPartials("job-1", sequence, ids, partials,
                                                          absl::Now() + absl::Seconds(20), nullptr);
    ASSERT_EQ(outcome.result, WorkerPool::WaitResult::kDone) << "sequence " << sequence;
    EXPECT_EQ(partials[0].values,
              (std::vector<double>{static_cast<double>(sequence), 2.0 * sequence}));
  }
}

// gRPC allows one write in flight; sends from several threads at once are queued and
// written each exactly once, each thread's in the order it sent them, and a send does not wait
// for the worker to read.
TEST_F(WorkerSessionTest, QueuesSendsFromManyThreadsAndWritesEachOnceInOrder) {
  Worker worker = Open(Register());
  ASSERT_TRUE(AwaitConnected(1));
  std::shared_ptr<WorkerLink> link = pool_.Link(worker.id);
  ASSERT_NE(link, nullptr);
  constexpr int kThreads = 4;
  constexpr int kTasksPerThread = 200;  // 800 in all: under kMaxQueuedMessages, unread
  core::Payload apply;
  apply.op = 2;
  for (int k = 0; k < 64; ++k) {
    apply.keys.push_back(k);
    apply.values.push_back(0.5 * k);
  }
  core::Payload push;
  push.op = 1;
  push.keys = {1, 2, 3};
  std::vector<std::thread> senders;
  std::vector<int> refused(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kTasksPerThread; ++i) {
        const int64_t sequence = int64_t{t} * 1000000 + i;
        if (!link->SendTask("job-1", sequence, apply, push, /*reply=*/true)) ++refused[t];
      }
    });
  }
  for (std::thread& sender : senders) sender.join();  // the worker has read nothing yet
  EXPECT_EQ(refused, std::vector<int>(kThreads, 0));
  ASSERT_TRUE(link->SendRelease("job-1"));

  std::vector<int64_t> next(kThreads, 0);
  v1::SchedulerMessage message;
  for (int n = 0; n < kThreads * kTasksPerThread; ++n) {
    ASSERT_TRUE(worker.stream->Read(&message)) << "after " << n << " tasks";
    ASSERT_EQ(message.kind_case(), v1::SchedulerMessage::kTask) << "message " << n;
    const int t = static_cast<int>(message.task().sequence() / 1000000);
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    ASSERT_EQ(message.task().sequence() % 1000000, next[t]) << "thread " << t;
    ++next[t];
    ASSERT_EQ(message.task().apply().keys_size(), 64);
    ASSERT_EQ(message.task().apply().values(63), 0.5 * 63);
  }
  ASSERT_TRUE(worker.stream->Read(&message));
  EXPECT_EQ(message.kind_case(), v1::SchedulerMessage::kRelease);
}

// Shutdown with writes queued behind a worker that reads nothing: Disconnect ends the session,
// the pool lets the worker go, later sends are refused (the link outlives the call),
// and the server shuts down without waiting for its deadline.
TEST_F(WorkerSessionTest, DisconnectEndsASessionWithWritesQueued) {
  Worker worker = Open(Register());
  ASSERT_TRUE(AwaitConnected(1));
  ASSERT_EQ(pool_.ClaimIdle("job-1", 1), std::vector<std::string>{worker.id});
  std::shared_ptr<WorkerLink> link = pool_.Link(worker.id);
  ASSERT_NE(link, nullptr);
  core::Payload apply;
  apply.keys.assign(20000, 7);
  apply.values.assign(20000, 1.0);
  for (int i = 0; i < 100; ++i) {  // ~30 MB: far beyond the flow-control window
    ASSERT_TRUE(link->SendTask("job-1", i, apply, core::Payload{}, /*reply=*/true));
  }
  pool_.DisconnectAll();
  v1::SchedulerMessage message;
  while (worker.stream->Read(&message)) {
  }
  const grpc::Status status = worker.stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  // The worker sees the cancellation at once; the pool hears of it from the read reaction.
  ASSERT_TRUE(AwaitConnected(0));
  EXPECT_EQ(pool_.Link(worker.id), nullptr);
  EXPECT_FALSE(link->SendTask("job-1", 1000, apply, core::Payload{}, /*reply=*/true));
  EXPECT_FALSE(link->SendRelease("job-1"));
  link->Disconnect();  // after OnDone: nothing to cancel, and no crash

  const auto start = std::chrono::steady_clock::now();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// A worker that stays connected but never reads: once kMaxQueuedMessages wait unwritten, the next
// send fails and ends the session (the pool lets the worker go), so its messages are not held
// without bound.
TEST_F(WorkerSessionTest, AWorkerThatNeverReadsIsLetGoOnceItsQueueIsFull) {
  Worker worker = Open(Register());
  ASSERT_TRUE(AwaitConnected(1));
  ASSERT_EQ(pool_.ClaimIdle("job-1", 1), std::vector<std::string>{worker.id});
  std::shared_ptr<WorkerLink> link = pool_.Link(worker.id);
  ASSERT_NE(link, nullptr);
  core::Payload apply;
  apply.keys.assign(2000, 7);
  apply.values.assign(2000, 1.0);
  size_t accepted = 0;
  while (accepted < 4 * WorkerSession::kMaxQueuedMessages &&
         link->SendTask("job-1", static_cast<int64_t>(accepted), apply, core::Payload{},
                        /*reply=*/true)) {
    ++accepted;
  }
  // The transport takes some before the queue builds; then the queue's bound ends the session.
  EXPECT_GE(accepted, WorkerSession::kMaxQueuedMessages);
  EXPECT_LT(accepted, 4 * WorkerSession::kMaxQueuedMessages);
  v1::SchedulerMessage message;
  while (worker.stream->Read(&message)) {
  }
  EXPECT_EQ(worker.stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(AwaitConnected(0));
  EXPECT_EQ(pool_.Link(worker.id), nullptr);
}

// A server shut down with a session still open (no Disconnect first) cancels it at the deadline;
// the session finishes and the pool lets the worker go.
TEST_F(WorkerSessionTest, ServerShutdownFinishesAnOpenSession) {
  Worker worker = Open(Register());
  ASSERT_TRUE(AwaitConnected(1));
  const auto start = std::chrono::steady_clock::now();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(pool_.ConnectedCount(), 0);
  v1::SchedulerMessage message;
  EXPECT_FALSE(worker.stream->Read(&message));
  worker.stream->Finish();
}

// A worker that goes away is detached, and one that registers again joins again; its old id is
// gone with it.
TEST_F(WorkerSessionTest, AWorkerThatLeavesIsDetachedAndMayRejoin) {
  Worker first = Open(Register());
  ASSERT_TRUE(AwaitConnected(1));
  first.context->TryCancel();
  ASSERT_TRUE(AwaitConnected(0));
  first.stream->Finish();

  Worker stale = Open(first.id);
  v1::SchedulerMessage message;
  EXPECT_FALSE(stale.stream->Read(&message));
  EXPECT_EQ(stale.stream->Finish().error_code(), grpc::StatusCode::NOT_FOUND);

  Worker again = Open(Register());
  EXPECT_TRUE(AwaitConnected(1));
  ASSERT_NE(pool_.Link(again.id), nullptr);
  EXPECT_TRUE(pool_.Link(again.id)->SendRelease("none"));
  ASSERT_TRUE(again.stream->Read(&message));
  EXPECT_EQ(message.kind_case(), v1::SchedulerMessage::kRelease);
}

TEST_F(WorkerSessionTest, RefusesASessionWithoutHelloOrWithAConnectedId) {
  {
    Worker twice = Open(Register());
    ASSERT_TRUE(AwaitConnected(1));
    Worker duplicate = Open(twice.id);
    v1::SchedulerMessage message;
    EXPECT_FALSE(duplicate.stream->Read(&message));
    EXPECT_EQ(duplicate.stream->Finish().error_code(), grpc::StatusCode::ALREADY_EXISTS);
    EXPECT_EQ(pool_.ConnectedCount(), 1) << "the refused duplicate detached the first session";
    twice.context->TryCancel();
    twice.stream->Finish();
  }
  grpc::ClientContext context;
  std::unique_ptr<ClientStream> stream = stub_->Session(&context);
  ASSERT_TRUE(stream->Write(PartialMessage("job-1", 1)));
  v1::SchedulerMessage message;
  EXPECT_FALSE(stream->Read(&message));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace strads::scheduler
