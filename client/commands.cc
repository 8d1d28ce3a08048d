#include "client/commands.h"

#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/job_client.h"
#include "client/job_report.h"
#include "client/local_cluster.h"
#include "client/model_files.h"

namespace strads::client {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "strads: " << status.message() << "\n";
  return 1;
}

int ExitCodeFor(const v1::JobStatus& status) {
  switch (status.state()) {
    case v1::JOB_STATE_SUCCEEDED:
      return 0;
    case v1::JOB_STATE_CANCELLED:
      return 3;
    default:
      return 1;
  }
}

absl::Status WriteSummary(const std::string& path, const nlohmann::json& summary) {
  std::ofstream out(path, std::ios::trunc);
  out << summary.dump(2) << "\n";
  out.close();
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write '", path, "'"));
  return absl::OkStatus();
}

// Follows the job until it ends, printing a progress line at most once per interval and on every
// change of state.
absl::StatusOr<v1::JobStatus> FollowJob(JobClient& client, const std::string& job_id,
                                        const OutputOptions& output) {
  absl::Time last_print = absl::InfinitePast();
  v1::JobState last_state = v1::JOB_STATE_UNSPECIFIED;
  std::string last_message;
  const bool show = !output.quiet && !output.json;
  return client.Watch(job_id, 200, [&](const v1::JobStatus& status) {
    if (!show) return;
    absl::Time now = absl::Now();
    bool changed = status.state() != last_state || status.message() != last_message;
    if (changed || IsTerminal(status.state()) ||
        now - last_print >= absl::Seconds(output.progress_interval_seconds)) {
      std::cout << ProgressLine(status) << "\n" << std::flush;
      last_print = now;
      last_state = status.state();
      last_message = status.message();
    }
  });
}

// Downloads what was asked for, prints the final report (or JSON), and returns the exit code.
int Conclude(JobClient& client, const v1::JobStatus& final_status, const ResultFiles& files,
             const OutputOptions& output) {
  std::vector<std::string> model_files;
  bool has_model = final_status.state() != v1::JOB_STATE_FAILED;
  if (!files.model_out.empty() && has_model) {
    const std::string downloaded = files.model_out + ".download";
    absl::StatusOr<v1::JobStatus> status = client.DownloadResult(final_status.job_id(), downloaded);
    if (!status.ok()) return Fail(status.status());
    absl::StatusOr<std::vector<std::string>> placed =
        PlaceModelFiles(final_status.spec().app(), downloaded, files.model_out);
    if (!placed.ok()) return Fail(placed.status());
    model_files = *std::move(placed);
  }
  const std::string model_path = absl::StrJoin(model_files, " ");
  nlohmann::json summary = SummaryJson(final_status, model_path);
  if (!model_files.empty()) summary["model_files"] = model_files;
  if (!files.summary_json.empty()) {
    if (absl::Status status = WriteSummary(files.summary_json, summary); !status.ok()) {
      return Fail(status);
    }
  }
  if (output.json) {
    std::cout << summary.dump(2) << "\n";
  } else {
    std::cout << FinalReport(final_status, model_path);
    if (!files.summary_json.empty())
      std::cout << "  summary              " << files.summary_json << "\n";
  }
  if (final_status.state() == v1::JOB_STATE_FAILED) {
    std::cerr << "strads: job " << final_status.job_id() << " failed: " << final_status.message()
              << "\n";
  }
  return ExitCodeFor(final_status);
}

int SubmitAndFollow(JobClient& client, const core::JobSpec& spec, const ResultFiles& files,
                    const OutputOptions& output) {
  absl::StatusOr<std::string> job_id = client.Submit(spec);
  if (!job_id.ok()) return Fail(job_id.status());
  if (!output.json && !output.quiet) {
    std::cout << "submitted " << *job_id << " (" << spec.app << " on " << spec.data_path << ", "
              << spec.workers << " workers) to " << client.address() << "\n";
  }
  absl::StatusOr<v1::JobStatus> final_status = FollowJob(client, *job_id, output);
  if (!final_status.ok()) return Fail(final_status.status());
  return Conclude(client, *final_status, files, output);
}

}  // namespace

std::string DefaultModelOut(const std::string& app, const std::string& stem) {
  return app == "mf" ? stem + "-model" : stem + "-model.txt";
}

