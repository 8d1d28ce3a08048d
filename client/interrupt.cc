#include "client/interrupt.h"

#include <atomic>

namespace strads::client {
namespace {

std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

void OnSignal(int) { interrupted.store(true); }

}  // namespace

InterruptCatcher::InterruptCatcher() {
  interrupted.store(false);
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: the next signal gets the default action (terminate); SA_RESTART: system calls
  // of other threads are not interrupted by this one.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  // A signal ignored at start stays ignored: a shell starts background jobs with SIGINT ignored,
  // and a Ctrl-C meant for the script must not cancel them.
  sigaction(SIGINT, nullptr, &previous_int_);
  if (previous_int_.sa_handler != SIG_IGN) sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, nullptr, &previous_term_);
  if (previous_term_.sa_handler != SIG_IGN) sigaction(SIGTERM, &action, nullptr);
}

InterruptCatcher::~InterruptCatcher() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
}

bool InterruptCatcher::requested() const { return interrupted.load(); }

}  // namespace strads::client
