#include "client/model_files.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace strads::client {
namespace {

absl::Status Rename(const std::string& from, const std::string& to) {
  std::error_code error;
  std::filesystem::rename(from, to, error);
  if (error) return WriteError(to, error.message());
  return absl::OkStatus();
}

// "W <id> <bias> f..." lines to PREFIX-W.txt, "H <id> <bias> f..." lines to PREFIX-H.txt and the
// "G <mu> <min> <max>" line to PREFIX-global.txt, without the tag; the header comments go to all.
absl::StatusOr<std::vector<std::string>> SplitFactors(const std::string& downloaded,
                                                      const std::string& prefix) {
  const std::vector<std::string> paths = {prefix + "-W.txt", prefix + "-H.txt",
                                          prefix + "-global.txt"};
  std::ifstream in(downloaded);
  if (!in) return absl::DataLossError("cannot read the downloaded model");
  std::ofstream w(paths[0] + ".part", std::ios::trunc);
  if (!w) return WriteError(paths[0], errno);
  std::ofstream h(paths[1] + ".part", std::ios::trunc);
  if (!h) return WriteError(paths[1], errno);
  std::ofstream g(paths[2] + ".part", std::ios::trunc);
  if (!g) return WriteError(paths[2], errno);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("W ", 0) == 0) {
      w << std::string_view(line).substr(2) << '\n';
    } else if (line.rfind("H ", 0) == 0) {
      h << std::string_view(line).substr(2) << '\n';
    } else if (line.rfind("G ", 0) == 0) {
      g << std::string_view(line).substr(2) << '\n';
    } else if (line.rfind("# format:", 0) == 0) {
      // The stream's format line describes tagged lines; the split files carry no tags.
      constexpr const char* kPredict =
          "; prediction(user, item) = mu + b_user + b_item + f_user . f_item, clipped to [min, "
          "max] (mu, min, max: the -global file)\n";
      w << "# format: '<user id> <b_user> f1 ... fK' (users)" << kPredict;
      h << "# format: '<item id> <b_item> f1 ... fK' (items)" << kPredict;
      g << "# format: '<mu> <min rating> <max rating>'" << kPredict;
    } else if (!line.empty() && line[0] == '#') {
      w << line << '\n';
      h << line << '\n';
      g << line << '\n';
    } else if (!line.empty()) {
      return absl::DataLossError(absl::StrCat("unexpected model line: '", line.substr(0, 40), "'"));
    }
    if (!w) return WriteError(paths[0], errno);
    if (!h) return WriteError(paths[1], errno);
  }
  w.close();
  if (!w) return WriteError(paths[0], errno);
  h.close();
  if (!h) return WriteError(paths[1], errno);
  g.close();
  if (!g) return WriteError(paths[2], errno);
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
  if (app == "mf") return SplitFactors(downloaded, model_out);
  if (absl::Status status = Rename(downloaded, model_out); !status.ok()) return status;
  return std::vector<std::string>{model_out};
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

absl::Status WriteError(const std::string& path, int os_error) {
  return WriteError(path, std::strerror(os_error));
}

absl::Status WriteError(const std::string& path, absl::string_view reason) {
  return absl::PermissionDeniedError(absl::StrCat("cannot write '", path, "': ", reason));
}

}  // namespace strads::client
