// gRPC adapter for strads.v1.JobService: validates requests, converts between wire and core types
// and delegates to the JobManager.
#pragma once

#include "scheduler_service/access_policy.h"
#include "scheduler_service/data_uploads.h"
#include "scheduler_service/job_manager.h"
#include "scheduler_service/worker_pool.h"
#include "strads/v1/strads.grpc.pb.h"

namespace strads::scheduler {

class JobServiceImpl final : public v1::JobService::Service {
 public:
  JobServiceImpl(JobManager* jobs, const WorkerPool* pool, DataUploads* uploads,
                 const AccessPolicy* access)
      : jobs_(jobs), pool_(pool), uploads_(uploads), access_(access) {}

  grpc::Status SubmitJob(grpc::ServerContext* context, const v1::SubmitJobRequest* request,
                         v1::SubmitJobResponse* response) override;
  grpc::Status ListJobs(grpc::ServerContext* context, const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override;
  grpc::Status GetJob(grpc::ServerContext* context, const v1::JobRef* request,
                      v1::JobStatus* response) override;
  grpc::Status WatchJob(grpc::ServerContext* context, const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::JobStatus>* writer) override;
  grpc::Status CancelJob(grpc::ServerContext* context, const v1::JobRef* request,
                         v1::CancelJobResponse* response) override;
  grpc::Status DeleteJob(grpc::ServerContext* context, const v1::JobRef* request,
                         v1::DeleteJobResponse* response) override;
  grpc::Status GetJobLog(grpc::ServerContext* context, const v1::JobLogRequest* request,
                         grpc::ServerWriter<v1::JobLogEvent>* writer) override;
  grpc::Status GetResult(grpc::ServerContext* context, const v1::JobRef* request,
                         grpc::ServerWriter<v1::ResultChunk>* writer) override;
  grpc::Status ListWorkers(grpc::ServerContext* context, const v1::ListWorkersRequest* request,
                           v1::ListWorkersResponse* response) override;
  grpc::Status UploadData(grpc::ServerContext* context, grpc::ServerReader<v1::DataChunk>* reader,
                          v1::UploadDataResponse* response) override;

 private:
  JobManager* jobs_;
  const WorkerPool* pool_;
  DataUploads* uploads_;
  const AccessPolicy* access_;
};

// absl::Status -> grpc::Status with the matching code.
grpc::Status ToGrpcStatus(const absl::Status& status);
// The caller's bearer token checked against `role`.
grpc::Status CheckAccess(const AccessPolicy& policy, const grpc::ServerContextBase& context,
                         Role role);
void ToProto(const JobSnapshot& snapshot, v1::JobStatus* out);
// Also fills JobStatus.history, which only GetJob, GetResult and a watch's final status carry.
void ToProtoWithHistory(const JobSnapshot& snapshot, v1::JobStatus* out);

}  // namespace strads::scheduler
