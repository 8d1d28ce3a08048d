// Where a downloaded model ends up on the user's disk, as the app's registry entry says: one file,
// or for an app whose --model-out is a prefix (matrix factorization's W and H) one file per part.
// Also the checks that those files (and the summary) can be written, made before a job runs so
// that a mistyped directory does not cost the result.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apps/registry.h"

namespace strads::client {

// Moves or splits the model downloaded to `downloaded` into its final files for `app` (see
// apps::ModelOutput) and returns their paths.
absl::StatusOr<std::vector<std::string>> PlaceModelFiles(const std::string& app,
                                                         const std::string& downloaded,
                                                         const std::string& model_out);

// The file of one part of a model written under a prefix (PREFIX-<part>.txt).
std::string ModelPartFile(const std::string& prefix, const apps::ModelPart& part);

// Fails, naming `flag` and `path`, when a file could not be created at `path`: its directory is
// missing or not writable, or (unless `path` is a prefix of file names) `path` is a directory.
absl::Status CheckCanWrite(absl::string_view flag, const std::string& path, bool is_prefix);

// The flags and paths of the files a command reads.
using InputFiles = std::vector<std::pair<std::string, std::string>>;

// Fails, naming both flags, when `path` is the same file as one of `inputs` (empty paths and
// files that do not exist yet are passed over): writing it would silently replace the data or
// model the command reads.
absl::Status CheckNotAnInput(absl::string_view flag, const std::string& path,
                             const InputFiles& inputs);

// CheckCanWrite (a file, not a prefix) and CheckNotAnInput, for an output the user named.
absl::Status CheckOutputFile(absl::string_view flag, const std::string& path,
                             const InputFiles& inputs);

// The files of a model written under `prefix` for an app whose model has `output.parts`, as
// inputs of a command that reads it (flag `flag`).
InputFiles ModelPartInputs(absl::string_view flag, const apps::ModelOutput& output,
                           const std::string& prefix);

// Writes `text` to `path` through a temporary file in its directory, renamed over it once
// complete: a write that fails part-way (disk full, a signal) leaves the old file as it was.
absl::Status WriteFileReplacing(const std::string& path, absl::string_view text);

// "cannot write '<path>': <reason>", with the reason from the OS (errno) or given.
absl::Status WriteError(const std::string& path, int os_error);
absl::Status WriteError(const std::string& path, absl::string_view reason);

// Where a command writes the model when --model-out is not given.
enum class ModelOutDefault {
  kNone,     // nowhere (submit: only when asked)
  kAppName,  // <app><default suffix> in the current directory (run)
  kJobId,    // <job id><default suffix> in the current directory (result)
};

// The help of --model-out: for `app`, or with nullptr for a command that serves every app.
std::string ModelOutHelp(const apps::AppDefinition* app,
                         ModelOutDefault by_default = ModelOutDefault::kNone);

// Where `run` writes the summary JSON when --summary-json is not given: <app>-summary.json in the
// current directory. The other commands write one only when asked.
std::string DefaultSummaryJson(std::string_view app);

// The help of --summary-json. With kAppName (run) it names the default file, like ModelOutHelp;
// otherwise (`app` may then be nullptr) the summary is written only when asked.
std::string SummaryJsonHelp(const apps::AppDefinition* app,
                            ModelOutDefault by_default = ModelOutDefault::kNone);

}  // namespace strads::client
