#include "worker_service/worker_runtime.h"

#include <unistd.h>

#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/registry.h"
#include "core/cpu_limit.h"
#include "grpcpp/create_channel.h"
#include "protos/convert.h"
#include "spdlog/spdlog.h"

namespace strads::worker {
namespace {

std::string HostName() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0) return "worker";
  return buffer;
}

}  // namespace

WorkerRuntime::WorkerRuntime(WorkerOptions options) : options_(std::move(options)) {
  if (options_.name.empty()) options_.name = HostName();
  if (options_.threads <= 0) options_.threads = core::AvailableCoresOfThisProcess();
  team_ = std::make_unique<core::ThreadTeam>(options_.threads);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(core::kMaxMessageBytes);
  args.SetMaxSendMessageSize(core::kMaxMessageBytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // gRPC's reconnect backoff grows to 2 minutes by default: after a long scheduler outage a
  // worker would sit idle that long after the scheduler is back.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  channel_ = proto::MakeChannel(options_.scheduler_address, options_.connection, args);
  stub_ = v1::WorkerService::NewStub(channel_);
}

WorkerRuntime::~WorkerRuntime() { Stop(); }

void WorkerRuntime::Stop() {
  stopping_ = true;
  absl::MutexLock lock(&mu_);
  if (session_context_ != nullptr) session_context_->TryCancel();
}

WorkerCounters WorkerRuntime::Counters() const {
  return {.busy_seconds = static_cast<double>(busy_nanoseconds_.load()) * 1e-9,
          .pushes = pushes_.load(),
          .bytes_received = bytes_received_.load(),
          .ready = ready_.load()};
}

absl::Status WorkerRuntime::Run() {
  bool warned = false;
  while (!stopping_.load()) {
    absl::Status status = ServeSession();
    jobs_.clear();  // a new session starts from nothing: the scheduler re-assigns
    if (stopping_.load()) break;
    // Retrying cannot fix a refused token.
    if (!options_.reconnect || absl::IsUnauthenticated(status) ||
        absl::IsPermissionDenied(status)) {
      return status;
    }
    if (!warned || status.code() != absl::StatusCode::kUnavailable) {
      spdlog::warn("event=worker_session_ended scheduler={} status=\"{}\" retry_in={}s",
                   options_.scheduler_address, status.ToString(),
                   absl::ToDoubleSeconds(options_.reconnect_delay));
      warned = true;
    }
    absl::SleepFor(options_.reconnect_delay);
  }
  return absl::OkStatus();
}

absl::Status WorkerRuntime::ServeSession() {
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    context.set_wait_for_ready(true);
    proto::Authorize(&context, options_.connection);
    v1::RegisterRequest request;
    request.set_name(options_.name);
    request.set_cores(options_.threads);
    v1::RegisterResponse response;
    grpc::Status status = stub_->Register(&context, request, &response);
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
        status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("the scheduler at ", options_.scheduler_address,
                                       " refused this worker: ", status.error_message()));
    }
    if (!status.ok()) {
      return absl::UnavailableError(absl::StrCat("cannot register with scheduler ",
                                                 options_.scheduler_address, ": ",
                                                 status.error_message()));
    }
    worker_id_ = response.worker_id();
  }
  grpc::ClientContext context;
  proto::Authorize(&context, options_.connection);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_.load()) return absl::OkStatus();
    session_context_ = &context;
  }
  std::unique_ptr<Stream> stream = stub_->Session(&context);
  v1::WorkerMessage hello;
  hello.mutable_hello()->set_worker_id(worker_id_);
  hello.mutable_hello()->set_takes_task_batches(true);
  bool open = stream->Write(hello);
  if (open) {
    ready_ = true;
    spdlog::info("event=worker_connected scheduler={} worker={} name={} threads={}",
                 options_.scheduler_address, worker_id_, options_.name, options_.threads);
  }
  v1::SchedulerMessage message;
  while (open && stream->Read(&message)) {
    bytes_received_.fetch_add(static_cast<int64_t>(message.ByteSizeLong()),
                              std::memory_order_relaxed);
    std::string error;
    std::string job_id;
    switch (message.kind_case()) {
      case v1::SchedulerMessage::kAssign:
        job_id = message.assign().job_id();
        error = HandleAssign(message.assign(), stream.get());
        break;
      case v1::SchedulerMessage::kTask:
        job_id = message.task().job_id();
        error = HandleTask(message.task(), stream.get());
        break;
      case v1::SchedulerMessage::kTaskBatch:
        if (message.task_batch().tasks_size() == 0) break;
        job_id = message.task_batch().tasks(0).job_id();
        error = HandleTaskBatch(message.task_batch(), stream.get());
        break;
      case v1::SchedulerMessage::kRelease:
        jobs_.erase(message.release().job_id());
        spdlog::info("event=job_released worker={} job={}", worker_id_, message.release().job_id());
        break;
      case v1::SchedulerMessage::KIND_NOT_SET:
        break;
    }
    if (!error.empty()) {
      spdlog::error("event=worker_job_error worker={} job={} error=\"{}\"", worker_id_, job_id,
                    error);
      v1::WorkerMessage report;
      report.mutable_error()->set_job_id(job_id);
      report.mutable_error()->set_message(error);
      open = stream->Write(report);
      jobs_.erase(job_id);
    }
  }
  ready_ = false;
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  {
    absl::MutexLock lock(&mu_);
    session_context_ = nullptr;
  }
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("session with ", options_.scheduler_address,
                                               " ended: ", status.error_message()));
  }
  return absl::UnavailableError(
      absl::StrCat("session with ", options_.scheduler_address, " closed by the scheduler"));
}

