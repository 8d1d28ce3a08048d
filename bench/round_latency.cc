// bench/round_latency: how close a real round is to the transport's floor, and what pipelining
// buys. In one run, on loopback, with the project's own protos (strads.v1.WorkerService):
//   1. a bare gRPC ping-pong with the message shapes of a round: this process serves
//      WorkerService.Session like the scheduler, and 1 or 2 copies of itself, fork/exec'd as
//      separate processes, dial it like workers do (the deployment's direction); each round sends
//      every worker a Task with U keys to push and a cache update of U keys and values, and waits
//      for every worker's PartialResult of U values. Nothing is computed.
//      Beside it, informative: the same with the callback API, and with the async API polled by
//      the waiting thread (what the scheduler's Session adapter uses).
//   2. real Lasso rounds of the same U: this process runs the scheduler's own pieces (WorkerPool,
//      WorkerServiceImpl, ShardCatalogue, RoundEngine, the Lasso scheduler app), and 2 copies of
//      itself run the real worker runtime (worker::WorkerRuntime, one thread); the problem is tiny
//      so the compute is negligible; pipeline depth 1, 2, 4, 8. A round's time is the time
//      between two consecutive Pulls (at depth 1: its round trip plus the scheduler's work).
// Prints medians and p99s per round, context switches per round (voluntary + involuntary, this
// process and the workers'), then exactly two lines last:
//   ratio_to_pingpong <median real round at depth 1 / median bare 2-worker ping-pong>
//   pipelined_speedup <rounds per second at depth 4 / rounds per second at depth 1>
// Not a test: figures depend on the machine and its load (docs/benchmarks.md).
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "apps/lasso/generator.h"
#include "apps/lasso/lasso_math.h"
#include "apps/lasso/lasso_scheduler_app.h"
#include "core/labeled_data.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "scheduler_service/access_policy.h"
#include "scheduler_service/round_engine.h"
#include "scheduler_service/shard_catalogue.h"
#include "scheduler_service/worker_pool.h"
#include "scheduler_service/worker_service_impl.h"
#include "spdlog/spdlog.h"
#include "strads/v1/strads.grpc.pb.h"
#include "worker_service/worker_runtime.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = strads::v1;

// ---- processes -------------------------------------------------------------------------------

// Starts a copy of this program with `args`; returns its pid.
pid_t SpawnSelf(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string self = "/proc/self/exe";
    argv.push_back(self.data());
    std::vector<std::string> copies = args;
    for (std::string& arg : copies) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  return pid;
}

void StopChildren(std::vector<pid_t>* children) {
  for (pid_t pid : *children) kill(pid, SIGTERM);
  for (pid_t pid : *children) waitpid(pid, nullptr, 0);
  children->clear();
}

// Voluntary + involuntary context switches of every thread of `pid` so far.
int64_t ContextSwitchesOf(pid_t pid) {
  int64_t total = 0;
  std::error_code error;
  for (const auto& task :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), error)) {
    std::ifstream status(task.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.starts_with("voluntary_ctxt_switches:") ||
          line.starts_with("nonvoluntary_ctxt_switches:")) {
        total += std::stoll(line.substr(line.find(':') + 1));
      }
    }
  }
  return total;
}

int64_t OwnContextSwitches() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_nvcsw + usage.ru_nivcsw;
}

struct SwitchCounter {
  explicit SwitchCounter(const std::vector<pid_t>& workers) : workers(workers) {
    own = OwnContextSwitches();
    for (pid_t pid : workers) others += ContextSwitchesOf(pid);
  }
  // Switches per round since construction: {this process, the workers together}.
  std::pair<double, double> PerRound(int64_t rounds) const {
    int64_t others_now = 0;
    for (pid_t pid : workers) others_now += ContextSwitchesOf(pid);
    const double n = static_cast<double>(std::max<int64_t>(rounds, 1));
    return {static_cast<double>(OwnContextSwitches() - own) / n,
            static_cast<double>(others_now - others) / n};
  }
  std::vector<pid_t> workers;
  int64_t own = 0;
  int64_t others = 0;
};

// ---- figures ---------------------------------------------------------------------------------

struct Figures {
  double median_us = 0;
  double p99_us = 0;
  double rounds_per_second = 0;
  double own_switches = 0;     // per round, this process
  double worker_switches = 0;  // per round, all workers
};

