#include "client/job_client.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "client/model_files.h"
#include "core/limits.h"
#include "grpcpp/create_channel.h"
#include "protos/convert.h"
#include "protos/job_status_json.h"

namespace strads::client {
namespace {

constexpr auto kUnaryTimeout = std::chrono::seconds(30);

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + kUnaryTimeout);
}

void WithDeadline(grpc::ClientContext* context, const proto::ConnectionOptions& connection) {
  SetDeadline(context);
  proto::Authorize(context, connection);
}

}  // namespace

bool IsSchedulerRefusal(const absl::Status& status) {
  return status.GetPayload(kSchedulerRefusal).has_value();
}

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

std::string StateName(v1::JobState state) { return proto::JobStateName(state); }

absl::StatusOr<v1::JobState> StateFromName(const std::string& name) {
  std::string known;
  for (int i = v1::JobState_MIN + 1; i <= v1::JobState_MAX; ++i) {
    if (!v1::JobState_IsValid(i)) continue;
    const std::string candidate = StateName(static_cast<v1::JobState>(i));
    if (candidate == name) return static_cast<v1::JobState>(i);
    absl::StrAppend(&known, known.empty() ? "" : "|", candidate);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--state must be one of ", known, ", got '", name, "'"));
}

JobClient::JobClient(std::string server_address, proto::ConnectionOptions connection)
    : address_(std::move(server_address)), connection_(std::move(connection)) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(core::kMaxMessageBytes);
  stub_ = v1::JobService::NewStub(proto::MakeChannel(address_, connection_, args));
}