std::string WorkerRuntime::HandleAssign(const v1::AssignShards& assign, Stream* stream) {
  JobContext& job = jobs_[assign.job_id()];
  if (job.app == nullptr) {
    const apps::AppDefinition* definition = apps::FindApp(assign.app());
    if (definition == nullptr) {
      return absl::StrCat("this worker has no app '", assign.app(), "'");
    }
    core::JobSpec spec;
    spec.app = assign.app();
    spec.params.insert(assign.params().begin(), assign.params().end());
    job.app = definition->make_worker_app();
    job.app->UseThreads(team_.get());
    if (absl::Status status = job.app->Configure(spec); !status.ok()) {
      return std::string(status.message());
    }
  }
  for (int shard : assign.drop_shards()) job.app->DropShard(shard);
  v1::WorkerMessage ready;
  ready.mutable_ready()->set_job_id(assign.job_id());
  core::Payload init;
  for (const v1::ShardAssignment& assignment : assign.shards()) {
    absl::StatusOr<std::string> bytes = FetchShard(assign.job_id(), assignment.shard());
    if (!bytes.ok()) return std::string(bytes.status().message());
    proto::FromProto(assignment.init(), &init);
    if (absl::Status status = job.app->AddShard(assignment.shard(), *bytes, init); !status.ok()) {
      return absl::StrCat("shard ", assignment.shard(), ": ", status.message());
    }
    ready.mutable_ready()->add_shards(assignment.shard());
    spdlog::info("event=shard_loaded worker={} job={} shard={} bytes={}", worker_id_,
                 assign.job_id(), assignment.shard(), bytes->size());
  }
  stream->Write(ready);
  return "";
}

std::string WorkerRuntime::HandleTask(const v1::Task& task, Stream* stream) {
  v1::PartialResult* partial = reply_.mutable_partial();
  if (std::string error = RunTask(task, partial); !error.empty()) return error;
  if (task.reply()) stream->Write(reply_);
  return "";
}

