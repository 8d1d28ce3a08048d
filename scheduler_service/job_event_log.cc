#include "scheduler_service/job_event_log.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace strads::scheduler {
namespace {

std::string EventLine(const JobEvent& event) {
  return absl::StrCat(event.number, " ", event.unix_ms, " ", event.text, "\n");
}

bool ParseEventLine(const std::string& line, JobEvent* event);

// Reads `path`'s events, the newest `max_lines` of them; `lines` counts the lines read.
std::deque<JobEvent> ReadEvents(const std::string& path, int max_lines, int64_t* lines) {
  std::deque<JobEvent> events;
  std::ifstream in(path);
  std::string line;
  int64_t next_number = 1;
  while (std::getline(in, line)) {
    JobEvent event;
    ++*lines;
    if (!ParseEventLine(line, &event) || event.number < next_number) continue;
    next_number = event.number + 1;
    events.push_back(std::move(event));
    if (static_cast<int>(events.size()) > max_lines) events.pop_front();
  }
  return events;
}

bool ParseEventLine(const std::string& line, JobEvent* event) {
  const char* begin = line.data();
  const char* end = begin + line.size();
  auto [after_number, error1] = std::from_chars(begin, end, event->number);
  if (error1 != std::errc() || after_number == end || *after_number != ' ') return false;
  auto [after_time, error2] = std::from_chars(after_number + 1, end, event->unix_ms);
  if (error2 != std::errc() || after_time == end || *after_time != ' ') return false;
  event->text.assign(after_time + 1, end);
  return event->number > 0;
}

}  // namespace

std::string PlacementEvent(const std::vector<std::string>& workers,
                           const std::vector<std::vector<int>>& shards) {
  std::string text = "shards placed:";
  for (size_t i = 0; i < workers.size() && i < shards.size(); ++i) {
    absl::StrAppend(&text, i == 0 ? " " : ", ", workers[i], " holds ",
                    absl::StrJoin(shards[i], " "));
  }
  return text;
}

JobEventLog::JobEventLog(std::string path, int max_lines)
    : path_(std::move(path)), max_lines_(std::max(1, max_lines)) {}

void JobEventLog::Load() {
  if (path_.empty()) return;
  int64_t lines = 0;
  std::deque<JobEvent> events = ReadEvents(path_, max_lines_, &lines);
  absl::MutexLock lock(&mu_);
  lines_in_file_ += lines;
  for (JobEvent& event : events) {
    if (event.number < next_number_) continue;
    next_number_ = event.number + 1;
    events_.push_back(std::move(event));
    if (static_cast<int>(events_.size()) > max_lines_) events_.pop_front();
  }
}

void JobEventLog::Append(std::string text) {
  absl::StrReplaceAll({{"\r", " "}, {"\n", " "}}, &text);
  absl::MutexLock lock(&mu_);
  JobEvent event{next_number_++, absl::ToUnixMillis(absl::Now()), std::move(text)};
  if (released_) events_ = EventsLocked();  // a late event (rare): the file stays the record
  events_.push_back(event);
  if (static_cast<int>(events_.size()) > max_lines_) events_.pop_front();
  if (released_) {
    released_ = false;  // in memory again until the rewrite below
    RewriteFile();
    if (file_complete_) {
      events_.clear();
      released_ = true;
    }
    return;
  }
  if (path_.empty()) return;
  // The file may hold up to twice the bound; then it is rewritten with the newest events, so
  // appending stays cheap and the file stays bounded.
  if (lines_in_file_ >= 2 * static_cast<int64_t>(max_lines_)) {
    RewriteFile();
    return;
  }
  std::ofstream out(path_, std::ios::app);
  out << EventLine(event);
  out.flush();
  if (!out) {
    spdlog::warn("event=job_log_write_failed path={}", path_);
    file_complete_ = false;
    return;
  }
  ++lines_in_file_;
}

void JobEventLog::RewriteFile() {
  std::string text;
  for (const JobEvent& event : events_) absl::StrAppend(&text, EventLine(event));
  const std::string temporary = path_ + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      spdlog::warn("event=job_log_write_failed path={}", temporary);
      file_complete_ = false;
      return;
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path_, error);
  if (error) {
    spdlog::warn("event=job_log_write_failed path={} error={}", path_, error.message());
    file_complete_ = false;
    return;
  }
  file_complete_ = true;  // the file now holds every event kept
  lines_in_file_ = static_cast<int64_t>(events_.size());
}

std::deque<JobEvent> JobEventLog::EventsLocked() const {
  if (!released_) return events_;
  int64_t lines = 0;
  return ReadEvents(path_, max_lines_, &lines);
}

std::vector<JobEvent> JobEventLog::Since(int64_t after) const {
  absl::MutexLock lock(&mu_);
  std::vector<JobEvent> out;
  for (const JobEvent& event : EventsLocked()) {
    if (event.number > after) out.push_back(event);
  }
  return out;
}

void JobEventLog::AwaitAfter(int64_t after, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || next_number_ - 1 > after;
  };
  mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
}

void JobEventLog::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  if (!path_.empty() && file_complete_ && !released_) {
    std::deque<JobEvent>().swap(events_);
    released_ = true;
  }
}

int JobEventLog::events_in_memory() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(events_.size());
}

bool JobEventLog::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

int64_t JobEventLog::dropped() const {
  absl::MutexLock lock(&mu_);
  const std::deque<JobEvent> events = EventsLocked();
  return events.empty() ? next_number_ - 1 : events.front().number - 1;
}

}  // namespace strads::scheduler
