// The CLI's commands, each returning the process exit code (ExitCode below). Messages go to
// stderr as one line: "strads: <what went wrong>".
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/job_spec.h"
#include "protos/connection.h"

namespace strads::client {

// Exit codes that scripts can tell apart, the same for every command.
enum ExitCode : int {
  kExitSuccess = 0,
  kExitFailed = 1,       // the job failed, or the command did (e.g. a file could not be written)
  kExitUsage = 2,        // bad usage: a flag, value or job id the command or scheduler refuses
  kExitCancelled = 3,    // the job was cancelled
  kExitUnreachable = 4,  // the scheduler cannot be reached, or refused the token (auth)
  kExitTimeout = 5,      // `watch --timeout` passed with the job still unfinished
};
// The exit code of a command that ended with `status` (not OK).
int ExitCodeOf(const absl::Status& status);

// A scheduler to talk to: its address and how to connect (TLS, token).
struct Endpoint {
  std::string address;
  proto::ConnectionOptions connection;
};

struct OutputOptions {
  bool json = false;   // machine-readable output on stdout instead of tables and progress
  bool quiet = false;  // no progress lines
  double progress_interval_seconds = 1.0;
};

struct ResultFiles {
  std::string model_out;     // where to write the model; empty = do not download
  std::string summary_json;  // where to write the summary JSON; empty = do not write
  std::string plot_svg;      // where to draw the convergence curves (SVG); empty = do not draw
};

// Prints "strads: <message>" to stderr and returns ExitCodeOf(status).
int Fail(const absl::Status& status);

// Where a model goes when --model-out is not given: "<stem>" and the app's default suffix
// ("-model.txt", or "-model" for an app whose --model-out is a prefix).
std::string DefaultModelOut(const std::string& app, const std::string& stem);

// Starts an in-process cluster (scheduler + `spec.workers` workers on loopback), runs the job to
// the end with progress, writes the result files, and stops the cluster.
int RunLocal(const core::JobSpec& spec, const ResultFiles& files, const OutputOptions& output);
// With `upload`, the data files are first sent to the scheduler's data directory (for a
// scheduler that cannot see this machine's files).
int Submit(const Endpoint& server, core::JobSpec spec, bool watch, bool upload,
           const ResultFiles& files, const OutputOptions& output);
// `states` are state names as `strads jobs --state` takes them ("running", "succeeded", ...).
int ListJobs(const Endpoint& server, const std::vector<std::string>& states, int limit,
             const OutputOptions& output);
int ListWorkers(const Endpoint& server, const OutputOptions& output);
int ShowStatus(const Endpoint& server, const std::string& job_id, const OutputOptions& output);
// `timeout_seconds` > 0: gives up (kExitTimeout) when the job has not ended by then.
int Watch(const Endpoint& server, const std::string& job_id, const ResultFiles& files,
          const OutputOptions& output, double timeout_seconds = 0);
int Delete(const Endpoint& server, const std::string& job_id, const OutputOptions& output);
// Prints the job's event log; with `follow`, until the job ends.
int Logs(const Endpoint& server, const std::string& job_id, bool follow,
         const OutputOptions& output);
int Cancel(const Endpoint& server, const std::string& job_id, const OutputOptions& output);
int Result(const Endpoint& server, const std::string& job_id, const ResultFiles& files,
           const OutputOptions& output);
// Draws the convergence curves of the scheduler's jobs `job_ids` and of the summary JSON files
// `summaries`, one series each, into the SVG file `out`. Needs no scheduler without job ids.
int Plot(const Endpoint& server, const std::vector<std::string>& job_ids,
         const std::vector<std::string>& summaries, const std::string& out,
         const std::string& title, const OutputOptions& output);

}  // namespace strads::client