Figures Summarize(std::vector<double> round_us, double total_seconds) {
  Figures figures;
  if (round_us.empty()) return figures;
  std::sort(round_us.begin(), round_us.end());
  figures.median_us = round_us[round_us.size() / 2];
  figures.p99_us = round_us[std::min(round_us.size() - 1, round_us.size() * 99 / 100)];
  figures.rounds_per_second = static_cast<double>(round_us.size()) / total_seconds;
  return figures;
}

void PrintFigures(const std::string& what, const Figures& f) {
  std::printf("%-34s median %8.1f us  p99 %8.1f us  %9.0f rounds/s  switches/round %5.2f + %5.2f\n",
              what.c_str(), f.median_us, f.p99_us, f.rounds_per_second, f.own_switches,
              f.worker_switches);
  std::fflush(stdout);
}

// ---- bare ping-pong --------------------------------------------------------------------------

// Serves WorkerService.Session as the scheduler does, but the rounds are driven by the caller
// over the streams directly, from one thread: no pool, no hand-off.
class PingPongService final : public v1::WorkerService::Service {
 public:
  using Stream = grpc::ServerReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>;

  grpc::Status Session(grpc::ServerContext*, Stream* stream) override {
    absl::MutexLock lock(&mu_);
    streams_.push_back(stream);
    mu_.Await(absl::Condition(&done_));
    return grpc::Status::OK;
  }
  std::vector<Stream*> AwaitStreams(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return streams_.size() >= count; };
    mu_.Await(absl::Condition(&enough));
    return streams_;
  }
  void Finish() {
    absl::MutexLock lock(&mu_);
    done_ = true;
  }

 private:
  absl::Mutex mu_;
  std::vector<Stream*> streams_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

// The worker side of the ping-pong: answers every Task with a PartialResult of its U values.
int RunPingPongWorker(const std::string& address) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = v1::WorkerService::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->Session(&context);
  v1::SchedulerMessage task;
  v1::WorkerMessage reply;
  while (stream->Read(&task)) {
    v1::PartialResult* partial = reply.mutable_partial();
    partial->set_job_id(task.task().job_id());
    partial->set_sequence(task.task().sequence());
    partial->mutable_values()->Assign(task.task().apply().values().begin(),
                                      task.task().apply().values().end());
    if (!stream->Write(reply)) break;
  }
  return 0;
}

