// gRPC adapter for strads.v1.JobService: validates requests, converts between wire and core types
// and delegates to the JobManager.
#pragma once

#include "scheduler_service/job_manager.h"
#include "strads/v1/strads.grpc.pb.h"

namespace strads::scheduler {

class JobServiceImpl final : public v1::JobService::Service {
 public:
  explicit JobServiceImpl(JobManager* jobs) : jobs_(jobs) {}

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
  grpc::Status GetResult(grpc::ServerContext* context, const v1::JobRef* request,
                         grpc::ServerWriter<v1::ResultChunk>* writer) override;

 private:
  JobManager* jobs_;
};

// absl::Status -> grpc::Status with the matching code.
grpc::Status ToGrpcStatus(const absl::Status& status);
void ToProto(const JobSnapshot& snapshot, v1::JobStatus* out);

}  // namespace strads::scheduler