int RunLocal(const core::JobSpec& spec, const ResultFiles& files, const OutputOptions& output) {
  LocalClusterOptions options;
  options.workers = std::max(1, spec.workers);
  LocalCluster cluster(options);
  if (absl::Status status = cluster.Start(); !status.ok()) return Fail(status);
  if (!output.json && !output.quiet) {
    std::cout << "local cluster: scheduler on " << cluster.address() << ", " << options.workers
              << " workers\n";
  }
  JobClient client(cluster.address());
  int code = SubmitAndFollow(client, spec, files, output);
  cluster.Stop();
  return code;
}

int Submit(const Endpoint& server, core::JobSpec spec, bool watch, bool upload,
           const ResultFiles& files, const OutputOptions& output) {
  JobClient client(server.address, server.connection);
  if (upload) {
    for (std::string* path : {&spec.data_path, &spec.test_path}) {
      if (path->empty()) continue;
      absl::StatusOr<std::string> uploaded = client.Upload(*path);
      if (!uploaded.ok()) return Fail(uploaded.status());
      if (!output.json && !output.quiet) {
        std::cout << "uploaded " << *path << " to " << *uploaded << "\n";
      }
      *path = *uploaded;
    }
  }
  if (watch) return SubmitAndFollow(client, spec, files, output);
  absl::StatusOr<std::string> job_id = client.Submit(spec);
  if (!job_id.ok()) return Fail(job_id.status());
  if (output.json) {
    std::cout << nlohmann::json{{"job_id", *job_id}}.dump() << "\n";
  } else {
    std::cout << *job_id << "\n";
  }
  return 0;
}

int ListJobs(const Endpoint& server, const OutputOptions& output) {
  JobClient client(server.address, server.connection);
  absl::StatusOr<std::vector<v1::JobStatus>> jobs = client.List();
  if (!jobs.ok()) return Fail(jobs.status());
  if (output.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const v1::JobStatus& job : *jobs) list.push_back(SummaryJson(job, ""));
    std::cout << list.dump(2) << "\n";
  } else {
    std::cout << JobsTable(*jobs);
  }
  return 0;
}

int ListWorkers(const Endpoint& server, const OutputOptions& output) {
  JobClient client(server.address, server.connection);
  absl::StatusOr<std::vector<v1::WorkerInfo>> workers = client.Workers();
  if (!workers.ok()) return Fail(workers.status());
  if (output.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const v1::WorkerInfo& worker : *workers) {
      list.push_back({{"worker_id", worker.worker_id()},
                      {"name", worker.name()},
                      {"job_id", worker.job_id()},
                      {"connected_unix_ms", worker.connected_unix_ms()}});
    }
    std::cout << list.dump(2) << "\n";
  } else {
    std::cout << WorkersTable(*workers);
  }
  return 0;
}

int ShowStatus(const Endpoint& server, const std::string& job_id, const OutputOptions& output) {
  JobClient client(server.address, server.connection);
  absl::StatusOr<v1::JobStatus> status = client.Get(job_id);
  if (!status.ok()) return Fail(status.status());
  if (output.json) {
    std::cout << SummaryJson(*status, "").dump(2) << "\n";
  } else {
    std::cout << FinalReport(*status, "");
  }
  return 0;
}

int Watch(const Endpoint& server, const std::string& job_id, const ResultFiles& files,
          const OutputOptions& output) {
  JobClient client(server.address, server.connection);
  absl::StatusOr<v1::JobStatus> final_status = FollowJob(client, job_id, output);
  if (!final_status.ok()) return Fail(final_status.status());
  return Conclude(client, *final_status, files, output);
}

int Cancel(const Endpoint& server, const std::string& job_id, const OutputOptions& output) {
  JobClient client(server.address, server.connection);
  absl::StatusOr<v1::JobStatus> status = client.Cancel(job_id);
  if (!status.ok()) return Fail(status.status());
  if (output.json) {
    std::cout << SummaryJson(*status, "").dump(2) << "\n";
  } else {
    std::cout << job_id << ": " << StateName(status->state())
              << (IsTerminal(status->state()) ? "" : " (cancellation requested)") << "\n";
  }
  return 0;
}

int Result(const Endpoint& server, const std::string& job_id, const ResultFiles& files,
           const OutputOptions& output) {
  JobClient client(server.address, server.connection);
  absl::StatusOr<v1::JobStatus> status = client.Get(job_id);
  if (!status.ok()) return Fail(status.status());
  if (!IsTerminal(status->state())) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("job ", job_id, " is ", StateName(status->state()),
                     "; its result is available once it ends (strads watch ", job_id, ")")));
  }
  ResultFiles result_files = files;
  if (result_files.model_out.empty()) {
    result_files.model_out = DefaultModelOut(status->spec().app(), job_id);
  }
  return Conclude(client, *status, result_files, output);
}

}  // namespace strads::client
