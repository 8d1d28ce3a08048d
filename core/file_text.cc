#include "core/file_text.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace strads::core {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string msg = absl::StrCat("cannot open '", path, "': ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES) return absl::PermissionDeniedError(msg);
    return absl::InvalidArgumentError(msg);
  }
  struct stat st;
  int stat_err = 0;
  if (::fstat(fd, &st) != 0) {
    stat_err = errno;
  } else if (S_ISDIR(st.st_mode)) {
    stat_err = EISDIR;
  }
  if (stat_err != 0) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot read '", path, "': ", std::strerror(stat_err),
        stat_err == EISDIR ? " (a directory of part-* files is read with --data-access shared)"
                           : ""));
  }
  // One read of the whole file: parsing then runs over memory without any per-line I/O. The
  // size from fstat is a hint; files that are growing or report 0 (pipes, /proc) still work.
  std::string text;
  text.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  char probe[4096];
  for (;;) {
    const bool full = got == text.size();
    char* dst = full ? probe : text.data() + got;
    const size_t room = full ? sizeof(probe) : text.size() - got;
    const ssize_t n = ::read(fd, dst, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return absl::DataLossError(absl::StrCat("cannot read '", path, "': ", std::strerror(err)));
    }
    if (n == 0) break;
    if (full) {
      text.append(probe, static_cast<size_t>(n));
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(got);
  if (absl::Status status = RefuseCompressedText(text, path); !status.ok()) return status;
  return text;
}

absl::Status CheckDataFileOpens(const std::string& path, std::string_view what_text) {
  const std::string what(what_text);
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (!error && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status) &&
      !std::filesystem::is_directory(status)) {
    return absl::InvalidArgumentError(absl::StrCat(path,
                                                   " is not a regular file (a pipe, socket or "
                                                   "device); give the ",
                                                   what, " as a file"));
  }
  std::ifstream file(path);
  if (!file.is_open()) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open the ", what, " (missing or unreadable)"));
  }
  return absl::OkStatus();
}

absl::Status RefuseCompressedText(std::string_view head, std::string_view path) {
  struct Format {
    std::string_view magic, name, command, suffix, to_stdout;
  };
  static constexpr Format kFormats[] = {
      {"\x1f\x8b", "gzip", "gunzip -k", ".gz", "gzip -dc"},
      {"\xfd\x37\x7a\x58\x5a", "xz", "xz -dk", ".xz", "xz -dc"},
      {"BZh", "bzip2", "bunzip2 -k", ".bz2", "bzip2 -dc"},
      {"\x28\xb5\x2f\xfd", "zstd", "zstd -d", ".zst", "zstd -dc"},
  };
  for (const Format& format : kFormats) {
    if (head.substr(0, format.magic.size()) == format.magic &&
        (format.name != "bzip2" || (head.size() > 3 && head[3] >= '1' && head[3] <= '9'))) {
      const std::string quoted = absl::StrCat("'", std::string(path), "'");
      // The tools' in-place forms want their suffix; a file named otherwise is decompressed to
      // a new name.
      const std::string command =
          absl::EndsWith(absl::string_view(path.data(), path.size()),
                         absl::string_view(format.suffix.data(), format.suffix.size()))
              ? absl::StrCat(std::string(format.command), " ", quoted)
              : absl::StrCat(std::string(format.to_stdout), " ", quoted, " > '", std::string(path),
                             ".txt'");
      return absl::InvalidArgumentError(absl::StrCat(quoted, " is ", std::string(format.name),
                                                     "-compressed; decompress it first (", command,
                                                     ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace strads::core
