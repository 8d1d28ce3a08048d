#include "scheduler_service/session_queue.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <utility>

#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace strads::scheduler {
namespace {

// How long the background poller waits for one event before it looks whether an engine asked
// for the queue. An engine that asks is not kept waiting by it: its own replies are events (and
// so is a Kick), and the background poller delivers them (as any poller does), then sees the
// request and gives the queue back. So the slice can be long, which keeps an idle scheduler still.
constexpr absl::Duration kBackgroundSlice = absl::Seconds(1);
// Stop waits this long at most for the cancelled calls to finish (they take milliseconds).
constexpr absl::Duration kCallsOverTimeout = absl::Seconds(10);

}  // namespace

SessionQueue::~SessionQueue() { Stop(); }

void SessionQueue::Start(std::unique_ptr<grpc::ServerCompletionQueue> queue, RequestFn request) {
  queue_ = std::move(queue);
  request_ = std::move(request);
  Offer();
  pool_->SetPump(this);
  background_ = std::thread([this] { BackgroundLoop(); });
}

void SessionQueue::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || queue_ == nullptr) return;
    stopping_ = true;
  }
  pool_->SetPump(nullptr);
  {
    // The server has cancelled its calls; their sessions finish as the queue is polled.
    absl::MutexLock lock(&mu_);
    auto over = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return open_calls_ == 0; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&over), kCallsOverTimeout)) {
      spdlog::error("event=worker_sessions_not_over count={}", open_calls_);
    }
  }
  queue_->Shutdown();
  // It polls until the queue is drained: every call's last completion has been handled.
  background_.join();
  sessions_.clear();
}

void SessionQueue::Offer() {
  auto session = std::make_shared<WorkerSession>(pool_, access_);
  WorkerSession* offered = session.get();
  sessions_.emplace(offered, std::move(session));
  request_(offered->offered_context(), offered->offered_stream(), queue_.get(),
           offered->accepted_tag());
}

void SessionQueue::Handle(void* tag, bool ok) {
  // The sessions' reactions rely on running one at a time: checked, not only stated.
  if (poller_.load(std::memory_order_relaxed) != std::this_thread::get_id()) {
    spdlog::critical("event=session_queue_polled_without_the_right");
    std::abort();
  }
  auto* event = static_cast<WorkerSession::Event*>(tag);
  if (event == &kick_event_) {  // its work is done: the poller has returned
    absl::MutexLock lock(&mu_);
    kick_pending_ = false;
    return;
  }
  // A worker came: the next one may come while this one says Hello. (Not ok: shutting down.)
  if (event->kind == WorkerSession::Event::kAccepted && ok) {
    Offer();
    absl::MutexLock lock(&mu_);
    ++open_calls_;
  }
  if (event->session->React(event->kind, ok)) {
    sessions_.erase(event->session);
    absl::MutexLock lock(&mu_);
    --open_calls_;
  }
}

bool SessionQueue::TryAcquire() {
  absl::MutexLock lock(&mu_);
  if (polling_ || drained_) {
    wanted_.store(true, std::memory_order_relaxed);
    return false;
  }
  polling_ = true;
  poller_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  return true;
}

bool SessionQueue::Next(absl::Time deadline) {
  void* tag = nullptr;
  bool ok = false;
  switch (queue_->AsyncNext(&tag, &ok, absl::ToChronoTime(deadline))) {
    case grpc::CompletionQueue::GOT_EVENT:
      Handle(tag, ok);
      return true;
    case grpc::CompletionQueue::SHUTDOWN: {
      absl::MutexLock lock(&mu_);
      drained_ = true;
      return false;
    }
    case grpc::CompletionQueue::TIMEOUT:
      return true;
  }
  return true;
}

void SessionQueue::PollOnce(absl::Time deadline) { Next(deadline); }

void SessionQueue::Release() {
  bool asked;
  {
    absl::MutexLock lock(&mu_);
    polling_ = false;
    poller_.store(std::thread::id(), std::memory_order_relaxed);
    // The background poller leaves the queue alone for kQuiet from now on: an engine polled,
    // or asked for the queue while the background poller had it.
    last_engine_poll_ = absl::Now();
    asked = wanted_.exchange(false, std::memory_order_relaxed);
  }
  // Outside mu_: the pool calls TryAcquire with its own lock held.
  if (asked) pool_->PumpReleased();
}

void SessionQueue::Kick() {
  absl::MutexLock lock(&mu_);
  if (kick_pending_ || stopping_ || queue_ == nullptr) return;
  kick_pending_ = true;
  kick_ = std::make_unique<grpc::Alarm>();  // the last one has fired: it may go
  kick_->Set(queue_.get(), std::chrono::system_clock::now(), &kick_event_);
}

void SessionQueue::BackgroundLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      // An engine between two of its polls keeps the queue: taking it back each round would
      // cost the very switches polling saves. So wait until none has polled for kQuiet.
      absl::Duration wait = kQuiet;
      while (!drained_ && (polling_ || absl::Now() - last_engine_poll_ < kQuiet)) {
        mu_.AwaitWithTimeout(absl::Condition(&drained_), wait);
        wait = std::min(2 * wait, kQuietMax);
      }
      if (drained_) return;
      polling_ = true;
      poller_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    }
    bool open = true;
    while (open && !wanted_.load(std::memory_order_relaxed)) {
      open = Next(absl::Now() + kBackgroundSlice);
    }
    Release();
    if (!open) return;
  }
}

}  // namespace strads::scheduler
