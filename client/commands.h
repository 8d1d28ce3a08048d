// The CLI's commands, each returning the process exit code: 0 success, 1 error or failed job,
// 3 cancelled job. Messages go to stderr as one line: "strads: <what went wrong>".
#pragma once

#include <string>

#include "absl/status/status.h"
#include "core/job_spec.h"
#include "protos/connection.h"

namespace strads::client {

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
};

// Prints "strads: <message>" to stderr and returns 1, the exit code of an error.
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
int ListJobs(const Endpoint& server, const OutputOptions& output);
int ListWorkers(const Endpoint& server, const OutputOptions& output);
int ShowStatus(const Endpoint& server, const std::string& job_id, const OutputOptions& output);
int Watch(const Endpoint& server, const std::string& job_id, const ResultFiles& files,
          const OutputOptions& output);
int Cancel(const Endpoint& server, const std::string& job_id, const OutputOptions& output);
int Result(const Endpoint& server, const std::string& job_id, const ResultFiles& files,
           const OutputOptions& output);

}  // namespace strads::client
