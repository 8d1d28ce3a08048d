// gRPC adapter for strads.v1.WorkerService: registers workers, keeps each worker's Session stream
// (a callback reactor per stream, WorkerSession: no thread of its own; the round engine writes to
// it through a WorkerLink) and serves shard bytes in chunks.
#pragma once

#include "scheduler_service/access_policy.h"
#include "scheduler_service/scheduler_observer.h"
#include "scheduler_service/shard_catalogue.h"
#include "scheduler_service/worker_pool.h"
#include "strads/v1/strads.grpc.pb.h"

namespace strads::scheduler {

// Register and FetchShard use the sync API (short calls, and a shard's chunks are written from a
// handler thread); Session uses the callback API, so a worker's partial result is handed to the
// pool on the gRPC thread that read it, with no Session thread between it and the engine.
class WorkerServiceImpl final
    : public v1::WorkerService::WithCallbackMethod_Session<v1::WorkerService::Service> {
 public:
  // `observer` (may be null) counts the shard bytes sent.
  WorkerServiceImpl(WorkerPool* pool, const ShardCatalogue* catalogue, const AccessPolicy* access,
                    SchedulerObserver* observer = nullptr)
      : pool_(pool), catalogue_(catalogue), access_(access), observer_(observer) {}

  grpc::Status Register(grpc::ServerContext* context, const v1::RegisterRequest* request,
                        v1::RegisterResponse* response) override;
  grpc::ServerBidiReactor<v1::WorkerMessage, v1::SchedulerMessage>* Session(
      grpc::CallbackServerContext* context) override;
  grpc::Status FetchShard(grpc::ServerContext* context, const v1::ShardRequest* request,
                          grpc::ServerWriter<v1::ShardChunk>* writer) override;

 private:
  WorkerPool* pool_;
  const ShardCatalogue* catalogue_;
  const AccessPolicy* access_;
  SchedulerObserver* observer_;
};

}  // namespace strads::scheduler
