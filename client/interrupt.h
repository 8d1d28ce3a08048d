// Ctrl-C (SIGINT) and SIGTERM for `strads run`, which owns an embedded cluster and a temporary
// directory: instead of dying with them left behind, it notices the signal, cancels its job and
// cleans up. A signal handler may only set a flag, so the program polls `requested()`.
#pragma once

#include <csignal>

namespace strads::client {

// Catches SIGINT and SIGTERM while it lives (one at a time per process). A second signal takes
// the default action, so a stop that hangs can still be forced.
class InterruptCatcher {
 public:
  InterruptCatcher();
  ~InterruptCatcher();
  InterruptCatcher(const InterruptCatcher&) = delete;
  InterruptCatcher& operator=(const InterruptCatcher&) = delete;

  bool requested() const;

 private:
  struct sigaction previous_int_;
  struct sigaction previous_term_;
};

}  // namespace strads::client
