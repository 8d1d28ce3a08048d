#include "scheduler_service/worker_service_impl.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "scheduler_service/job_service_impl.h"

namespace strads::scheduler {
namespace {

constexpr size_t kShardChunkBytes = 1 << 20;
constexpr int kHeartbeatIntervalMs = 5000;

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

void WorkerServiceImpl::AddTo(grpc::ServerBuilder& builder) {
  builder.RegisterService(this);
  queue_ = builder.AddCompletionQueue();
}

void WorkerServiceImpl::Start() {
  sessions_.Start(std::move(queue_),
                  [this](grpc::ServerContext* context, WorkerSession::Stream* stream,
                         grpc::ServerCompletionQueue* queue,
                         void* tag) { RequestSession(context, stream, queue, queue, tag); });
}

void WorkerServiceImpl::Stop() { sessions_.Stop(); }

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
