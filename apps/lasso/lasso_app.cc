#include "apps/lasso/lasso_app.h"

#include "absl/strings/str_cat.h"
#include "apps/lasso/lasso_params.h"
#include "apps/lasso/lasso_scheduler_app.h"
#include "apps/lasso/lasso_worker_app.h"
#include "core/data_partition.h"
#include "core/labeled_data_source.h"

namespace strads::lasso {

absl::Status ValidateLassoSpec(const core::JobSpec& spec) {
  absl::StatusOr<LassoParams> params = ParseLassoParams(spec);
  if (!params.ok()) return params.status();
  if (spec.workers < 1) {
    return absl::InvalidArgumentError(absl::StrCat("workers must be >= 1, got ", spec.workers));
  }
  if (spec.data_path.empty()) {
    return absl::InvalidArgumentError(
        "data_path is empty; the lasso app needs a LIBSVM file (label index:value ...) or a "
        "MatrixMarket X.mmt with its labels Y.mmt");
  }
  if (params->data_access == DataAccess::kShared) {
    // The scheduler reads only the listing and the file sizes (to cut the partitions); the
    // workers read the contents.
    return core::CutDataPartitions(spec.data_path, 1).status();
  }
  // Only that the files open and suit the format: submission must stay cheap, and Prepare
  // reports content errors.
  return core::CheckLabeledDataPaths(spec.data_path, spec.labels_path);
}

std::unique_ptr<core::SchedulerApp> NewLassoSchedulerApp() {
  return std::make_unique<LassoSchedulerApp>();
}

std::unique_ptr<core::WorkerApp> NewLassoWorkerApp() { return std::make_unique<LassoWorkerApp>(); }

}  // namespace strads::lasso