absl::Status JobClient::FromGrpc(const grpc::Status& status) const {
  if (status.ok()) return absl::OkStatus();
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
      status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    absl::Status refused(
        static_cast<absl::StatusCode>(status.error_code()),
        absl::StrCat("the scheduler at ", address_, " refused: ", status.error_message()));
    refused.SetPayload(kSchedulerRefusal, absl::Cord("1"));
    return refused;
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(absl::StrCat("cannot reach the scheduler at ", address_, ": ",
                                               status.error_message(),
                                               " (is strads-scheduler running? see --server)"));
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<std::string> JobClient::Submit(const core::JobSpec& spec) {
  grpc::ClientContext context;
  WithDeadline(&context, connection_);
  v1::SubmitJobRequest request;
  proto::ToProto(spec, request.mutable_spec());
  v1::SubmitJobResponse response;
  if (absl::Status status = FromGrpc(stub_->SubmitJob(&context, request, &response));
      !status.ok()) {
    return status;
  }
  return response.job_id();
}

absl::StatusOr<std::vector<v1::JobStatus>> JobClient::List(const std::vector<v1::JobState>& states,
                                                           int limit) {
  grpc::ClientContext context;
  WithDeadline(&context, connection_);
  v1::ListJobsRequest request;
  for (v1::JobState state : states) request.add_states(state);
  request.set_limit(limit);
  v1::ListJobsResponse response;
  if (absl::Status status = FromGrpc(stub_->ListJobs(&context, request, &response)); !status.ok()) {
    return status;
  }
  return std::vector<v1::JobStatus>(response.jobs().begin(), response.jobs().end());
}

absl::StatusOr<std::vector<v1::WorkerInfo>> JobClient::Workers() {
  grpc::ClientContext context;
  WithDeadline(&context, connection_);
  v1::ListWorkersResponse response;
  if (absl::Status status = FromGrpc(stub_->ListWorkers(&context, {}, &response)); !status.ok()) {
    return status;
  }
  return std::vector<v1::WorkerInfo>(response.workers().begin(), response.workers().end());
}

absl::StatusOr<v1::JobStatus> JobClient::Get(const std::string& job_id) {
  grpc::ClientContext context;
  WithDeadline(&context, connection_);
  v1::JobRef request;
  request.set_job_id(job_id);
  v1::JobStatus response;
  if (absl::Status status = FromGrpc(stub_->GetJob(&context, request, &response)); !status.ok()) {
    return status;
  }
  return response;
}

absl::StatusOr<v1::JobStatus> JobClient::Cancel(const std::string& job_id) {
  grpc::ClientContext context;
  WithDeadline(&context, connection_);
  v1::JobRef request;
  request.set_job_id(job_id);
  v1::CancelJobResponse response;
  if (absl::Status status = FromGrpc(stub_->CancelJob(&context, request, &response));
      !status.ok()) {
    return status;
  }
  return response.status();
}

absl::StatusOr<std::vector<std::string>> JobClient::Delete(const std::string& job_id) {
  grpc::ClientContext context;
  WithDeadline(&context, connection_);
  v1::JobRef request;
  request.set_job_id(job_id);
  v1::DeleteJobResponse response;
  if (absl::Status status = FromGrpc(stub_->DeleteJob(&context, request, &response));
      !status.ok()) {
    return status;
  }
  return std::vector<std::string>(response.removed().begin(), response.removed().end());
}

absl::Status JobClient::Logs(const std::string& job_id, bool follow,
                             const std::function<void(const v1::JobLogEvent&)>& on_event,
                             absl::Duration reconnect_for) {
  absl::Time last_answer = absl::Now();
  int64_t seen = 0;
  while (true) {
    grpc::ClientContext context;
    proto::Authorize(&context, connection_);
    if (!follow) SetDeadline(&context);
    v1::JobLogRequest request;
    request.set_job_id(job_id);
    request.set_follow(follow);
    request.set_after(seen);
    std::unique_ptr<grpc::ClientReader<v1::JobLogEvent>> reader =
        stub_->GetJobLog(&context, request);
    v1::JobLogEvent event;
    while (reader->Read(&event)) {
      on_event(event);
      seen = event.number();
      last_answer = absl::Now();
    }
    absl::Status ended = FromGrpc(reader->Finish());
    // A restarting scheduler ends the stream (UNAVAILABLE, or CANCELLED at shutdown): follow
    // the log again from the last event seen.
    const bool retryable = ended.code() == absl::StatusCode::kUnavailable ||
                           ended.code() == absl::StatusCode::kCancelled;
    if (!follow || !retryable || absl::Now() - last_answer > reconnect_for) return ended;
    absl::SleepFor(absl::Milliseconds(500));
  }
}

absl::StatusOr<v1::JobStatus> JobClient::Watch(
    const std::string& job_id, int min_interval_ms,
    const std::function<void(const v1::JobStatus&)>& on_status, absl::Duration reconnect_for,
    const std::function<void(const absl::Status&)>& on_retry, absl::Time deadline) {
  absl::Time last_answer = absl::Now();
  absl::Duration backoff = absl::Milliseconds(200);
  auto timed_out = [&] {
    return absl::DeadlineExceededError(
        absl::StrCat("job ", job_id, " had not ended when the watch's timeout passed"));
  };
  while (true) {
    if (absl::Now() >= deadline) return timed_out();
    grpc::ClientContext context;
    proto::Authorize(&context, connection_);
    if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
    v1::WatchJobRequest request;
    request.set_job_id(job_id);
    request.set_min_interval_ms(min_interval_ms);
    std::unique_ptr<grpc::ClientReader<v1::JobStatus>> reader = stub_->WatchJob(&context, request);
    v1::JobStatus status;
    while (reader->Read(&status)) {
      on_status(status);
      last_answer = absl::Now();
      backoff = absl::Milliseconds(200);
      if (IsTerminal(status.state())) {
        context.TryCancel();  // nothing more to hear
        reader->Finish().ok();
        return status;
      }
    }
    grpc::Status finished = reader->Finish();
    if (finished.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && absl::Now() >= deadline) {
      return timed_out();
    }
    absl::Status ended = FromGrpc(finished);
    if (ended.ok()) {
      ended = absl::UnavailableError(
          absl::StrCat("the watch of ", job_id, " ended before the job did"));
    }
    // A scheduler that restarts closes its streams (UNAVAILABLE, or CANCELLED at shutdown) and
    // comes back with the job resumed; anything else (unknown job, refused token) is final.
    const bool retryable = ended.code() == absl::StatusCode::kUnavailable ||
                           ended.code() == absl::StatusCode::kCancelled;
    if (!retryable || absl::Now() - last_answer + backoff > reconnect_for) return ended;
    if (on_retry) on_retry(ended);
    absl::SleepFor(std::min(backoff, deadline - absl::Now()));
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

absl::StatusOr<v1::JobStatus> JobClient::DownloadResult(const std::string& job_id,
                                                        std::ostream& out) {
  grpc::ClientContext context;
  proto::Authorize(&context, connection_);
  v1::JobRef request;
  request.set_job_id(job_id);
  std::unique_ptr<grpc::ClientReader<v1::ResultChunk>> reader = stub_->GetResult(&context, request);
  v1::ResultChunk chunk;
  v1::JobStatus job;
  int write_error = 0;
  while (reader->Read(&chunk)) {
    if (chunk.has_status()) job = chunk.status();
    out.write(chunk.model().data(), static_cast<std::streamsize>(chunk.model().size()));
    if (!out) {
      write_error = errno;  // before gRPC calls can change it
      context.TryCancel();
      break;
    }
  }
  grpc::Status finished = reader->Finish();
  if (write_error != 0) return absl::DataLossError(std::strerror(write_error));
  if (absl::Status status = FromGrpc(finished); !status.ok()) return status;
  return job;
}

absl::StatusOr<v1::JobStatus> JobClient::DownloadResultToFile(const std::string& job_id,
                                                              const std::string& file,
                                                              const std::string& user_path) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) return WriteError(user_path, errno);
  absl::StatusOr<v1::JobStatus> status = DownloadResult(job_id, out);
  const bool write_failed = !out;
  out.close();
  const int close_error = errno;
  if (status.ok() && out) return status;
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
  if (write_failed) return WriteError(user_path, status.status().message());
  if (!status.ok()) return status.status();
  return WriteError(user_path, close_error);
}

absl::StatusOr<v1::JobStatus> JobClient::DownloadResult(const std::string& job_id,
                                                        const std::string& model_path) {
  const std::string temporary = model_path + ".part";
  absl::StatusOr<v1::JobStatus> status = DownloadResultToFile(job_id, temporary, model_path);
  if (!status.ok()) return status;
  std::error_code error;
  std::filesystem::rename(temporary, model_path, error);
  if (error) return WriteError(model_path, error.message());
  return status;
}

absl::StatusOr<std::string> JobClient::Upload(const std::string& local_path) {
  std::ifstream in(local_path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot open '", local_path, "' to upload it"));
  }
  grpc::ClientContext context;
  proto::Authorize(&context, connection_);
  v1::UploadDataResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::DataChunk>> writer =
      stub_->UploadData(&context, &response);
  v1::DataChunk chunk;
  chunk.set_file_name(std::filesystem::path(local_path).filename().string());
  std::string buffer(1 << 20, '\0');
  bool first = true;
  while (in || first) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    chunk.set_data(buffer.data(), static_cast<size_t>(in.gcount()));
    if (!writer->Write(chunk)) break;  // the server ended the call; Finish says why
    chunk.clear_file_name();
    first = false;
  }
  writer->WritesDone();
  if (absl::Status status = FromGrpc(writer->Finish()); !status.ok()) {
    absl::Status named(status.code(),
                       absl::StrCat("uploading '", local_path, "': ", status.message()));
    if (IsSchedulerRefusal(status)) named.SetPayload(kSchedulerRefusal, absl::Cord("1"));
    return named;
  }
  return response.path();
}

}  // namespace strads::client