std::unique_ptr<grpc::Server> Serve(grpc::Service* service, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

// A round's task as the bare ping-pongs send it: U keys to push, a cache update of U keys and
// values.
v1::SchedulerMessage RoundTask(int batch) {
  v1::SchedulerMessage message;
  v1::Task* task = message.mutable_task();
  task->set_job_id("job-1");
  task->set_reply(true);
  for (int k = 0; k < batch; ++k) {
    task->mutable_push()->add_keys(k * 37);
    task->mutable_apply()->add_keys(k * 37 + 1);
    task->mutable_apply()->add_values(0.001 * k);
  }
  task->mutable_push()->set_op(1);
  task->mutable_apply()->set_op(2);
  return message;
}

// Spawns `workers` ping-pong workers dialling `port`.
std::vector<pid_t> SpawnPingPongWorkers(int workers, int port) {
  std::vector<pid_t> children;
  for (int w = 0; w < workers; ++w) {
    children.push_back(SpawnSelf({"--pingpong-worker", absl::StrCat("127.0.0.1:", port)}));
  }
  return children;
}

// Times `rounds` calls of `round(sequence)` after `warmup` untimed ones, counting the context
// switches of this process and of `children` over the timed ones.
template <typename Round>
Figures TimeRounds(const std::vector<pid_t>& children, int rounds, int warmup, Round round) {
  std::vector<double> round_us;
  std::unique_ptr<SwitchCounter> switches;
  Clock::time_point start;
  for (int r = 0; r < warmup + rounds; ++r) {
    if (r == warmup) {
      switches = std::make_unique<SwitchCounter>(children);
      start = Clock::now();
    }
    const Clock::time_point sent = Clock::now();
    round(r + 1);
    if (r >= warmup) {
      round_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Figures figures = Summarize(std::move(round_us), seconds);
  std::tie(figures.own_switches, figures.worker_switches) = switches->PerRound(rounds);
  return figures;
}

Figures PingPong(int workers, int batch, int rounds, int warmup) {
  PingPongService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server = Serve(&service, &port);
  std::vector<pid_t> children = SpawnPingPongWorkers(workers, port);
  std::vector<PingPongService::Stream*> streams = service.AwaitStreams(workers);
  v1::SchedulerMessage message = RoundTask(batch);
  v1::Task* task = message.mutable_task();
  v1::WorkerMessage reply;
  Figures figures = TimeRounds(children, rounds, warmup, [&](int64_t sequence) {
    task->set_sequence(sequence);
    for (PingPongService::Stream* stream : streams) stream->Write(message);
    for (PingPongService::Stream* stream : streams) stream->Read(&reply);
  });
  service.Finish();
  StopChildren(&children);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return figures;
}

// The same ping-pong with the callback API on this side, as the scheduler's Session adapter had
// it until it moved to the async API (one reactor per worker; a reply is handed from gRPC's thread
// to the driving thread, which waits for every reply and every write's completion before the next
// round). Printed beside the sync figure; ratio_to_pingpong stays over the sync ping-pong, the
// floor the issue defines.
class CallbackPingPongService final
    : public v1::WorkerService::WithCallbackMethod_Session<v1::WorkerService::Service> {
 public:
  class Reactor final : public grpc::ServerBidiReactor<v1::WorkerMessage, v1::SchedulerMessage> {
   public:
    explicit Reactor(CallbackPingPongService* service) : service_(service) { StartRead(&reply_); }
    void Send(const v1::SchedulerMessage* message) { StartWrite(message); }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status::OK);
        return;
      }
      service_->Arrived();
      StartRead(&reply_);
    }
    void OnWriteDone(bool) override { service_->Arrived(); }
    void OnDone() override { delete this; }

   private:
    CallbackPingPongService* service_;
    v1::WorkerMessage reply_;
  };

  grpc::ServerBidiReactor<v1::WorkerMessage, v1::SchedulerMessage>* Session(
      grpc::CallbackServerContext* context) override {
    auto* reactor = new Reactor(this);
    absl::MutexLock lock(&mu_);
    reactors_.push_back(reactor);
    contexts_.push_back(context);
    return reactor;
  }
  std::vector<Reactor*> AwaitReactors(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return reactors_.size() >= count; };
    mu_.Await(absl::Condition(&enough));
    return reactors_;
  }
  // Each write's completion and each reply count one; a round waits for 2 per worker.
  void Arrived() {
    absl::MutexLock lock(&mu_);
    ++arrived_;
  }
  void AwaitArrived(int64_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return arrived_ >= count; };
    mu_.Await(absl::Condition(&enough));
  }
  void Finish() {
    absl::MutexLock lock(&mu_);
    for (grpc::CallbackServerContext* context : contexts_) context->TryCancel();
  }

 private:
  absl::Mutex mu_;
  std::vector<Reactor*> reactors_ ABSL_GUARDED_BY(mu_);
  std::vector<grpc::CallbackServerContext*> contexts_ ABSL_GUARDED_BY(mu_);
  int64_t arrived_ ABSL_GUARDED_BY(mu_) = 0;
};

Figures CallbackPingPong(int workers, int batch, int rounds, int warmup) {
  CallbackPingPongService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server = Serve(&service, &port);
  std::vector<pid_t> children = SpawnPingPongWorkers(workers, port);
  std::vector<CallbackPingPongService::Reactor*> reactors = service.AwaitReactors(workers);
  v1::SchedulerMessage message = RoundTask(batch);
  v1::Task* task = message.mutable_task();
  int64_t expected = 0;
  Figures figures = TimeRounds(children, rounds, warmup, [&](int64_t sequence) {
    task->set_sequence(sequence);
    for (CallbackPingPongService::Reactor* reactor : reactors) reactor->Send(&message);
    expected += 2 * workers;
    service.AwaitArrived(expected);
  });
  service.Finish();
  StopChildren(&children);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return figures;
}

