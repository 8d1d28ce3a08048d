// The one place that maps a job's app name to its implementation and to what the CLI offers for
// it (flags, input files, where its model goes). Services and the CLI's generic commands look
// apps up here and never name one themselves: a new app is one entry in registry.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/app.h"
#include "core/job_spec.h"

namespace strads::apps {

// One app parameter offered as a flag of `strads run APP` and `strads submit APP`. Its value
// travels as text in JobSpec.params and is validated by the app (on the scheduler), so the CLI
// and the scheduler cannot disagree about what is valid; the defaults live in the app.
struct AppFlag {
  std::string_view flag;   // command-line name, "--lambda"
  std::string_view param;  // parameter name in the job spec, "lambda"
  std::string_view help;
  std::string_view always;  // when not empty, sent even when not given (so summaries name it)
  bool is_switch = false;   // takes no value: given means "true" (--name=false also works)
};

// The files of a job besides --data. An empty help means the app takes no such file, and the CLI
// offers no flag for it.
struct AppInputs {
  std::string_view data_help;    // --data (JobSpec.data_path)
  std::string_view test_help;    // --test (JobSpec.test_path)
  std::string_view labels_help;  // --labels (JobSpec.labels_path)
};

// One file of a model that --model-out names as a prefix: the downloaded model's lines tagged
// "<tag> " go to PREFIX-<file suffix>.txt without the tag, its "# format:" line is replaced by
// `format_line`, and its other comment lines are copied into every part.
struct ModelPart {
  std::string_view tag;  // the model stream's lines of this part start with "<tag> "
  std::string_view format_line;
  std::string_view file_suffix;  // the part's file is PREFIX-<file_suffix>.txt; empty: the tag
  std::string_view FileSuffix() const { return file_suffix.empty() ? tag : file_suffix; }
};

// Where a downloaded model goes on the user's disk.
struct ModelOutput {
  // --model-out when not given: "<stem><default_suffix>" (the stem is the app's name for
  // `strads run`, the job id for `strads result`).
  std::string_view default_suffix = "-model.txt";
  // Empty: --model-out is the one model file. Otherwise it is a prefix, split into these parts.
  std::vector<ModelPart> parts;
  bool is_prefix() const { return !parts.empty(); }
};

// How deep a job's rounds may be pipelined (`--pipeline D`), for the job's parameters.
struct PipelineSupport {
  int max_depth = 1;      // 1: the rounds run one at a time
  int default_depth = 1;  // what a job that does not ask gets (within max_depth)
  // When max_depth is 1: why, and what to change instead, for the refusal of a deeper pipeline.
  std::string why_not;
};

// One convergence curve of an app's jobs (`strads plot`, the job's history): a metric drawn
// against rounds and against seconds. `minus_best` draws the metric less its lowest value over
// every job in the picture (objective - best), so schedules compare on one log scale.
struct ConvergenceCurve {
  std::string_view metric;  // a name the app's Metrics() reports
  std::string_view label;   // the y axis' title
  bool log_scale = false;
  bool minus_best = false;
};

struct AppDefinition {
  std::string_view name;
  std::string_view description;
  // Cheap checks done at submission (parameters, file exists), so a bad job is refused at once.
  std::function<absl::Status(const core::JobSpec&)> validate;
  std::function<std::unique_ptr<core::SchedulerApp>()> make_scheduler_app;
  std::function<std::unique_ptr<core::WorkerApp>()> make_worker_app;
  // For the CLI.
  int64_t default_max_rounds = 0;  // what --max-rounds 0 means, for its help line
  AppInputs inputs;
  std::span<const AppFlag> flags;
  ModelOutput model;
  // Pipelined rounds this app allows for a job's parameters (they are valid: `validate` passed).
  // Null: none, for every job; `pipeline_why_not` then says why.
  std::function<PipelineSupport(const core::JobSpec&)> pipeline;
  std::string_view pipeline_why_not;
  std::string pipeline_help;  // appended to --pipeline's help: the app's defaults
  // What the job's convergence history keeps and `strads plot` draws, in order.
  std::span<const ConvergenceCurve> curves;
};

// nullptr when no app has that name.
const AppDefinition* FindApp(std::string_view name);
std::vector<std::string_view> AppNames();

// The pipeline depth a job of `app` runs at: its `pipeline` if given (0 = the app's default for
// its parameters). InvalidArgument, with the reason, for a depth outside 1..core::kMaxPipelineDepth
// or deeper than the app allows for these parameters. `spec` must have passed app.validate.
absl::StatusOr<int> ResolvePipelineDepth(const AppDefinition& app, const core::JobSpec& spec);

// How the model of `app` is placed: its entry's, or for an unknown app (a job from a newer
// scheduler) one plain file.
const ModelOutput& ModelOutputOf(std::string_view app);

// The curves of `app`: its entry's, or for an unknown app (a job from a newer scheduler) its
// objective on a linear scale.
std::span<const ConvergenceCurve> CurvesOf(std::string_view app);

}  // namespace strads::apps
