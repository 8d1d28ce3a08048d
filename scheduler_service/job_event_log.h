// A job's own event log (placement, worker losses, checkpoints, milestones, the final message):
// what `strads logs JOB` shows. Kept in the job's folder as events.log, one line per event
// ("<number> <unix_ms> <text>"), so it survives a scheduler restart, and bounded: it keeps the
// newest `max_lines` events (numbers keep growing, so a follower never sees one twice). Once
// closed (its job ended), a log backed by a complete file keeps nothing in memory and reads the
// file when asked: a scheduler keeping many finished jobs does not hold all their logs.
// Owned by the job manager (one per job, shared with RPCs that follow it). Thread-safety: every
// method may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace strads::scheduler {

struct JobEvent {
  int64_t number = 0;  // 1, 2, ... in the order the events happened
  int64_t unix_ms = 0;
  std::string text;  // one line
};

// "shards placed: worker-1 holds 0 2, worker-2 holds 1": the event of a (re)placement.
std::string PlacementEvent(const std::vector<std::string>& workers,
                           const std::vector<std::vector<int>>& shards);

class JobEventLog {
 public:
  static constexpr int kDefaultMaxLines = 2000;

  // `path` empty: kept in memory only (tests, a job without a folder).
  explicit JobEventLog(std::string path, int max_lines = kDefaultMaxLines);

  // Reads the events a previous scheduler wrote to `path`; a missing file is an empty log, and
  // unreadable lines are skipped.
  void Load();
  // Records `text` (newlines become spaces) with the current time, in memory and on disk. A
  // failed disk write is logged, never returned: the job must not fail for its log.
  void Append(std::string text);
  // The events numbered above `after`, oldest first.
  std::vector<JobEvent> Since(int64_t after) const;
  // Waits until there is an event numbered above `after`, Close was called, or `deadline` passes.
  void AwaitAfter(int64_t after, absl::Time deadline) const;
  // Wakes the followers for good: the job ended or was deleted. Frees the events held in memory
  // when the file has them all.
  void Close();
  bool closed() const;
  // Events held in memory (0 once a file-backed log is closed).
  int events_in_memory() const;
  // How many events were dropped from the front to keep the bound.
  int64_t dropped() const;

 private:
  void RewriteFile() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The newest `max_lines_` events: in memory, or read from the file once released.
  std::deque<JobEvent> EventsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const int max_lines_;
  mutable absl::Mutex mu_;
  std::deque<JobEvent> events_ ABSL_GUARDED_BY(mu_);
  int64_t next_number_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t lines_in_file_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // False after a failed write: the file lacks an event, so memory stays the record.
  bool file_complete_ ABSL_GUARDED_BY(mu_) = true;
  bool released_ ABSL_GUARDED_BY(mu_) = false;  // events_ emptied; the file is the record
};

}  // namespace strads::scheduler
