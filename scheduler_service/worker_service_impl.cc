#include "scheduler_service/worker_service_impl.h"

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "protos/convert.h"
#include "scheduler_service/job_service_impl.h"
#include "spdlog/spdlog.h"

namespace strads::scheduler {
namespace {

constexpr size_t kShardChunkBytes = 1 << 20;
constexpr int kHeartbeatIntervalMs = 5000;

using SessionStream = grpc::ServerReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>;

// WorkerLink over one Session stream. Writes are serialised by a mutex; the message object is
// reused so a round's task costs no allocation once its fields have grown.
class StreamWorkerLink final : public WorkerLink {
 public:
  StreamWorkerLink(SessionStream* stream, grpc::ServerContext* context)
      : stream_(stream), context_(context) {}

  bool SendAssign(const std::string& job_id, const core::JobSpec& spec,
                  std::span<const ShardGrant> add, std::span<const int> drop) override {
    absl::MutexLock lock(&mu_);
    if (stream_ == nullptr) return false;
    message_.Clear();
    v1::AssignShards* assign = message_.mutable_assign();
    assign->set_job_id(job_id);
    assign->set_app(spec.app);
    for (const auto& [key, value] : spec.params) (*assign->mutable_params())[key] = value;
    for (const ShardGrant& grant : add) {
      v1::ShardAssignment* shard = assign->add_shards();
      shard->set_shard(grant.shard);
      proto::ToProto(grant.init, shard->mutable_init());
    }
    for (int shard : drop) assign->add_drop_shards(shard);
    return stream_->Write(message_);
  }

  bool SendTask(const std::string& job_id, int64_t sequence, const core::Payload& apply,
                const core::Payload& push, bool reply) override {
    absl::MutexLock lock(&mu_);
    if (stream_ == nullptr) return false;
    v1::Task* task = message_.mutable_task();  // keeps the repeated fields' capacity
    task->set_job_id(job_id);
    task->set_sequence(sequence);
    proto::ToProto(apply, task->mutable_apply());
    proto::ToProto(push, task->mutable_push());
    task->set_reply(reply);
    return stream_->Write(message_);
  }

  bool SendRelease(const std::string& job_id) override {
    absl::MutexLock lock(&mu_);
    if (stream_ == nullptr) return false;
    message_.Clear();
    message_.mutable_release()->set_job_id(job_id);
    return stream_->Write(message_);
  }

  void Disconnect() override {
    absl::MutexLock lock(&mu_);
    if (context_ != nullptr) context_->TryCancel();
  }

  // After this, sends fail: the stream object dies with the handler.
  void Close() {
    absl::MutexLock lock(&mu_);
    stream_ = nullptr;
    context_ = nullptr;
  }

 private:
  absl::Mutex mu_;
  SessionStream* stream_ ABSL_GUARDED_BY(mu_);
  grpc::ServerContext* context_ ABSL_GUARDED_BY(mu_);
  v1::SchedulerMessage message_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::Status WorkerServiceImpl::Register(grpc::ServerContext* context,
                                         const v1::RegisterRequest* request,
                                         v1::RegisterResponse* response) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kWorker); !status.ok()) {
    return status;
  }
  std::string name = request->name().empty() ? context->peer() : request->name();
  response->set_worker_id(pool_->Register(name));
  response->set_heartbeat_interval_ms(kHeartbeatIntervalMs);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::Session(grpc::ServerContext* context, SessionStream* stream) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kWorker); !status.ok()) {
    return status;
  }
  v1::WorkerMessage message;
  if (!stream->Read(&message)) return grpc::Status::OK;
  if (message.kind_case() != v1::WorkerMessage::kHello || message.hello().worker_id().empty()) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "a session must start with Hello carrying the id from Register"};
  }
  const std::string worker_id = message.hello().worker_id();
  auto link = std::make_shared<StreamWorkerLink>(stream, context);
  if (absl::Status status = pool_->Attach(worker_id, link); !status.ok()) {
    link->Close();
    return ToGrpcStatus(status);
  }
  std::vector<int> shards;
  while (stream->Read(&message)) {
    switch (message.kind_case()) {
      case v1::WorkerMessage::kPartial: {
        const v1::PartialResult& partial = message.partial();
        pool_->OnPartial(worker_id, partial.job_id(), partial.sequence(),
                         std::span<const double>(partial.values().data(),
                                                 static_cast<size_t>(partial.values_size())),
                         partial.busy_seconds(), partial.work_units());
        break;
      }
      case v1::WorkerMessage::kReady:
        shards.assign(message.ready().shards().begin(), message.ready().shards().end());
        pool_->OnShardsReady(worker_id, message.ready().job_id(), shards);
        break;
      case v1::WorkerMessage::kError:
        spdlog::warn("event=worker_error worker={} job={} message=\"{}\"", worker_id,
                     message.error().job_id(), message.error().message());
        pool_->OnWorkerError(worker_id, message.error().job_id(), message.error().message());
        break;
      case v1::WorkerMessage::kHeartbeat:
      case v1::WorkerMessage::kHello:
      case v1::WorkerMessage::KIND_NOT_SET:
        break;
    }
  }
  link->Close();
  pool_->Detach(worker_id);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::FetchShard(grpc::ServerContext* context,
                                           const v1::ShardRequest* request,
                                           grpc::ServerWriter<v1::ShardChunk>* writer) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kWorker); !status.ok()) {
    return status;
  }
  absl::StatusOr<std::shared_ptr<const std::string>> bytes =
      catalogue_->Get(request->job_id(), request->shard());
  if (!bytes.ok()) return ToGrpcStatus(bytes.status());
  const std::string& data = **bytes;
  v1::ShardChunk chunk;
  chunk.set_total_bytes(static_cast<int64_t>(data.size()));
  size_t offset = 0;
  do {
    size_t length = std::min(kShardChunkBytes, data.size() - offset);
    chunk.set_data(data.data() + offset, length);
    if (!writer->Write(chunk)) return {grpc::StatusCode::CANCELLED, "worker went away"};
    if (observer_ != nullptr) observer_->OnShardBytesSent(static_cast<int64_t>(length));
    offset += length;
  } while (offset < data.size());
  return grpc::Status::OK;
}

}  // namespace strads::scheduler
