// The data directory's record of jobs, so that nothing a user submitted is lost when the scheduler
// restarts. Each job has a folder jobs/<id>/ holding
//   job.json        the job as submitted (written at submission);
//   checkpoint.bin  the app's state between two rounds (while it runs; replaced atomically);
//   summary.json    the final snapshot, and model.txt, once it ends;
//   events.log      the job's event log (JobEventLog), appended to as it happens;
// and jobs/issued-number, the highest job number ever given out.
// Every file is written to a temporary name and renamed, so a crash never leaves half a file.
// Thread-safety: calls for different jobs may run concurrently; one job's files are written by
// one thread at a time (the runner, or the submitting thread before the job is queued).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/app.h"
#include "scheduler_service/job_snapshot.h"

namespace strads::scheduler {

struct StoredCheckpoint {
  int64_t next_round = 0;
  double seconds = 0;     // running time up to the checkpoint
  std::string app_state;  // from SchedulerApp::SaveCheckpoint
};

struct StoredJob {
  int64_t number = 0;  // the N of "job-N"
  JobSnapshot snapshot;
  bool finished = false;  // has a terminal summary
  bool cancel_requested = false;
};

class JobStore {
 public:
  explicit JobStore(std::string data_dir) : data_dir_(std::move(data_dir)) {}

  absl::Status Init() const;
  const std::string& data_dir() const { return data_dir_; }

  absl::Status SaveSubmitted(const JobSnapshot& snapshot) const;
  // Records that the user cancelled a job that is still loading or running, so a scheduler that
  // dies before the job winds down does not run it again after a restart.
  absl::Status SaveCancelRequest(const std::string& job_id) const;
  // Writes the model (when `app` is given) and summary.json, drops the checkpoint, and returns
  // the model's path ("" without a model).
  absl::StatusOr<std::string> SaveResult(const JobSnapshot& snapshot,
                                         const core::SchedulerApp* app) const;
  absl::Status SaveCheckpoint(const std::string& job_id, int64_t next_round, double seconds,
                              const core::SchedulerApp& app) const;
  // Nothing when the job has no checkpoint; an error when it has an unreadable one.
  absl::StatusOr<std::optional<StoredCheckpoint>> LoadCheckpoint(const std::string& job_id) const;
  // Every job found, in submission order; unreadable records are skipped with a warning.
  std::vector<StoredJob> LoadAll() const;
  // The convergence history in a finished job's summary (what SaveResult wrote).
  absl::StatusOr<core::ConvergenceHistory> LoadHistory(const std::string& job_id) const;
  // The highest job number ever issued, kept apart from the job folders so that a deleted job's
  // id is never issued again, even after a restart (scripts may still hold it). 0 when none.
  absl::Status SaveIssuedNumber(int64_t number) const;
  int64_t LoadIssuedNumber() const;

  // Where the job's event log is kept.
  std::string EventLogPath(const std::string& job_id) const;
  // DATA_DIR/uploads, where DataUploads keeps the files clients sent.
  std::string UploadsDir() const;
  // Removes the job's folder and the given uploads (files under UploadsDir only; other paths
  // are left alone); returns what was removed.
  absl::StatusOr<std::vector<std::string>> Delete(const std::string& job_id,
                                                  const std::vector<std::string>& uploads) const;

  // "job-<number>"
  static std::string JobId(int64_t number);

 private:
  std::string JobDir(const std::string& job_id) const;

  std::string data_dir_;
};

}  // namespace strads::scheduler
