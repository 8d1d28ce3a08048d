#include "apps/mf/mf_app.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "apps/mf/mf_params.h"
#include "apps/mf/mf_scheduler_app.h"
#include "apps/mf/mf_shared_scheduler_app.h"
#include "apps/mf/mf_shared_worker_app.h"
#include "apps/mf/mf_worker_app.h"
#include "core/file_text.h"

namespace strads::mf {
namespace {

// The scheduler half for a job's data access: served data (MfSchedulerApp, the default until
// Prepare) or shared data (MfSharedSchedulerApp), chosen by Prepare from the job's parameters.
class MfSchedulerAppForAccess final : public core::SchedulerApp {
 public:
  absl::Status Prepare(const core::JobSpec& spec, int num_shards) override {
    absl::StatusOr<MfParams> params = ParseMfParams(spec);
    if (!params.ok()) return params.status();
    if (params->shared_data) {
      app_ = std::make_unique<MfSharedSchedulerApp>();
    } else {
      app_ = std::make_unique<MfSchedulerApp>();
    }
    return app_->Prepare(spec, num_shards);
  }
  int num_shards() const override { return app_->num_shards(); }
  absl::StatusOr<std::string> ShardBytes(int shard) const override {
    return app_->ShardBytes(shard);
  }
  void ShardInit(int shard, core::Payload* init) const override { app_->ShardInit(shard, init); }
  bool schedule_ahead() const override { return app_->schedule_ahead(); }
  int max_pipeline_depth() const override { return app_->max_pipeline_depth(); }
  bool RoundRunsAlone(int64_t number) const override { return app_->RoundRunsAlone(number); }
  bool TakeInFlightInvalidated() override { return app_->TakeInFlightInvalidated(); }
  int64_t extra_rounds() const override { return app_->extra_rounds(); }
  void Schedule(std::span<const core::WorkerView> workers, core::RoundPlan* plan) override {
    app_->Schedule(workers, plan);
  }
  absl::StatusOr<core::RoundOutcome> Pull(const core::RoundPlan& plan,
                                          std::span<const core::Partial> partials,
                                          core::Payload* cache_update) override {
    return app_->Pull(plan, partials, cache_update);
  }
  void Metrics(std::vector<core::Metric>* out) const override { app_->Metrics(out); }
  absl::Status WriteModel(std::ostream& out) const override { return app_->WriteModel(out); }
  // Not with shared data: a restarted scheduler runs such a job again from its index round.
  bool supports_checkpoints() const override { return app_->supports_checkpoints(); }
  absl::Status SaveCheckpoint(std::ostream& out) const override {
    return app_->SaveCheckpoint(out);
  }
  absl::Status RestoreCheckpoint(std::istream& in) override { return app_->RestoreCheckpoint(in); }

 private:
  std::unique_ptr<core::SchedulerApp> app_ = std::make_unique<MfSchedulerApp>();
};

// The worker half for a job's data access, chosen by Configure.
class MfWorkerAppForAccess final : public core::WorkerApp {
 public:
  void UseThreads(core::ThreadTeam* team) override {
    team_ = team;
    app_->UseThreads(team);
  }
  absl::Status Configure(const core::JobSpec& spec) override {
    absl::StatusOr<MfParams> params = ParseMfParams(spec);
    if (!params.ok()) return params.status();
    if (params->shared_data) {
      app_ = std::make_unique<MfSharedWorkerApp>();
    } else {
      app_ = std::make_unique<MfWorkerApp>();
    }
    app_->UseThreads(team_);
    return app_->Configure(spec);
  }
  absl::Status AddShard(int shard, std::string_view bytes, const core::Payload& init) override {
    return app_->AddShard(shard, bytes, init);
  }
  void DropShard(int shard) override { app_->DropShard(shard); }
  absl::Status Apply(const core::Payload& update) override { return app_->Apply(update); }
  absl::Status Push(const core::Payload& task, core::Partial* out) override {
    return app_->Push(task, out);
  }

 private:
  core::ThreadTeam* team_ = nullptr;
  std::unique_ptr<core::WorkerApp> app_ = std::make_unique<MfWorkerApp>();
};

}  // namespace

absl::Status ValidateMfSpec(const core::JobSpec& spec) {
  if (absl::StatusOr<MfParams> params = ParseMfParams(spec); !params.ok()) {
    return params.status();
  }
  if (spec.workers < 1) {
    return absl::InvalidArgumentError(absl::StrCat("workers must be >= 1, got ", spec.workers));
  }
  if (spec.data_path.empty()) {
    return absl::InvalidArgumentError(
        "data_path is empty; the mf app needs ratings ('user item rating' lines or MatrixMarket)");
  }
  if (absl::Status status = core::CheckDataFileOpens(spec.data_path, "training ratings file");
      !status.ok()) {
    return status;
  }
  if (!spec.test_path.empty()) return core::CheckDataFileOpens(spec.test_path, "test ratings file");
  return absl::OkStatus();
}

std::unique_ptr<core::SchedulerApp> NewMfSchedulerApp() {
  return std::make_unique<MfSchedulerAppForAccess>();
}

std::unique_ptr<core::WorkerApp> NewMfWorkerApp() {
  return std::make_unique<MfWorkerAppForAccess>();
}

}  // namespace strads::mf