// The same ping-pong with the async API on this side, as the scheduler's Session adapter has it
// since it stopped using the callback API (SessionQueue): the driving thread starts each write
// and read and polls the completion queue itself, so no other thread of this process wakes.
// Informative: the floor of the scheduler's own transport.
Figures AsyncPingPong(int workers, int batch, int rounds, int warmup) {
  v1::WorkerService::AsyncService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::ServerCompletionQueue> cq = builder.AddCompletionQueue();
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  std::vector<pid_t> children = SpawnPingPongWorkers(workers, port);
  using Stream = grpc::ServerAsyncReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>;
  std::vector<std::unique_ptr<grpc::ServerContext>> contexts;
  std::vector<std::unique_ptr<Stream>> streams;
  std::vector<v1::WorkerMessage> replies(workers);
  void* tag = nullptr;
  bool ok = false;
  for (int w = 0; w < workers; ++w) {
    contexts.push_back(std::make_unique<grpc::ServerContext>());
    streams.push_back(std::make_unique<Stream>(contexts.back().get()));
    service.RequestSession(contexts.back().get(), streams.back().get(), cq.get(), cq.get(),
                           reinterpret_cast<void*>(1));
    cq->Next(&tag, &ok);
  }
  v1::SchedulerMessage message = RoundTask(batch);
  v1::Task* task = message.mutable_task();
  Figures figures = TimeRounds(children, rounds, warmup, [&](int64_t sequence) {
    task->set_sequence(sequence);
    for (int w = 0; w < workers; ++w) {
      streams[w]->Write(message, reinterpret_cast<void*>(2));
      streams[w]->Read(&replies[w], reinterpret_cast<void*>(3));
    }
    for (int events = 0; events < 2 * workers; ++events) cq->Next(&tag, &ok);
  });
  StopChildren(&children);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  cq->Shutdown();
  while (cq->Next(&tag, &ok)) {
  }
  return figures;
}

// ---- real Lasso rounds -----------------------------------------------------------------------

int RunRealWorker(const std::string& address) {
  strads::worker::WorkerOptions options;
  options.scheduler_address = address;
  options.name = absl::StrCat("bench-worker-", getpid());
  options.threads = 1;  // the compute is negligible; a second thread would only add hand-offs
  options.reconnect = false;
  strads::worker::WorkerRuntime runtime(options);
  absl::Status status = runtime.Run();
  return status.ok() ? 0 : 1;
}

// Timestamps every round boundary (after each Pull).
class TimingSink final : public strads::scheduler::ProgressSink {
 public:
  void OnState(strads::scheduler::JobState, const std::string&) override {}
  void OnProgress(int64_t, double, const std::vector<strads::core::Metric>&, int) override {}
  void OnRoundBoundary(int64_t, double, bool interrupted) override {
    if (!interrupted) boundaries.push_back(Clock::now());
  }
  std::vector<Clock::time_point> boundaries;
};

struct RealCluster {
  strads::scheduler::WorkerPool pool;
  strads::scheduler::ShardCatalogue catalogue;
  strads::scheduler::AccessPolicy access;
  strads::scheduler::WorkerServiceImpl service{&pool, &catalogue, &access};
  std::unique_ptr<grpc::Server> server;
  std::vector<pid_t> children;
};

