// The CLI's connection to a scheduler's JobService: submit, list, watch, cancel and download,
// with gRPC failures turned into messages a user can act on.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/job_spec.h"
#include "protos/connection.h"
#include "strads/v1/strads.grpc.pb.h"

namespace strads::client {

class JobClient {
 public:
  explicit JobClient(std::string server_address, proto::ConnectionOptions connection = {});

  absl::StatusOr<std::string> Submit(const core::JobSpec& spec);
  // Jobs in one of `states` (all when empty), only the newest `limit` (all when 0).
  absl::StatusOr<std::vector<v1::JobStatus>> List(const std::vector<v1::JobState>& states = {},
                                                  int limit = 0);
  absl::StatusOr<v1::JobStatus> Get(const std::string& job_id);
  absl::StatusOr<v1::JobStatus> Cancel(const std::string& job_id);
  // Deletes a finished job and its files; returns the paths removed on the scheduler.
  absl::StatusOr<std::vector<std::string>> Delete(const std::string& job_id);
  // Calls `on_event` for every event of the job's log; with `follow`, until the job ends (a
  // scheduler restart is waited out for up to `reconnect_for`, resuming after the last event).
  absl::Status Logs(const std::string& job_id, bool follow,
                    const std::function<void(const v1::JobLogEvent&)>& on_event,
                    absl::Duration reconnect_for = absl::ZeroDuration());
  // Calls `on_status` for every update until the job ends; returns the final status. When the
  // scheduler goes away (a restart) the watch is opened again, for up to `reconnect_for` since
  // the last answer, calling `on_retry` with the reason before each new attempt; zero (the
  // default) gives up at once. Once `deadline` passes with the job unfinished it returns
  // DeadlineExceeded (and only then: a scheduler that does not answer is Unavailable).
  absl::StatusOr<v1::JobStatus> Watch(
      const std::string& job_id, int min_interval_ms,
      const std::function<void(const v1::JobStatus&)>& on_status,
      absl::Duration reconnect_for = absl::ZeroDuration(),
      const std::function<void(const absl::Status&)>& on_retry = nullptr,
      absl::Time deadline = absl::InfiniteFuture());
  // Writes the finished job's model to `model_path` (via a temporary file and a rename).
  absl::StatusOr<v1::JobStatus> DownloadResult(const std::string& job_id,
                                               const std::string& model_path);
  // Writes the finished job's model to `file`, removed again on failure; errors name
  // `user_path` (what the user asked for), not `file` (a temporary name beside it).
  absl::StatusOr<v1::JobStatus> DownloadResultToFile(const std::string& job_id,
                                                     const std::string& file,
                                                     const std::string& user_path);
  // Writes the finished job's model to `out`. A failed write stops the download with the OS
  // reason as the message, leaving `out` failed: the caller, who knows the file, names it.
  absl::StatusOr<v1::JobStatus> DownloadResult(const std::string& job_id, std::ostream& out);

  absl::StatusOr<std::vector<v1::WorkerInfo>> Workers();
  // Sends a local file to the scheduler's data directory; returns its path there.
  absl::StatusOr<std::string> Upload(const std::string& local_path);

  const std::string& address() const { return address_; }

 private:
  absl::Status FromGrpc(const grpc::Status& status) const;

  std::string address_;
  proto::ConnectionOptions connection_;
  std::unique_ptr<v1::JobService::Stub> stub_;
};

// Marks a status as the scheduler's refusal of the caller (UNAUTHENTICATED, PERMISSION_DENIED),
// as opposed to a local file the CLI may not read or write.
inline constexpr char kSchedulerRefusal[] = "strads.dev/scheduler-refusal";
bool IsSchedulerRefusal(const absl::Status& status);

bool IsTerminal(v1::JobState state);
// "succeeded", "running", ...
std::string StateName(v1::JobState state);
// The state named as StateName writes it; InvalidArgument naming the known ones otherwise.
absl::StatusOr<v1::JobState> StateFromName(const std::string& name);

}  // namespace strads::client
