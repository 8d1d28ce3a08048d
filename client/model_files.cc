#include "client/model_files.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "apps/registry.h"

namespace strads::client {
namespace {

absl::Status Rename(const std::string& from, const std::string& to) {
  std::error_code error;
  std::filesystem::rename(from, to, error);
  if (error) return WriteError(to, error.message());
  return absl::OkStatus();
}

// The lines tagged "<tag> " of the downloaded model to PREFIX-<tag>.txt, without the tag, for each
// part; the "# format:" line is replaced by each part's own (it describes the tagged stream), and
// the other header comments go to every part.
absl::StatusOr<std::vector<std::string>> SplitTaggedModel(
    const std::string& downloaded, const std::string& prefix,
    const std::vector<apps::ModelPart>& parts) {
  std::vector<std::string> paths;
  std::vector<std::ofstream> outs;
  for (const apps::ModelPart& part : parts) {
    paths.push_back(ModelPartFile(prefix, part));
    outs.emplace_back(paths.back() + ".part", std::ios::trunc);
    if (!outs.back()) return WriteError(paths.back(), errno);
  }
  std::ifstream in(downloaded);
  if (!in) return absl::DataLossError("cannot read the downloaded model");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# format:", 0) == 0) {
      for (size_t k = 0; k < parts.size(); ++k) outs[k] << parts[k].format_line << '\n';
    } else if (line[0] == '#') {
      for (std::ofstream& out : outs) out << line << '\n';
    } else {
      size_t k = 0;
      while (k < parts.size() &&
             !(line.size() > parts[k].tag.size() && line[parts[k].tag.size()] == ' ' &&
               std::string_view(line).substr(0, parts[k].tag.size()) == parts[k].tag)) {
        ++k;
      }
      if (k == parts.size()) {
        return absl::DataLossError(
            absl::StrCat("unexpected model line: '", line.substr(0, 40), "'"));
      }
      outs[k] << std::string_view(line).substr(parts[k].tag.size() + 1) << '\n';
    }
    for (size_t k = 0; k < parts.size(); ++k) {
      if (!outs[k]) return WriteError(paths[k], errno);
    }
  }
  for (size_t k = 0; k < parts.size(); ++k) {
    outs[k].close();
    if (!outs[k]) return WriteError(paths[k], errno);
  }
  for (const std::string& path : paths) {
    if (absl::Status status = Rename(path + ".part", path); !status.ok()) return status;
  }
  std::filesystem::remove(downloaded);
  return paths;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> PlaceModelFiles(const std::string& app,
                                                         const std::string& downloaded,
                                                         const std::string& model_out) {
  const apps::ModelOutput& output = apps::ModelOutputOf(app);
  if (output.is_prefix()) return SplitTaggedModel(downloaded, model_out, output.parts);
  if (absl::Status status = Rename(downloaded, model_out); !status.ok()) return status;
  return std::vector<std::string>{model_out};
}

std::string ModelPartFile(const std::string& prefix, const apps::ModelPart& part) {
  return absl::StrCat(prefix, "-", std::string(part.FileSuffix()), ".txt");
}

absl::Status CheckCanWrite(absl::string_view flag, const std::string& path, bool is_prefix) {
  auto refuse = [&](absl::string_view problem) {
    return absl::FailedPreconditionError(absl::StrCat(flag, " '", path, "': ", problem));
  };
  if (path.empty()) return refuse("empty path");
  std::filesystem::path directory = std::filesystem::path(path).parent_path();
  if (directory.empty()) directory = ".";
  std::error_code error;
  const std::filesystem::file_status found = std::filesystem::status(directory, error);
  if (!std::filesystem::exists(found)) {
    return refuse(absl::StrCat("directory '", directory.string(), "' does not exist"));
  }
  if (!std::filesystem::is_directory(found)) {
    return refuse(absl::StrCat("'", directory.string(), "' is not a directory"));
  }
  if (access(directory.c_str(), W_OK | X_OK) != 0) {
    return refuse(
        absl::StrCat("cannot write in '", directory.string(), "': ", std::strerror(errno)));
  }
  if (is_prefix) return absl::OkStatus();
  if (std::filesystem::is_directory(path, error)) return refuse("is a directory");
  if (std::filesystem::exists(path, error) && access(path.c_str(), W_OK) != 0) {
    return refuse(std::strerror(errno));
  }
  return absl::OkStatus();
}

std::string ModelOutHelp(const apps::AppDefinition* app, ModelOutDefault by_default) {
  // The files a prefix becomes, "PREFIX-W.txt and PREFIX-H.txt".
  auto files_of = [](const apps::ModelOutput& model) {
    std::string files;
    for (size_t k = 0; k < model.parts.size(); ++k) {
      if (k > 0) absl::StrAppend(&files, k + 1 == model.parts.size() ? " and " : ", ");
      absl::StrAppend(&files, "PREFIX-", std::string(model.parts[k].FileSuffix()), ".txt");
    }
    return files;
  };
  std::string help;
  if (app != nullptr && app->model.is_prefix()) {
    help = absl::StrCat("write the model to files named from this prefix: ", files_of(app->model));
  } else {
    help = "write the model here";
    for (std::string_view name : apps::AppNames()) {
      const apps::ModelOutput& model = apps::ModelOutputOf(name);
      if (app == nullptr && model.is_prefix()) {
        absl::StrAppend(&help, " (", std::string(name), ": a prefix for ", files_of(model), ")");
      }
    }
  }
  // Without the flag the files land in the current directory and replace files of those names:
  // the help says so, so nobody learns it from a lost file.
  const bool prefix = app != nullptr && app->model.is_prefix();
  switch (by_default) {
    case ModelOutDefault::kNone:
      break;
    case ModelOutDefault::kAppName:
      if (app != nullptr) {
        absl::StrAppend(&help, " (default", prefix ? " prefix" : "", ": ", std::string(app->name),
                        std::string(app->model.default_suffix),
                        " in the current directory, replacing what has those names)");
      }
      break;
    case ModelOutDefault::kJobId:
      absl::StrAppend(&help,
                      "; default: named after the job id in the current directory, replacing what "
                      "has those names");
      break;
  }
  return help;
}

std::string DefaultSummaryJson(std::string_view app) {
  return absl::StrCat(std::string(app), "-summary.json");
}

std::string SummaryJsonHelp(const apps::AppDefinition* app, ModelOutDefault by_default) {
  std::string help = "write a JSON summary here";
  if (by_default == ModelOutDefault::kAppName && app != nullptr) {
    absl::StrAppend(&help, " (default: ", DefaultSummaryJson(app->name),
                    " in the current directory, replacing a file of that name)");
  }
  return help;
}

absl::Status CheckNotAnInput(absl::string_view flag, const std::string& path,
                             const InputFiles& inputs) {
  for (const auto& [input_flag, input] : inputs) {
    std::error_code error;
    if (input.empty() || !std::filesystem::equivalent(path, input, error) || error) continue;
    return absl::InvalidArgumentError(absl::StrCat(flag, " '", path, "' is the same file as ",
                                                   input_flag, " '", input,
                                                   "': writing it would replace what is read"));
  }
  return absl::OkStatus();
}

absl::Status CheckOutputFile(absl::string_view flag, const std::string& path,
                             const InputFiles& inputs) {
  if (absl::Status status = CheckCanWrite(flag, path, false); !status.ok()) return status;
  return CheckNotAnInput(flag, path, inputs);
}

InputFiles ModelPartInputs(absl::string_view flag, const apps::ModelOutput& output,
                           const std::string& prefix) {
  InputFiles files;
  for (const apps::ModelPart& part : output.parts) {
    files.emplace_back(std::string(flag), ModelPartFile(prefix, part));
  }
  return files;
}

absl::Status WriteFileReplacing(const std::string& path, absl::string_view text) {
  const std::string temporary = absl::StrCat(path, ".tmp-", getpid());
  std::ofstream out(temporary, std::ios::trunc | std::ios::binary);
  if (!out) return WriteError(path, errno);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    const int os_error = errno;
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return WriteError(path, os_error);
  }
  if (absl::Status status = Rename(temporary, path); !status.ok()) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return status;
  }
  return absl::OkStatus();
}

absl::Status WriteError(const std::string& path, int os_error) {
  return WriteError(path, std::strerror(os_error));
}

absl::Status WriteError(const std::string& path, absl::string_view reason) {
  return absl::PermissionDeniedError(absl::StrCat("cannot write '", path, "': ", reason));
}

}  // namespace strads::client
