// The one place that maps a job's app name to its implementation. Services and the CLI's generic
// commands look apps up here and never name one themselves.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/app.h"
#include "core/job_spec.h"

namespace strads::apps {

struct AppDefinition {
  std::string_view name;
  std::string_view description;
  // Cheap checks done at submission (parameters, file exists), so a bad job is refused at once.
  std::function<absl::Status(const core::JobSpec&)> validate;
  std::function<std::unique_ptr<core::SchedulerApp>()> make_scheduler_app;
  std::function<std::unique_ptr<core::WorkerApp>()> make_worker_app;
};

// nullptr when no app has that name.
const AppDefinition* FindApp(std::string_view name);
std::vector<std::string_view> AppNames();

}  // namespace strads::apps
