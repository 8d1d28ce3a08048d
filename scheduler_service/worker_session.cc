#include "scheduler_service/worker_session.h"

#include <utility>

#include "core/job_spec.h"
#include "protos/convert.h"
#include "scheduler_service/job_service_impl.h"
#include "spdlog/spdlog.h"

namespace strads::scheduler {
namespace {

// Spare messages kept for reuse: enough for the tasks of a deep pipeline; a burst beyond it (a
// worker that fell behind) is freed once written rather than kept with its capacity.
constexpr size_t kMaxSpareMessages = 16;
// A healthy worker's queue holds at most a pipeline of tasks and a few assignments.
static_assert(WorkerSession::kMaxQueuedMessages > 4 * core::kMaxPipelineDepth);

}  // namespace

WorkerSession::WorkerSession(WorkerPool* pool, const AccessPolicy* access)
    : pool_(pool), access_(access), call_(std::make_unique<Call>()), offered_(call_.get()) {
  for (int kind = 0; kind < 5; ++kind) {
    events_[kind] = {.session = this, .kind = static_cast<Event::Kind>(kind)};
  }
  // Before the call is requested, as gRPC requires; the tag comes once the call is over.
  offered_->context.AsyncNotifyWhenDone(&events_[Event::kDone]);
}

bool WorkerSession::React(Event::Kind kind, bool ok) {
  switch (kind) {
    case Event::kAccepted:
      // Not ok: the server is shutting down before a worker came; the queue drains the rest.
      if (!ok) return false;
      OnAccepted();
      break;
    case Event::kRead:
      OnRead(ok);
      break;
    case Event::kWritten:
      OnWritten(ok);
      break;
    case Event::kFinished: {
      absl::MutexLock lock(&mu_);
      finishing_ = false;
      break;
    }
    case Event::kDone: {
      absl::MutexLock lock(&mu_);
      done_ = true;
      break;
    }
  }
  absl::MutexLock lock(&mu_);
  if (!accepted_ || !done_ || reading_ || writing_ || finishing_ || call_ == nullptr) return false;
  open_ = false;
  outbox_.clear();
  call_.reset();
  return true;
}

void WorkerSession::OnAccepted() {
  accepted_ = true;
  absl::MutexLock lock(&mu_);
  if (grpc::Status status = CheckAccess(*access_, call_->context, Role::kWorker); !status.ok()) {
    EndLocked(std::move(status));
  } else {
    StartReadLocked();  // the Hello
  }
}

void WorkerSession::StartReadLocked() {
  reading_ = true;
  call_->stream.Read(&incoming_, &events_[Event::kRead]);
}

void WorkerSession::OnRead(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    reading_ = false;
  }
  if (ok && worker_id_.empty()) {
    if (incoming_.kind_case() != v1::WorkerMessage::kHello ||
        incoming_.hello().worker_id().empty()) {
      absl::MutexLock lock(&mu_);
      EndLocked({grpc::StatusCode::INVALID_ARGUMENT,
                 "a session must start with Hello carrying the id from Register"});
      return;
    }
    // Known before the pool hands this link to an engine.
    takes_task_batches_.store(incoming_.hello().takes_task_batches(), std::memory_order_release);
    if (absl::Status status = pool_->Attach(incoming_.hello().worker_id(), shared_from_this());
        !status.ok()) {
      absl::MutexLock lock(&mu_);
      EndLocked(ToGrpcStatus(status));
      return;
    }
    worker_id_ = incoming_.hello().worker_id();
    absl::MutexLock lock(&mu_);
    StartReadLocked();
    return;
  }
  if (ok) {
    // The pool copies what it keeps, so the next read may reuse the message at once.
    Deliver(incoming_);
    absl::MutexLock lock(&mu_);
    StartReadLocked();
    return;
  }
  // The worker closed its side, or the stream broke or was cancelled (Disconnect, shutdown).
  // As the pool hears of it, sends are already refused; the stream finishes after the pool has
  // let the worker go, so a worker that reconnects at once finds its id free.
  {
    absl::MutexLock lock(&mu_);
    open_ = false;
  }
  if (!worker_id_.empty()) pool_->Detach(worker_id_);
  absl::MutexLock lock(&mu_);
  EndLocked(grpc::Status::OK);
}

void WorkerSession::Deliver(const v1::WorkerMessage& message) {
  switch (message.kind_case()) {
    case v1::WorkerMessage::kPartial:
      DeliverPartial(message.partial());
      break;
    case v1::WorkerMessage::kPartialBatch:
      for (const v1::PartialResult& partial : message.partial_batch().partials()) {
        DeliverPartial(partial);
      }
      break;
    case v1::WorkerMessage::kReady:
      shards_.assign(message.ready().shards().begin(), message.ready().shards().end());
      pool_->OnShardsReady(worker_id_, message.ready().job_id(), shards_);
      break;
    case v1::WorkerMessage::kError:
      spdlog::warn("event=worker_error worker={} job={} message=\"{}\"", worker_id_,
                   message.error().job_id(), message.error().message());
      pool_->OnWorkerError(worker_id_, message.error().job_id(), message.error().message());
      break;
    case v1::WorkerMessage::kHeartbeat:
    case v1::WorkerMessage::kHello:
    case v1::WorkerMessage::KIND_NOT_SET:
      break;
  }
}

