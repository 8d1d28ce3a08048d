#include "scheduler_service/job_service_impl.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "protos/convert.h"

namespace strads::scheduler {
namespace {

constexpr size_t kResultChunkBytes = 1 << 20;

v1::JobState ToProto(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return v1::JOB_STATE_QUEUED;
    case JobState::kLoading:
      return v1::JOB_STATE_LOADING;
    case JobState::kWaitingForWorkers:
      return v1::JOB_STATE_WAITING_FOR_WORKERS;
    case JobState::kRunning:
      return v1::JOB_STATE_RUNNING;
    case JobState::kSucceeded:
      return v1::JOB_STATE_SUCCEEDED;
    case JobState::kFailed:
      return v1::JOB_STATE_FAILED;
    case JobState::kCancelled:
      return v1::JOB_STATE_CANCELLED;
  }
  return v1::JOB_STATE_UNSPECIFIED;
}

JobState FromProto(v1::JobState state) {
  switch (state) {
    case v1::JOB_STATE_LOADING:
      return JobState::kLoading;
    case v1::JOB_STATE_WAITING_FOR_WORKERS:
      return JobState::kWaitingForWorkers;
    case v1::JOB_STATE_RUNNING:
      return JobState::kRunning;
    case v1::JOB_STATE_SUCCEEDED:
      return JobState::kSucceeded;
    case v1::JOB_STATE_FAILED:
      return JobState::kFailed;
    case v1::JOB_STATE_CANCELLED:
      return JobState::kCancelled;
    default:
      return JobState::kQueued;
  }
}

grpc::Status RequireJobId(const std::string& job_id) {
  if (job_id.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "job_id is required"};
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return {static_cast<grpc::StatusCode>(status.code()), std::string(status.message())};
}

grpc::Status CheckAccess(const AccessPolicy& policy, const grpc::ServerContextBase& context,
                         Role role) {
  if (policy.open()) return grpc::Status::OK;
  auto it = context.client_metadata().find("authorization");
  std::string_view header;
  if (it != context.client_metadata().end()) header = {it->second.data(), it->second.size()};
  return ToGrpcStatus(policy.Check(role, header));
}

void ToProto(const JobSnapshot& snapshot, v1::JobStatus* out) {
  out->set_job_id(snapshot.job_id);
  proto::ToProto(snapshot.spec, out->mutable_spec());
  out->set_state(ToProto(snapshot.state));
  out->set_message(snapshot.message);
  out->set_round(snapshot.round);
  out->set_seconds(snapshot.seconds);
  out->mutable_metrics()->clear();
  for (const auto& [name, value] : snapshot.metrics) (*out->mutable_metrics())[name] = value;
  out->set_live_workers(snapshot.live_workers);
  out->set_created_unix_ms(snapshot.created_unix_ms);
  out->clear_history();
}

void ToProtoWithHistory(const JobSnapshot& snapshot, v1::JobStatus* out) {
  ToProto(snapshot, out);
  for (const core::ConvergencePoint& point : snapshot.history.Points()) {
    v1::ConvergencePoint* added = out->add_history();
    added->set_round(point.round);
    added->set_seconds(point.seconds);
    for (const core::Metric& metric : point.metrics) {
      (*added->mutable_metrics())[metric.name] = metric.value;
    }
  }
}

grpc::Status JobServiceImpl::SubmitJob(grpc::ServerContext* context,
                                       const v1::SubmitJobRequest* request,
                                       v1::SubmitJobResponse* response) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kClient); !status.ok()) {
    return status;
  }
  absl::StatusOr<std::string> id = jobs_->Submit(proto::FromProto(request->spec()));
  if (!id.ok()) return ToGrpcStatus(id.status());
  response->set_job_id(*id);
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::ListJobs(grpc::ServerContext* context,
                                      const v1::ListJobsRequest* request,
                                      v1::ListJobsResponse* response) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kClient); !status.ok()) {
    return status;
  }
  if (request->limit() < 0) return {grpc::StatusCode::INVALID_ARGUMENT, "limit must be >= 0"};
  JobListFilter filter;
  filter.limit = request->limit();
  for (int state : request->states()) {
    if (state <= v1::JOB_STATE_UNSPECIFIED || !v1::JobState_IsValid(state)) {
      return {grpc::StatusCode::INVALID_ARGUMENT, absl::StrCat("unknown job state ", state)};
    }
    filter.states.push_back(FromProto(static_cast<v1::JobState>(state)));
  }
  for (const JobSnapshot& snapshot : jobs_->List(filter)) ToProto(snapshot, response->add_jobs());
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::GetJob(grpc::ServerContext* context, const v1::JobRef* request,
                                    v1::JobStatus* response) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kClient); !status.ok()) {
    return status;
  }
  if (grpc::Status status = RequireJobId(request->job_id()); !status.ok()) return status;
  absl::StatusOr<JobSnapshot> snapshot = jobs_->Get(request->job_id());
  if (!snapshot.ok()) return ToGrpcStatus(snapshot.status());
  ToProtoWithHistory(*snapshot, response);
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::WatchJob(grpc::ServerContext* context,
                                      const v1::WatchJobRequest* request,
                                      grpc::ServerWriter<v1::JobStatus>* writer) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kClient); !status.ok()) {
    return status;
  }
  if (grpc::Status status = RequireJobId(request->job_id()); !status.ok()) return status;
  const absl::Duration interval =
      absl::Milliseconds(request->min_interval_ms() > 0 ? request->min_interval_ms() : 200);
  int64_t seen_version = -1;
  v1::JobStatus message;
  while (!context->IsCancelled()) {
    // Wake at least once a second to notice a client that went away.
    absl::StatusOr<JobSnapshot> snapshot =
        jobs_->AwaitChange(request->job_id(), seen_version, absl::Now() + absl::Seconds(1));
    if (!snapshot.ok()) return ToGrpcStatus(snapshot.status());
    if (snapshot->version == seen_version) continue;
    seen_version = snapshot->version;
    // The curve goes once, with the final status, not with every progress update.
    if (IsTerminal(snapshot->state)) {
      ToProtoWithHistory(*snapshot, &message);
    } else {
      ToProto(*snapshot, &message);
    }
    if (!writer->Write(message)) return grpc::Status::OK;  // the client left
    if (IsTerminal(snapshot->state)) return grpc::Status::OK;
    absl::SleepFor(interval);
  }
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::CancelJob(grpc::ServerContext* context, const v1::JobRef* request,
                                       v1::CancelJobResponse* response) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kClient); !status.ok()) {
    return status;
  }
  if (grpc::Status status = RequireJobId(request->job_id()); !status.ok()) return status;
  absl::StatusOr<JobSnapshot> snapshot = jobs_->Cancel(request->job_id());
  if (!snapshot.ok()) return ToGrpcStatus(snapshot.status());
  ToProto(*snapshot, response->mutable_status());
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::DeleteJob(grpc::ServerContext* context, const v1::JobRef* request,
                                       v1::DeleteJobResponse* response) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kClient); !status.ok()) {
    return status;
  }
  if (grpc::Status status = RequireJobId(request->job_id()); !status.ok()) return status;
  absl::StatusOr<std::vector<std::string>> removed = jobs_->Delete(request->job_id());
  if (!removed.ok()) return ToGrpcStatus(removed.status());
  for (const std::string& path : *removed) response->add_removed(path);
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::GetJobLog(grpc::ServerContext* context,
                                       const v1::JobLogRequest* request,
                                       grpc::ServerWriter<v1::JobLogEvent>* writer) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kClient); !status.ok()) {
    return status;
  }
  if (grpc::Status status = RequireJobId(request->job_id()); !status.ok()) return status;
  absl::StatusOr<std::shared_ptr<const JobEventLog>> log = jobs_->Log(request->job_id());
  if (!log.ok()) return ToGrpcStatus(log.status());
  int64_t seen = std::max<int64_t>(0, request->after());
  v1::JobLogEvent message;
  while (!context->IsCancelled()) {
    // Closed is read before the events: a log closed after its last event was read is done.
    const bool closed = (*log)->closed();
    for (const JobEvent& event : (*log)->Since(seen)) {
      message.set_number(event.number);
      message.set_unix_ms(event.unix_ms);
      message.set_text(event.text);
      if (!writer->Write(message)) return grpc::Status::OK;  // the client left
      seen = event.number;
    }
    if (!request->follow() || closed) return grpc::Status::OK;
    // Wake at least once a second to notice a client that went away.
    (*log)->AwaitAfter(seen, absl::Now() + absl::Seconds(1));
  }
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::GetResult(grpc::ServerContext* context, const v1::JobRef* request,
                                       grpc::ServerWriter<v1::ResultChunk>* writer) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kClient); !status.ok()) {
    return status;
  }
  if (grpc::Status status = RequireJobId(request->job_id()); !status.ok()) return status;
  absl::StatusOr<JobSnapshot> snapshot = jobs_->Get(request->job_id());
  if (!snapshot.ok()) return ToGrpcStatus(snapshot.status());
  if (!IsTerminal(snapshot->state)) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            absl::StrCat("job ", snapshot->job_id, " is ", JobStateName(snapshot->state),
                         "; its result is available once it ends (try: strads watch ",
                         snapshot->job_id, ")")};
  }
  if (snapshot->model_path.empty()) {
    return {grpc::StatusCode::NOT_FOUND,
            absl::StrCat("job ", snapshot->job_id, " ended without a model: ", snapshot->message)};
  }
  std::ifstream in(snapshot->model_path, std::ios::binary);
  if (!in) {
    return {grpc::StatusCode::DATA_LOSS,
            absl::StrCat("the model file '", snapshot->model_path, "' is missing")};
  }
  v1::ResultChunk chunk;
  ToProtoWithHistory(*snapshot, chunk.mutable_status());
  std::string buffer(kResultChunkBytes, '\0');
  bool first = true;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize got = in.gcount();
    if (got <= 0 && !first) break;
    chunk.set_model(buffer.data(), static_cast<size_t>(got));
    if (!writer->Write(chunk)) return grpc::Status::OK;
    chunk.clear_status();
    first = false;
  }
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::ListWorkers(grpc::ServerContext* context,
                                         const v1::ListWorkersRequest*,
                                         v1::ListWorkersResponse* response) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kClient); !status.ok()) {
    return status;
  }
  for (const WorkerPool::WorkerSummary& worker : pool_->Connected()) {
    v1::WorkerInfo* info = response->add_workers();
    info->set_worker_id(worker.id);
    info->set_name(worker.name);
    info->set_job_id(worker.job_id);
    info->set_connected_unix_ms(worker.connected_unix_ms);
  }
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::UploadData(grpc::ServerContext* context,
                                        grpc::ServerReader<v1::DataChunk>* reader,
                                        v1::UploadDataResponse* response) {
  if (grpc::Status status = CheckAccess(*access_, *context, Role::kClient); !status.ok()) {
    return status;
  }
  v1::DataChunk chunk;
  if (!reader->Read(&chunk)) return {grpc::StatusCode::INVALID_ARGUMENT, "empty upload"};
  absl::StatusOr<std::unique_ptr<DataUploads::Upload>> upload = uploads_->Start(chunk.file_name());
  if (!upload.ok()) return ToGrpcStatus(upload.status());
  do {
    if (absl::Status status = (*upload)->Append(chunk.data()); !status.ok()) {
      return ToGrpcStatus(status);
    }
  } while (reader->Read(&chunk));
  absl::StatusOr<std::string> path = (*upload)->Commit();
  if (!path.ok()) return ToGrpcStatus(path.status());
  response->set_path(*path);
  response->set_bytes((*upload)->bytes());
  return grpc::Status::OK;
}

}  // namespace strads::scheduler
