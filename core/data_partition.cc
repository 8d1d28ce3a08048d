#include "core/data_partition.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "core/file_text.h"

namespace strads::core {
namespace {

constexpr std::string_view kMagic = "strads-data-partition v1\n";
constexpr int64_t kReadChunk = 1 << 16;

bool IsCompressedName(std::string_view name) {
  for (std::string_view suffix : {".xz", ".gz", ".bz2", ".zst", ".lz4", ".zip"}) {
    if (name.size() < suffix.size()) continue;
    std::string tail(name.substr(name.size() - suffix.size()));
    for (char& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (tail == suffix) return true;
  }
  return false;
}

// "<begin> <end> <path>" of one encoded piece.
bool ParsePieceLine(std::string_view line, FilePiece* piece) {
  const size_t first = line.find(' ');
  if (first == std::string_view::npos) return false;
  const size_t second = line.find(' ', first + 1);
  if (second == std::string_view::npos || second + 1 >= line.size()) return false;
  auto parse = [](std::string_view text, int64_t* out) {
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
    return ec == std::errc() && ptr == end && !text.empty();
  };
  if (!parse(line.substr(0, first), &piece->begin)) return false;
  if (!parse(line.substr(first + 1, second - first - 1), &piece->end)) return false;
  piece->path = std::string(line.substr(second + 1));
  return piece->begin >= 0 && piece->end >= piece->begin;
}

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::NotFoundError(absl::StrCat(path, ": cannot ", what, ": ", std::strerror(errno)));
}

// Closes the descriptor on every path out.
class FileReader {
 public:
  explicit FileReader(int fd) : fd_(fd) {}
  ~FileReader() {
    if (fd_ >= 0) close(fd_);
  }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  // Up to `size` bytes at `offset` appended to `out`; returns how many (0 at the end of file).
  absl::StatusOr<int64_t> ReadAt(int64_t offset, int64_t size, std::string* out,
                                 const std::string& path) {
    const size_t old = out->size();
    out->resize(old + static_cast<size_t>(size));
    int64_t got = 0;
    while (got < size) {
      const ssize_t n = pread(fd_, out->data() + old + got, static_cast<size_t>(size - got),
                              static_cast<off_t>(offset + got));
      if (n < 0) {
        if (errno == EINTR) continue;
        out->resize(old);
        return ErrnoError("read", path);
      }
      if (n == 0) break;
      got += n;
    }
    out->resize(old + static_cast<size_t>(got));
    return got;
  }

