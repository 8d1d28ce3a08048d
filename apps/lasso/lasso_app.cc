#include "apps/lasso/lasso_app.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "apps/lasso/lasso_params.h"
#include "apps/lasso/lasso_scheduler_app.h"
#include "apps/lasso/lasso_worker_app.h"

namespace strads::lasso {

absl::Status ValidateLassoSpec(const core::JobSpec& spec) {
  if (absl::StatusOr<LassoParams> params = ParseLassoParams(spec); !params.ok()) {
    return params.status();
  }
  if (spec.workers < 1) {
    return absl::InvalidArgumentError(absl::StrCat("workers must be >= 1, got ", spec.workers));
  }
  if (spec.data_path.empty()) {
    return absl::InvalidArgumentError(
        "data_path is empty; the lasso app needs a LIBSVM file (label index:value ...)");
  }
  // Only that the file opens: submission must stay cheap, and Prepare reports content errors.
  std::ifstream file(spec.data_path);
  if (!file.is_open()) {
    return absl::NotFoundError(
        absl::StrCat(spec.data_path, ": cannot open the data file (missing or unreadable)"));
  }
  return absl::OkStatus();
}

std::unique_ptr<core::SchedulerApp> NewLassoSchedulerApp() {
  return std::make_unique<LassoSchedulerApp>();
}

std::unique_ptr<core::WorkerApp> NewLassoWorkerApp() { return std::make_unique<LassoWorkerApp>(); }

}  // namespace strads::lasso