std::string WorkerRuntime::HandleTaskBatch(const v1::TaskBatch& batch, Stream* stream) {
  // A spare reply keeps its partials (and their values' capacity) for reuse.
  google::protobuf::RepeatedPtrField<v1::PartialResult>* partials =
      batch_reply_.mutable_partial_batch()->mutable_partials();
  int replies = 0;
  for (const v1::Task& task : batch.tasks()) {
    if (task.job_id() != batch.tasks(0).job_id()) {
      return "a task batch mixes jobs";  // the scheduler never sends one
    }
    v1::PartialResult* partial =
        replies < partials->size() ? partials->Mutable(replies) : partials->Add();
    if (std::string error = RunTask(task, partial); !error.empty()) return error;
    if (task.reply()) ++replies;
  }
  while (partials->size() > replies) partials->RemoveLast();
  if (replies > 0) stream->Write(batch_reply_);
  return "";
}

std::string WorkerRuntime::RunTask(const v1::Task& task, v1::PartialResult* partial) {
  auto it = jobs_.find(task.job_id());
  if (it == jobs_.end()) {
    return absl::StrCat("task for job ", task.job_id(), " before its shards were assigned");
  }
  JobContext& job = it->second;
  const auto start = std::chrono::steady_clock::now();
  proto::FromProto(task.apply(), &job.apply);
  if (!job.apply.empty()) {
    if (absl::Status status = job.app->Apply(job.apply); !status.ok()) {
      return std::string(status.message());
    }
  }
  if (!task.reply()) return "";
  proto::FromProto(task.push(), &job.push);
  if (absl::Status status = job.app->Push(job.push, &job.partial); !status.ok()) {
    return std::string(status.message());
  }
  if (const int64_t bytes = 8 * static_cast<int64_t>(job.partial.values.size()) + 64;
      bytes > options_.max_message_bytes) {
    return absl::StrFormat(
        "its partial result would be %s, over the %s message limit: one round's result must "
        "fit in one message",
        core::HumanBytes(bytes), core::HumanBytes(options_.max_message_bytes));
  }
  if (options_.test_slowdown > 1) {
    const auto worked = std::chrono::steady_clock::now() - start;
    std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::nanoseconds>(
        worked * (options_.test_slowdown - 1)));
  }
  if (options_.test_delay_ns_per_unit > 0) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(static_cast<int64_t>(
        options_.test_delay_ns_per_unit * static_cast<double>(job.partial.work_units))));
  }
  const auto busy_time = std::chrono::steady_clock::now() - start;
  const double busy = std::chrono::duration<double>(busy_time).count();
  busy_nanoseconds_.fetch_add(
      std::chrono::duration_cast<std::chrono::nanoseconds>(busy_time).count(),
      std::memory_order_relaxed);
  pushes_.fetch_add(1, std::memory_order_relaxed);
  partial->set_job_id(task.job_id());
  partial->set_sequence(task.sequence());
  partial->mutable_values()->Clear();
  partial->mutable_values()->Add(job.partial.values.begin(), job.partial.values.end());
  partial->set_busy_seconds(busy);
  partial->set_work_units(job.partial.work_units);
  return "";
}

absl::StatusOr<std::string> WorkerRuntime::FetchShard(const std::string& job_id, int shard) {
  grpc::ClientContext context;
  proto::Authorize(&context, options_.connection);
  v1::ShardRequest request;
  request.set_job_id(job_id);
  request.set_shard(shard);
  request.set_worker_id(worker_id_);
  std::unique_ptr<grpc::ClientReader<v1::ShardChunk>> reader = stub_->FetchShard(&context, request);
  std::string bytes;
  v1::ShardChunk chunk;
  while (reader->Read(&chunk)) {
    if (bytes.empty()) bytes.reserve(static_cast<size_t>(chunk.total_bytes()));
    bytes.append(chunk.data());
    bytes_received_.fetch_add(static_cast<int64_t>(chunk.data().size()), std::memory_order_relaxed);
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("fetching shard ", shard, " of job ", job_id,
                                               " failed: ", status.error_message()));
  }
  return bytes;
}

}  // namespace strads::worker