void WorkerSession::DeliverPartial(const v1::PartialResult& partial) {
  pool_->OnPartial(
      worker_id_, partial.job_id(), partial.sequence(),
      std::span<const double>(partial.values().data(), static_cast<size_t>(partial.values_size())),
      partial.busy_seconds(), partial.work_units());
}

template <typename Fill>
bool WorkerSession::Send(Fill fill) {
  absl::MutexLock lock(&mu_);
  if (!open_) return false;
  if (outbox_.size() >= kMaxQueuedMessages) {
    // A worker this far behind does not read (a healthy one has at most a pipeline's worth of
    // tasks unanswered): end its session, as Disconnect does, rather than hold its messages
    // without bound. The send fails, so the engine treats the worker as lost.
    open_ = false;
    call_->context.TryCancel();
    return false;
  }
  std::unique_ptr<v1::SchedulerMessage> message;
  if (spare_.empty()) {
    message = std::make_unique<v1::SchedulerMessage>();
  } else {
    message = std::move(spare_.back());
    spare_.pop_back();
  }
  fill(*message);
  outbox_.push_back(std::move(message));
  // One write in flight at a time (gRPC's rule); OnWritten starts the next.
  if (!writing_) StartWriteLocked();
  return true;
}

bool WorkerSession::SendAssign(const std::string& job_id, const core::JobSpec& spec,
                               std::span<const ShardGrant> add, std::span<const int> drop) {
  return Send([&](v1::SchedulerMessage& message) {
    message.Clear();
    v1::AssignShards* assign = message.mutable_assign();
    assign->set_job_id(job_id);
    assign->set_app(spec.app);
    for (const auto& [key, value] : spec.params) (*assign->mutable_params())[key] = value;
    for (const ShardGrant& grant : add) {
      v1::ShardAssignment* shard = assign->add_shards();
      shard->set_shard(grant.shard);
      proto::ToProto(grant.init, shard->mutable_init());
    }
    for (int shard : drop) assign->add_drop_shards(shard);
  });
}

namespace {

void FillTask(const std::string& job_id, const OutgoingTask& from, v1::Task* task) {
  static const core::Payload kNone;
  task->set_job_id(job_id);
  task->set_sequence(from.sequence);
  proto::ToProto(from.apply != nullptr ? *from.apply : kNone, task->mutable_apply());
  proto::ToProto(from.reply && from.push != nullptr ? *from.push : kNone, task->mutable_push());
  task->set_reply(from.reply);
}

}  // namespace

bool WorkerSession::SendTasks(const std::string& job_id, std::span<const OutgoingTask> tasks) {
  if (tasks.size() > 1 && takes_task_batches_.load(std::memory_order_acquire)) {
    return Send([&](v1::SchedulerMessage& message) {
      // A spare batch keeps its tasks (and their repeated fields' capacity) for reuse.
      google::protobuf::RepeatedPtrField<v1::Task>* batch =
          message.mutable_task_batch()->mutable_tasks();
      while (batch->size() > static_cast<int>(tasks.size())) batch->RemoveLast();
      for (size_t i = 0; i < tasks.size(); ++i) {
        FillTask(job_id, tasks[i],
                 static_cast<int>(i) < batch->size() ? batch->Mutable(static_cast<int>(i))
                                                     : batch->Add());
      }
    });
  }
  // One message a task: a worker that did not say it takes batches (an older build).
  for (const OutgoingTask& task : tasks) {
    if (!Send([&](v1::SchedulerMessage& message) {
          FillTask(job_id, task, message.mutable_task());  // a spare task keeps its capacity
        })) {
      return false;
    }
  }
  return true;
}

bool WorkerSession::SendRelease(const std::string& job_id) {
  return Send([&](v1::SchedulerMessage& message) {
    message.Clear();
    message.mutable_release()->set_job_id(job_id);
  });
}

void WorkerSession::Disconnect() {
  absl::MutexLock lock(&mu_);
  // Cancelling fails the read in flight, and OnRead ends the session.
  if (call_ != nullptr) call_->context.TryCancel();
}

void WorkerSession::RecycleLocked(std::unique_ptr<v1::SchedulerMessage> message) {
  if (spare_.size() < kMaxSpareMessages) spare_.push_back(std::move(message));
}

void WorkerSession::StartWriteLocked() {
  writing_ = true;
  call_->stream.Write(*outbox_.front(), &events_[Event::kWritten]);
}

void WorkerSession::OnWritten(bool ok) {
  absl::MutexLock lock(&mu_);
  RecycleLocked(std::move(outbox_.front()));
  outbox_.pop_front();
  writing_ = false;
  if (!ok) {
    // The stream is broken; the read in flight fails too, and OnRead ends the session.
    open_ = false;
    outbox_.clear();
  }
  if (finish_due_) {
    finish_due_ = false;
    finished_ = true;
    finishing_ = true;
    call_->stream.Finish(final_status_, &events_[Event::kFinished]);
  } else if (!outbox_.empty()) {
    StartWriteLocked();
  }
}

void WorkerSession::EndLocked(grpc::Status status) {
  open_ = false;
  if (finished_ || finish_due_) return;
  // Messages not yet written are dropped: the session is over for the engine too.
  while (outbox_.size() > (writing_ ? 1u : 0u)) outbox_.pop_back();
  if (writing_) {
    final_status_ = std::move(status);
    finish_due_ = true;
  } else {
    finished_ = true;
    finishing_ = true;
    call_->stream.Finish(status, &events_[Event::kFinished]);
  }
}

}  // namespace strads::scheduler
