#include "client/commands.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "apps/registry.h"
#include "client/convergence_plot.h"
#include "client/interrupt.h"
#include "client/job_client.h"
#include "client/job_flags.h"
#include "client/job_report.h"
#include "client/local_cluster.h"
#include "client/model_files.h"

namespace strads::client {

int ExitCodeOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitSuccess;
    case absl::StatusCode::kUnavailable:
      return kExitUnreachable;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      // The scheduler refusing the token, not a local file the CLI may not read or write.
      return IsSchedulerRefusal(status) ? kExitUnreachable : kExitFailed;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return kExitUsage;
    case absl::StatusCode::kDeadlineExceeded:
      return kExitTimeout;
    default:
      return kExitFailed;
  }
}

int Fail(const absl::Status& status) {
  std::cerr << "strads: " << status.message() << "\n";
  return ExitCodeOf(status);
}

namespace {

int ExitCodeFor(const v1::JobStatus& status) {
  switch (status.state()) {
    case v1::JOB_STATE_SUCCEEDED:
      return kExitSuccess;
    case v1::JOB_STATE_CANCELLED:
      return kExitCancelled;
    default:
      return kExitFailed;
  }
}

absl::Status WriteSummary(const std::string& path, const nlohmann::json& summary) {
  return WriteFileReplacing(path, summary.dump(2) + "\n");
}

// The result files must be writable before a job runs (or is followed), not found unwritable
// once its result is ready. For an app whose model is several files --model-out is a prefix, not
// a file; for `watch` the app is not known yet, and the prefix check (the directory only) is the
// one that holds for every app.
// With the job's spec (run, submit), none of them may be one of its input files either.
absl::Status CheckResultFiles(const ResultFiles& files, bool model_is_prefix,
                              const core::JobSpec* spec = nullptr) {
  auto check = [&](absl::string_view flag, const std::string& path, bool is_prefix) {
    if (path.empty()) return absl::OkStatus();
    if (absl::Status status = CheckCanWrite(flag, path, is_prefix); !status.ok()) return status;
    if (spec == nullptr) return absl::OkStatus();
    const InputFiles inputs = {
        {"--data", spec->data_path}, {"--test", spec->test_path}, {"--labels", spec->labels_path}};
    if (!is_prefix) return CheckNotAnInput(flag, path, inputs);
    // Each file the prefix becomes must not be an input either.
    for (const auto& [part_flag, file] :
         ModelPartInputs(flag, apps::ModelOutputOf(spec->app), path)) {
      if (absl::Status status = CheckNotAnInput(part_flag, file, inputs); !status.ok()) {
        return status;
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status status = check("--model-out", files.model_out, model_is_prefix); !status.ok()) {
    return status;
  }
  if (absl::Status status = check("--plot", files.plot_svg, false); !status.ok()) return status;
  return check("--summary-json", files.summary_json, false);
}

// Downloads the model next to `model_out` and puts its files in place; errors name the user's
// path, not the temporary file.
absl::StatusOr<std::vector<std::string>> DownloadModel(JobClient& client, const v1::JobStatus& job,
                                                       const std::string& model_out) {
  const std::string downloaded = model_out + ".download";
  absl::StatusOr<v1::JobStatus> status =
      client.DownloadResultToFile(job.job_id(), downloaded, model_out);
  if (!status.ok()) return status.status();
  return PlaceModelFiles(job.spec().app(), downloaded, model_out);
}

// How long a watch of a long-running cluster waits for a scheduler that went away (a restart
// resumes the job from its checkpoint) before giving up.
constexpr absl::Duration kReconnectFor = absl::Seconds(60);

// Follows the job until it ends, printing a progress line at most once per interval and on every
// change of state. With `reconnect_for` > 0 a scheduler restart is waited out (said once on
// stderr per outage).
absl::StatusOr<v1::JobStatus> FollowJob(JobClient& client, const std::string& job_id,
                                        const OutputOptions& output, absl::Duration reconnect_for,
                                        absl::Time deadline = absl::InfiniteFuture()) {
  absl::Time last_print = absl::InfinitePast();
  v1::JobState last_state = v1::JOB_STATE_UNSPECIFIED;
  std::string last_message;
  const bool show = !output.quiet && !output.json;
  bool retrying = false;
  auto on_retry = [&](const absl::Status& why) {
    if (retrying) return;
    retrying = true;
    std::cerr << "strads: lost the scheduler (" << why.message() << "); retrying for up to "
              << absl::FormatDuration(reconnect_for)
              << " (a restarted scheduler resumes the job)\n";
  };
  return client.Watch(
      job_id, 200,
      [&](const v1::JobStatus& status) {
        retrying = false;
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
      },
      reconnect_for, on_retry, deadline);
}

// Downloads what was asked for, prints the final report (or JSON), and returns the exit code.
int Conclude(JobClient& client, const v1::JobStatus& final_status, const ResultFiles& files,
             const OutputOptions& output) {
  std::vector<std::string> model_files;
  bool has_model = final_status.state() != v1::JOB_STATE_FAILED;
  if (!files.model_out.empty() && has_model) {
    absl::StatusOr<std::vector<std::string>> placed =
        DownloadModel(client, final_status, files.model_out);
    if (placed.ok()) {
      model_files = *std::move(placed);
    } else if (final_status.state() == v1::JOB_STATE_CANCELLED &&
               absl::IsNotFound(placed.status())) {
      // Cancelled before its first round (e.g. while waiting for workers): no model, no error.
      std::cerr << "strads: " << placed.status().message() << "; no model written\n";
    } else {
      return Fail(placed.status());
    }
  }
  const std::string model_path = absl::StrJoin(model_files, " ");
  nlohmann::json summary = SummaryJson(final_status, model_path);
  if (!model_files.empty()) summary["model_files"] = model_files;
  if (!files.summary_json.empty()) {
    if (absl::Status status = WriteSummary(files.summary_json, summary); !status.ok()) {
      return Fail(status);
    }
  }
  if (!files.plot_svg.empty()) {
    if (absl::Status status = WriteConvergencePlot({SourceFromStatus(final_status)},
                                                   final_status.job_id(), files.plot_svg);
        !status.ok()) {
      // The job's result is still good: say why there is no picture, and go on.
      std::cerr << "strads: --plot " << files.plot_svg << ": " << status.message() << "\n";
    }
  }
  if (output.json) {
    std::cout << summary.dump(2) << "\n";
  } else {
    std::cout << FinalReport(final_status, model_path);
    if (!files.summary_json.empty())
      std::cout << "  summary              " << files.summary_json << "\n";
    if (!files.plot_svg.empty()) std::cout << "  plot                 " << files.plot_svg << "\n";
  }
  if (final_status.state() == v1::JOB_STATE_FAILED) {
    std::cerr << "strads: job " << final_status.job_id() << " failed: " << final_status.message()
              << "\n";
  }
  return ExitCodeFor(final_status);
}

absl::StatusOr<std::string> SubmitAnnounced(JobClient& client, const core::JobSpec& spec,
                                            const OutputOptions& output) {
  absl::StatusOr<std::string> job_id = client.Submit(spec);
  if (!job_id.ok()) return NameFlagsIn(spec.app, job_id.status());
  if (!output.json && !output.quiet) {
    std::cout << "submitted " << *job_id << " (" << spec.app << " on " << spec.data_path << ", "
              << spec.workers << " workers) to " << client.address() << "\n";
  }
  return job_id;
}

int SubmitAndFollow(JobClient& client, const core::JobSpec& spec, const ResultFiles& files,
                    const OutputOptions& output) {
  absl::StatusOr<std::string> job_id = SubmitAnnounced(client, spec, output);
  if (!job_id.ok()) return Fail(job_id.status());
  absl::StatusOr<v1::JobStatus> final_status = FollowJob(client, *job_id, output, kReconnectFor);
  if (!final_status.ok()) return Fail(final_status.status());
  return Conclude(client, *final_status, files, output);
}

// Once `interrupt` is requested, cancels every unfinished job of the embedded cluster (there is
// one, perhaps not yet submitted when the signal came), until destroyed.
class JobCanceller {
 public:
  JobCanceller(const std::string& address, const InterruptCatcher* interrupt)
      : client_(address), interrupt_(interrupt), thread_([this] { Loop(); }) {}
  ~JobCanceller() {
    done_.Notify();
    thread_.join();
  }

 private:
  void Loop() {
    while (!done_.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
      if (!interrupt_->requested()) continue;
      absl::StatusOr<std::vector<v1::JobStatus>> jobs = client_.List();
      if (!jobs.ok()) continue;
      for (const v1::JobStatus& job : *jobs) {
        if (!IsTerminal(job.state())) client_.Cancel(job.job_id()).IgnoreError();
      }
    }
  }

  JobClient client_;
  const InterruptCatcher* interrupt_;
  absl::Notification done_;
  std::thread thread_;
};

int Interrupted(LocalCluster& cluster) {
  cluster.Stop();
  std::cerr << "strads: interrupted; job cancelled\n";
  return kExitCancelled;
}

}  // namespace

std::string DefaultModelOut(const std::string& app, const std::string& stem) {
  return stem + std::string(apps::ModelOutputOf(app).default_suffix);
}

int RunLocal(const core::JobSpec& spec, const ResultFiles& files, const OutputOptions& output) {
  if (absl::Status status =
          CheckResultFiles(files, apps::ModelOutputOf(spec.app).is_prefix(), &spec);
      !status.ok()) {
    return Fail(status);
  }
  InterruptCatcher interrupt;
  LocalClusterOptions options;
  options.workers = std::max(1, spec.workers);
  LocalCluster cluster(options);
  if (absl::Status status = cluster.Start(); !status.ok()) return Fail(status);
  if (interrupt.requested()) return Interrupted(cluster);
  if (!output.json && !output.quiet) {
    std::cout << "local cluster: scheduler on " << cluster.address() << ", " << options.workers
              << " workers\n";
  }
  JobClient client(cluster.address());
  absl::StatusOr<v1::JobStatus> final_status;
  {
    JobCanceller canceller(cluster.address(), &interrupt);
    absl::StatusOr<std::string> job_id = SubmitAnnounced(client, spec, output);
    // The embedded scheduler cannot restart: no point waiting for it.
    final_status =
        job_id.ok() ? FollowJob(client, *job_id, output, absl::ZeroDuration()) : job_id.status();
  }
  if (interrupt.requested()) return Interrupted(cluster);
  if (!final_status.ok()) return Fail(final_status.status());
  int code = Conclude(client, *final_status, files, output);
  cluster.Stop();
  return code;
}

int Submit(const Endpoint& server, core::JobSpec spec, bool watch, bool upload,
           const ResultFiles& files, const OutputOptions& output) {
  if (watch) {
    if (absl::Status status =
            CheckResultFiles(files, apps::ModelOutputOf(spec.app).is_prefix(), &spec);
        !status.ok()) {
      return Fail(status);
    }
  }
  JobClient client(server.address, server.connection);
  if (upload && spec.params.contains("data_access") && spec.params.at("data_access") == "shared") {
    // The uploaded copy lives in the scheduler's data directory, which it serves.
    return Fail(absl::InvalidArgumentError(
        "--upload sends the data to the scheduler, which then serves it to the workers; drop "
        "--data-access shared (or drop --upload and give a path every worker reads)"));
  }
  if (upload) {
    for (std::string* path : {&spec.data_path, &spec.test_path, &spec.labels_path}) {
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
  if (!job_id.ok()) return Fail(NameFlagsIn(spec.app, job_id.status()));
  if (output.json) {
    std::cout << nlohmann::json{{"job_id", *job_id}}.dump() << "\n";
  } else {
    std::cout << *job_id << "\n";
  }
  return 0;
}

int ListJobs(const Endpoint& server, const std::vector<std::string>& states, int limit,
             const OutputOptions& output) {
  std::vector<v1::JobState> wanted;
  for (const std::string& name : states) {
    absl::StatusOr<v1::JobState> state = StateFromName(name);
    if (!state.ok()) return Fail(state.status());
    wanted.push_back(*state);
  }
  JobClient client(server.address, server.connection);
  absl::StatusOr<std::vector<v1::JobStatus>> jobs = client.List(wanted, limit);
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
          const OutputOptions& output, double timeout_seconds) {
  if (absl::Status status = CheckResultFiles(files, true); !status.ok()) return Fail(status);
  JobClient client(server.address, server.connection);
  const absl::Time deadline =
      timeout_seconds > 0 ? absl::Now() + absl::Seconds(timeout_seconds) : absl::InfiniteFuture();
  absl::StatusOr<v1::JobStatus> final_status =
      FollowJob(client, job_id, output, kReconnectFor, deadline);
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

int Delete(const Endpoint& server, const std::string& job_id, const OutputOptions& output) {
  JobClient client(server.address, server.connection);
  absl::StatusOr<std::vector<std::string>> removed = client.Delete(job_id);
  if (!removed.ok()) return Fail(removed.status());
  if (output.json) {
    std::cout << nlohmann::json{{"job_id", job_id}, {"removed", *removed}}.dump(2) << "\n";
  } else if (!output.quiet) {
    std::cout << "deleted " << job_id << " (" << removed->size()
              << (removed->size() == 1 ? " path" : " paths") << " removed on the scheduler)\n";
  }
  return kExitSuccess;
}

int Logs(const Endpoint& server, const std::string& job_id, bool follow,
         const OutputOptions& output) {
  JobClient client(server.address, server.connection);
  int64_t last = 0;
  absl::Status status = client.Logs(
      job_id, follow,
      [&](const v1::JobLogEvent& event) {
        if (output.json) {
          std::cout << nlohmann::json{{"number", event.number()},
                                      {"unix_ms", event.unix_ms()},
                                      {"text", event.text()}}
                           .dump()
                    << "\n";
        } else {
          // The log keeps its newest lines; say where older ones were dropped.
          if (event.number() > last + 1) {
            std::cout << "(" << event.number() - last - 1 << " earlier events dropped)\n";
          }
          std::cout << LogLine(event) << "\n";
        }
        std::cout << std::flush;
        last = event.number();
      },
      kReconnectFor);
  if (!status.ok()) return Fail(status);
  return kExitSuccess;
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
  if (absl::Status checked =
          CheckResultFiles(result_files, apps::ModelOutputOf(status->spec().app()).is_prefix());
      !checked.ok()) {
    return Fail(checked);
  }
  return Conclude(client, *status, result_files, output);
}

int Plot(const Endpoint& server, const std::vector<std::string>& job_ids,
         const std::vector<std::string>& summaries, const std::string& out,
         const std::string& title, const OutputOptions& output) {
  if (job_ids.empty() && summaries.empty()) {
    return Fail(absl::InvalidArgumentError("plot: give a JOB id or --summary FILE (or several)"));
  }
  if (absl::Status status = CheckCanWrite("--out", out, false); !status.ok()) return Fail(status);
  std::vector<PlotSource> sources;
  if (!job_ids.empty()) {
    JobClient client(server.address, server.connection);
    for (const std::string& job_id : job_ids) {
      absl::StatusOr<v1::JobStatus> status = client.Get(job_id);
      if (!status.ok()) return Fail(status.status());
      sources.push_back(SourceFromStatus(*status));
    }
  }
  for (const std::string& path : summaries) {
    absl::StatusOr<PlotSource> source = ReadSummarySource(path);
    if (!source.ok()) return Fail(source.status());
    sources.push_back(*std::move(source));
  }
  std::string picture_title = title;
  if (picture_title.empty() && sources.size() == 1) picture_title = sources.front().label;
  if (absl::Status status = WriteConvergencePlot(sources, picture_title, out); !status.ok()) {
    return Fail(status);
  }
  if (output.json) {
    nlohmann::json json = {{"out", out}, {"series", nlohmann::json::array()}};
    for (const PlotSource& source : sources) {
      json["series"].push_back({{"label", source.label}, {"points", source.history.size()}});
    }
    std::cout << json.dump(2) << "\n";
  } else if (!output.quiet) {
    std::cout << "wrote " << out << " (" << sources.size()
              << (sources.size() == 1 ? " series)\n" : " series)\n");
  }
  return kExitSuccess;
}

}  // namespace strads::client
