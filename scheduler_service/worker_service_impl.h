// gRPC adapter for strads.v1.WorkerService: registers workers, keeps each worker's Session stream
// (a WorkerSession per stream over the async API, polled by the round engines that wait for them:
// SessionQueue; the engine writes to it through a WorkerLink) and serves shard bytes in chunks.
#pragma once

#include <memory>

#include "grpcpp/server_builder.h"
#include "scheduler_service/access_policy.h"
#include "scheduler_service/scheduler_observer.h"
#include "scheduler_service/session_queue.h"
#include "scheduler_service/shard_catalogue.h"
#include "scheduler_service/worker_pool.h"
#include "strads/v1/strads.grpc.pb.h"

namespace strads::scheduler {

// Register and FetchShard use the sync API (short calls, and a shard's chunks are written from a
// handler thread); Session uses the async API, so that the thread waiting for a worker's partial
// result is the one that reads it.
class WorkerServiceImpl final
    : public v1::WorkerService::WithAsyncMethod_Session<v1::WorkerService::Service> {
 public:
  // `observer` (may be null) counts the shard bytes sent.
  WorkerServiceImpl(WorkerPool* pool, const ShardCatalogue* catalogue, const AccessPolicy* access,
                    SchedulerObserver* observer = nullptr)
      : pool_(pool),
        catalogue_(catalogue),
        access_(access),
        observer_(observer),
        sessions_(pool, access) {}

  // The server's life, in this order: AddTo(builder), builder.BuildAndStart(), Start(), ...,
  // server->Shutdown(), Stop() (the sessions' queue is polled until the server's calls are over).
  void AddTo(grpc::ServerBuilder& builder);
  void Start();
  void Stop();

  grpc::Status Register(grpc::ServerContext* context, const v1::RegisterRequest* request,
                        v1::RegisterResponse* response) override;
  grpc::Status FetchShard(grpc::ServerContext* context, const v1::ShardRequest* request,
                          grpc::ServerWriter<v1::ShardChunk>* writer) override;

 private:
  WorkerPool* pool_;
  const ShardCatalogue* catalogue_;
  const AccessPolicy* access_;
  SchedulerObserver* observer_;
  std::unique_ptr<grpc::ServerCompletionQueue> queue_;  // from AddTo until Start
  SessionQueue sessions_;
};

}  // namespace strads::scheduler