 private:
  int fd_;
};

// Hands the lines that start in `piece` to `consume` in chunks of whole lines.
absl::Status ReadPieceInChunks(const FilePiece& piece, int64_t chunk_bytes,
                               const std::function<absl::Status(std::string_view)>& consume) {
  if (piece.end <= piece.begin) return absl::OkStatus();
  const int fd = open(piece.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", piece.path);
  FileReader file(fd);
  // The first line of the piece starts at `begin` when the byte before it ends a line; else the
  // line in progress belongs to the previous piece and is skipped.
  int64_t start = piece.begin;
  std::string buffer;
  if (start > 0) {
    int64_t offset = start - 1;
    while (true) {
      buffer.clear();
      absl::StatusOr<int64_t> got = file.ReadAt(offset, kReadChunk, &buffer, piece.path);
      if (!got.ok()) return got.status();
      if (*got == 0) return absl::OkStatus();  // no line starts in or after the piece
      const size_t newline = buffer.find('\n');
      if (newline != std::string::npos) {
        start = offset + static_cast<int64_t>(newline) + 1;
        break;
      }
      offset += *got;
    }
  }
  buffer.clear();
  // `buffer` holds the start of a line not yet complete, then the next bytes read.
  int64_t offset = start;
  while (offset < piece.end) {
    const int64_t want = std::min(std::max<int64_t>(chunk_bytes, 1), piece.end - offset);
    absl::StatusOr<int64_t> got = file.ReadAt(offset, want, &buffer, piece.path);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    offset += *got;
    const size_t last_newline = buffer.rfind('\n');
    if (last_newline == std::string::npos) continue;
    if (absl::Status status = consume(std::string_view(buffer).substr(0, last_newline + 1));
        !status.ok()) {
      return status;
    }
    buffer.erase(0, last_newline + 1);
  }
  // The last line started inside the piece: read on to its end.
  while (!buffer.empty() && buffer.back() != '\n') {
    const size_t before = buffer.size();
    absl::StatusOr<int64_t> more = file.ReadAt(offset, kReadChunk, &buffer, piece.path);
    if (!more.ok()) return more.status();
    if (*more == 0) break;
    const size_t newline = buffer.find('\n', before);
    if (newline != std::string::npos) {
      buffer.resize(newline + 1);
      break;
    }
    offset += *more;
  }
  if (buffer.empty()) return absl::OkStatus();
  if (buffer.back() != '\n') buffer.push_back('\n');
  return consume(buffer);
}

// A compressed file under a plain name: its first bytes say so.
absl::Status RefuseCompressedHead(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  FileReader file(fd);
  std::string head;
  absl::StatusOr<int64_t> got = file.ReadAt(0, 8, &head, path);
  if (!got.ok()) return got.status();
  return RefuseCompressedText(head, path);
}

}  // namespace

absl::StatusOr<std::vector<DataPartition>> CutDataPartitions(const std::string& path,
                                                             int num_parts) {
  if (num_parts < 1) {
    return absl::InvalidArgumentError(absl::StrCat("partitions must be >= 1, got ", num_parts));
  }
  namespace fs = std::filesystem;
  std::error_code error;
  std::vector<std::pair<std::string, int64_t>> files;  // path, size
  if (fs::is_directory(path, error)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("part-", 0) != 0 || !entry.is_regular_file(error)) continue;
      files.emplace_back(entry.path().string(), 0);
    }
    if (error) {
      return absl::NotFoundError(absl::StrCat(path, ": cannot list: ", error.message()));
    }
    if (files.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": a data directory must hold its data in files named part-* (none found)"));
    }
    std::sort(files.begin(), files.end());
  } else {
    if (!fs::is_regular_file(path, error)) {
      if (fs::exists(path, error)) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, " is not a regular file (a pipe, socket or device); give a data file"));
      }
      return absl::NotFoundError(absl::StrCat(path, ": no such data file or directory"));
    }
    files.emplace_back(path, 0);
  }
  int64_t total = 0;
  for (auto& [file, size] : files) {
    // By content first, which names the command that decompresses it.
    if (absl::Status status = RefuseCompressedHead(file); !status.ok()) return status;
    if (IsCompressedName(file)) {
      return absl::InvalidArgumentError(absl::StrCat(
          file, ": compressed data cannot be cut into byte ranges; decompress it first"));
    }
    if (file.find('\n') != std::string::npos) {
      return absl::InvalidArgumentError("data file names must not contain a newline");
    }
    const uintmax_t bytes = fs::file_size(file, error);
    if (error) return absl::NotFoundError(absl::StrCat(file, ": ", error.message()));
    size = static_cast<int64_t>(bytes);
    total += size;
  }
  // Partition p takes bytes [total p / n, total (p + 1) / n) of the files laid end to end.
  std::vector<DataPartition> parts(static_cast<size_t>(num_parts));
  int64_t file_start = 0;
  for (const auto& [file, size] : files) {
    const int64_t file_end = file_start + size;
    for (int p = 0; p < num_parts; ++p) {
      const int64_t begin = static_cast<int64_t>((__int128)total * p / num_parts);
      const int64_t end = static_cast<int64_t>((__int128)total * (p + 1) / num_parts);
      const int64_t lo = std::max(begin, file_start);
      const int64_t hi = std::min(end, file_end);
      if (lo < hi) parts[p].pieces.push_back({file, lo - file_start, hi - file_start});
    }
    file_start = file_end;
  }
  return parts;
}

