#include "core/thread_team.h"

#include <algorithm>

namespace strads::core {

ThreadTeam::ThreadTeam(int size) : size_(std::max(1, size)) {
  threads_.reserve(static_cast<size_t>(size_ - 1));
  for (int member = 1; member < size_; ++member) {
    threads_.emplace_back([this, member] { Serve(member); });
  }
}

ThreadTeam::~ThreadTeam() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
}

void ThreadTeam::Run(absl::FunctionRef<void(int member)> fn) {
  if (size_ == 1) {
    fn(0);
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    fn_ = &fn;
    pending_ = size_ - 1;
    ++generation_;
  }
  fn(0);
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* pending) { return *pending == 0; }, &pending_));
  fn_ = nullptr;
}

void ThreadTeam::Serve(int member) {
  int64_t seen = 0;
  while (true) {
    const absl::FunctionRef<void(int)>* fn = nullptr;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || generation_ != seen;
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      seen = generation_;
      fn = fn_;
    }
    (*fn)(member);
    absl::MutexLock lock(&mu_);
    --pending_;
  }
}

}  // namespace strads::core
