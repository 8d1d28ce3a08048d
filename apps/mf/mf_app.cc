#include "apps/mf/mf_app.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "apps/mf/mf_params.h"
#include "apps/mf/mf_scheduler_app.h"
#include "apps/mf/mf_worker_app.h"

namespace strads::mf {
namespace {

// Only that the file opens: submission must stay cheap, and Prepare reports content errors.
absl::Status CheckOpens(const std::string& path, const char* what) {
  std::ifstream file(path);
  if (!file.is_open()) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open the ", what, " file (missing or unreadable)"));
  }
  return absl::OkStatus();
}

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
  if (absl::Status status = CheckOpens(spec.data_path, "training ratings"); !status.ok()) {
    return status;
  }
  if (!spec.test_path.empty()) return CheckOpens(spec.test_path, "test ratings");
  return absl::OkStatus();
}

std::unique_ptr<core::SchedulerApp> NewMfSchedulerApp() {
  return std::make_unique<MfSchedulerApp>();
}

std::unique_ptr<core::WorkerApp> NewMfWorkerApp() { return std::make_unique<MfWorkerApp>(); }

}  // namespace strads::mf
