#include "client/model_files.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace strads::client {
namespace {

absl::Status Rename(const std::string& from, const std::string& to) {
  std::error_code error;
  std::filesystem::rename(from, to, error);
  if (error) {
    return absl::PermissionDeniedError(absl::StrCat("cannot write '", to, "': ", error.message()));
  }
  return absl::OkStatus();
}

// "W <id> f..." lines to PREFIX-W.txt and "H <id> f..." lines to PREFIX-H.txt, without the tag;
// the header comments go to both.
absl::StatusOr<std::vector<std::string>> SplitFactors(const std::string& downloaded,
                                                      const std::string& prefix) {
  const std::vector<std::string> paths = {prefix + "-W.txt", prefix + "-H.txt"};
  std::ifstream in(downloaded);
  std::ofstream w(paths[0] + ".part", std::ios::trunc);
  std::ofstream h(paths[1] + ".part", std::ios::trunc);
  if (!in || !w || !h) {
    return absl::PermissionDeniedError(absl::StrCat("cannot write '", prefix, "-{W,H}.txt'"));
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("W ", 0) == 0) {
      w << std::string_view(line).substr(2) << '\n';
    } else if (line.rfind("H ", 0) == 0) {
      h << std::string_view(line).substr(2) << '\n';
    } else if (!line.empty() && line[0] == '#') {
      w << line << '\n';
      h << line << '\n';
    } else if (!line.empty()) {
      return absl::DataLossError(absl::StrCat("unexpected model line: '", line.substr(0, 40), "'"));
    }
  }
  w.close();
  h.close();
  if (!w || !h) return absl::DataLossError(absl::StrCat("writing '", prefix, "-*.txt' failed"));
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

}  // namespace strads::client