absl::StatusOr<Figures> RealRounds(RealCluster& cluster, const std::string& data_path,
                                   double lambda, int batch, int depth, int rounds, int warmup,
                                   int job_number) {
  strads::core::JobSpec spec;
  spec.app = "lasso";
  spec.data_path = data_path;
  spec.workers = 2;
  spec.max_rounds = warmup + rounds;
  spec.tolerance = 1e-300;
  spec.pipeline = depth;
  // static: exactly U coordinates every round (dynamic's adaptive batch would vary U); no gap
  // rounds (they run alone, which would hold the pipeline back).
  spec.params = {{"lambda", absl::StrFormat("%.17g", lambda)},
                 {"scheduler", "static"},
                 {"batch", absl::StrCat(batch)},
                 {"gap_every", "1000000000"}};
  strads::lasso::LassoSchedulerApp app;
  if (absl::Status status = app.Prepare(spec, 2); !status.ok()) return status;
  const std::string job_id = absl::StrCat("bench-", job_number);
  std::vector<std::shared_ptr<const std::string>> shards;
  for (int shard = 0; shard < app.num_shards(); ++shard) {
    absl::StatusOr<std::string> bytes = app.ShardBytes(shard);
    if (!bytes.ok()) return bytes.status();
    shards.push_back(std::make_shared<const std::string>(*std::move(bytes)));
  }
  cluster.catalogue.Put(job_id, std::move(shards));
  std::atomic<bool> cancel{false};
  TimingSink sink;
  strads::scheduler::RoundEngine engine(job_id, spec, &app, &cluster.pool, &cancel, &sink);
  std::unique_ptr<SwitchCounter> switches;
  // Switches are counted over the whole job; the shard loading is a few dozen of them.
  switches = std::make_unique<SwitchCounter>(cluster.children);
  absl::StatusOr<strads::scheduler::EngineResult> result = engine.Run();
  const std::pair<double, double> per_round = switches->PerRound(warmup + rounds);
  cluster.catalogue.Remove(job_id);
  if (!result.ok()) return result.status();
  if (static_cast<int>(sink.boundaries.size()) != warmup + rounds) {
    return absl::InternalError(absl::StrCat("the job ran ", sink.boundaries.size(), " rounds, not ",
                                            warmup + rounds, " (", result->stop_reason, ")"));
  }
  std::vector<double> round_us;
  for (size_t i = static_cast<size_t>(warmup) + 1; i < sink.boundaries.size(); ++i) {
    round_us.push_back(
        std::chrono::duration<double, std::micro>(sink.boundaries[i] - sink.boundaries[i - 1])
            .count());
  }
  const double seconds =
      std::chrono::duration<double>(sink.boundaries.back() - sink.boundaries[warmup]).count();
  Figures figures = Summarize(std::move(round_us), seconds);
  std::tie(figures.own_switches, figures.worker_switches) = per_round;
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Round latency: bare gRPC ping-pong vs real Lasso rounds, pipelined"};
  std::string pingpong_worker;
  std::string real_worker;
  int batch = 64;
  int rounds = 3000;
  int warmup = 200;
  int repeats = 1;
  cli.add_option("--pingpong-worker", pingpong_worker, "internal: run a ping-pong worker");
  cli.add_option("--worker", real_worker, "internal: run a real worker");
  cli.add_option("--batch", batch, "U: coordinates per round")->capture_default_str();
  cli.add_option("--rounds", rounds, "timed rounds per measurement")->capture_default_str();
  cli.add_option("--warmup", warmup, "rounds before timing starts")->capture_default_str();
  cli.add_option("--repeats", repeats, "measure everything this many times; report the medians")
      ->capture_default_str();
  CLI11_PARSE(cli, argc, argv);
  spdlog::set_level(spdlog::level::warn);
  if (!pingpong_worker.empty()) return RunPingPongWorker(pingpong_worker);
  if (!real_worker.empty()) return RunRealWorker(real_worker);
  if (batch < 1 || rounds < 100 || warmup < 1 || repeats < 1) {
    std::fprintf(stderr, "need --batch >= 1, --rounds >= 100, --warmup >= 1, --repeats >= 1\n");
    return 2;
  }

  // A tiny problem: a few non-zeros per column, so a push and an update cost microseconds.
  strads::lasso::LassoProblemOptions problem_options;
  problem_options.samples = 200;
  problem_options.features = 4 * batch;
  problem_options.density = 0.01;
  problem_options.correlation = 0;
  problem_options.seed = 1;
  absl::StatusOr<strads::lasso::LassoProblem> problem =
      strads::lasso::GenerateLassoProblem(problem_options);
  if (!problem.ok()) {
    std::fprintf(stderr, "%s\n", std::string(problem.status().message()).c_str());
    return 1;
  }
  const std::string dir = (std::filesystem::temp_directory_path() / "strads-bench").string();
  std::filesystem::create_directories(dir);
  const std::string data_path = dir + "/round_latency.libsvm";
  if (!strads::core::WriteLibsvmFile(data_path, problem->data).ok()) return 1;
  const double lambda = 0.5 * strads::lasso::LambdaMax(problem->data.x, problem->data.y);
  std::printf(
      "U=%d keys down (+ a cache update of U keys and values), U values up; %d timed "
      "rounds after %d; %d repeat(s); %u cores\n",
      batch, rounds, warmup, repeats, std::thread::hardware_concurrency());

  const int depths[] = {1, 2, 4, 8};
  std::vector<Figures> pingpong[2];
  std::vector<Figures> callback_pingpong;
  std::vector<Figures> async_pingpong;
  std::vector<Figures> real[4];
  for (int repeat = 0; repeat < repeats; ++repeat) {
    for (int workers : {1, 2}) {
      pingpong[workers - 1].push_back(PingPong(workers, batch, rounds, warmup));
      PrintFigures(absl::StrCat("bare ping-pong, ", workers, " worker", workers > 1 ? "s" : ""),
                   pingpong[workers - 1].back());
    }
    callback_pingpong.push_back(CallbackPingPong(2, batch, rounds, warmup));
    PrintFigures("bare ping-pong, 2 workers, callback", callback_pingpong.back());
    async_pingpong.push_back(AsyncPingPong(2, batch, rounds, warmup));
    PrintFigures("bare ping-pong, 2 workers, async", async_pingpong.back());
    RealCluster cluster;
    int port = 0;
    {
      grpc::ServerBuilder builder;
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
      cluster.service.AddTo(builder);
      cluster.server = builder.BuildAndStart();
      cluster.service.Start();
    }
    for (int w = 0; w < 2; ++w) {
      cluster.children.push_back(SpawnSelf({"--worker", absl::StrCat("127.0.0.1:", port)}));
    }
    for (int waited = 0; cluster.pool.ConnectedCount() < 2 && waited < 3000; ++waited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (cluster.pool.ConnectedCount() < 2) {
      std::fprintf(stderr, "the workers did not connect\n");
      StopChildren(&cluster.children);
      return 1;
    }
    for (size_t d = 0; d < std::size(depths); ++d) {
      absl::StatusOr<Figures> figures =
          RealRounds(cluster, data_path, lambda, batch, depths[d], rounds, warmup, repeat * 10 + d);
      if (!figures.ok()) {
        std::fprintf(stderr, "real rounds at depth %d: %s\n", depths[d],
                     std::string(figures.status().message()).c_str());
        StopChildren(&cluster.children);
        return 1;
      }
      real[d].push_back(*figures);
      PrintFigures(absl::StrCat("real Lasso rounds, 2 workers, depth ", depths[d]), *figures);
    }
    cluster.pool.DisconnectAll();
    StopChildren(&cluster.children);
    cluster.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    cluster.service.Stop();
  }
  // Over repeats: the median of each figure.
  auto median_of = [](std::vector<Figures> runs, double Figures::*field) {
    std::sort(runs.begin(), runs.end(),
              [field](const Figures& a, const Figures& b) { return a.*field < b.*field; });
    return runs[runs.size() / 2].*field;
  };
  if (repeats > 1) {
    std::printf("\nmedians over %d repeats:\n", repeats);
    for (int workers : {1, 2}) {
      std::printf("  bare ping-pong, %d worker(s): median %.1f us, p99 %.1f us\n", workers,
                  median_of(pingpong[workers - 1], &Figures::median_us),
                  median_of(pingpong[workers - 1], &Figures::p99_us));
    }
    std::printf("  bare ping-pong, 2 workers, callback API: median %.1f us, p99 %.1f us\n",
                median_of(callback_pingpong, &Figures::median_us),
                median_of(callback_pingpong, &Figures::p99_us));
    std::printf("  bare ping-pong, 2 workers, async API: median %.1f us, p99 %.1f us\n",
                median_of(async_pingpong, &Figures::median_us),
                median_of(async_pingpong, &Figures::p99_us));
    for (size_t d = 0; d < std::size(depths); ++d) {
      std::printf("  real rounds, depth %d: median %.1f us, p99 %.1f us, %.0f rounds/s\n",
                  depths[d], median_of(real[d], &Figures::median_us),
                  median_of(real[d], &Figures::p99_us),
                  median_of(real[d], &Figures::rounds_per_second));
    }
  }
  std::printf(
      "ratio_to_callback_pingpong %.2f  (informative; the floor is the sync one)\n",
      median_of(real[0], &Figures::median_us) / median_of(callback_pingpong, &Figures::median_us));
  std::printf("ratio_to_pingpong %.2f\n", median_of(real[0], &Figures::median_us) /
                                              median_of(pingpong[1], &Figures::median_us));
  std::printf("pipelined_speedup %.2f\n", median_of(real[2], &Figures::rounds_per_second) /
                                              median_of(real[0], &Figures::rounds_per_second));
  return 0;
}