absl::Status ForEachPartitionChunk(const DataPartition& partition, int64_t chunk_bytes,
                                   const std::function<absl::Status(std::string_view)>& consume) {
  for (const FilePiece& piece : partition.pieces) {
    if (absl::Status status = ReadPieceInChunks(piece, chunk_bytes, consume); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<FileLine> LocatePartitionLine(const DataPartition& partition, int64_t line) {
  int64_t before = 0;  // lines of the earlier pieces
  for (const FilePiece& piece : partition.pieces) {
    int64_t lines = 0;
    if (absl::Status status = ReadPieceInChunks(piece, kReadChunk,
                                                [&](std::string_view chunk) {
                                                  lines +=
                                                      std::count(chunk.begin(), chunk.end(), '\n');
                                                  return absl::OkStatus();
                                                });
        !status.ok()) {
      return status;
    }
    if (line > before + lines) {
      before += lines;
      continue;
    }
    // The piece's first line starts after the first newline at or after begin - 1 (at 0 for a
    // piece that starts the file): count the file's lines before it.
    std::ifstream in(piece.path, std::ios::binary);
    int64_t newlines = 0;
    int64_t offset = 0;
    char c;
    while (offset < piece.begin - 1 && in.get(c)) {
      newlines += c == '\n';
      ++offset;
    }
    if (piece.begin > 0) {
      while (in.get(c) && c != '\n') {
      }
      ++newlines;  // the line in progress at begin belongs to the previous piece
    }
    return FileLine{piece.path, newlines + (line - before)};
  }
  return absl::NotFoundError(
      absl::StrCat("line ", line, " is past the end of ", DescribePartition(partition)));
}

absl::Status WithFileLine(const DataPartition& partition, int64_t line,
                          const absl::Status& status) {
  const std::string marker = absl::StrCat(" line ", line, ": ");
  const size_t at = status.message().find(marker);
  if (at == std::string_view::npos) return status;
  absl::StatusOr<FileLine> where = LocatePartitionLine(partition, line);
  if (!where.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(where->path, " line ", where->line, ": ",
                                                  status.message().substr(at + marker.size())));
}

std::string DescribePartition(const DataPartition& partition) {
  if (partition.pieces.empty()) return "an empty partition";
  const FilePiece& first = partition.pieces.front();
  std::string name = absl::StrCat(first.path, " bytes ", first.begin, "-", first.end);
  if (partition.pieces.size() > 1) {
    absl::StrAppend(&name, " + ", partition.pieces.size() - 1, " more");
  }
  return name;
}

std::string EncodeDataPartition(const DataPartition& partition) {
  std::string out(kMagic);
  for (const FilePiece& piece : partition.pieces) {
    absl::StrAppend(&out, piece.begin, " ", piece.end, " ", piece.path, "\n");
  }
  return out;
}

bool IsEncodedDataPartition(std::string_view bytes) {
  return bytes.substr(0, kMagic.size()) == kMagic;
}

absl::StatusOr<DataPartition> DecodeDataPartition(std::string_view bytes) {
  if (!IsEncodedDataPartition(bytes)) {
    return absl::InvalidArgumentError("not an encoded data partition");
  }
  bytes.remove_prefix(kMagic.size());
  DataPartition partition;
  while (!bytes.empty()) {
    const size_t newline = bytes.find('\n');
    const std::string_view line = bytes.substr(0, newline);
    bytes.remove_prefix(newline == std::string_view::npos ? bytes.size() : newline + 1);
    if (line.empty()) continue;
    FilePiece piece;
    if (!ParsePieceLine(line, &piece)) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed data partition line '", std::string(line), "'"));
    }
    partition.pieces.push_back(std::move(piece));
  }
  return partition;
}

}  // namespace strads::core
