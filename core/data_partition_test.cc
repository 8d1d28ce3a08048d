#include "core/data_partition.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace strads::core {
namespace {

std::string TempDir(const std::string& name) {
  const std::string dir = testing::TempDir() + "/data_partition_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The whole text of a partition, as one piece at a time.
absl::StatusOr<std::string> ReadPartitionText(const DataPartition& partition) {
  std::string text;
  absl::Status status =
      ForEachPartitionChunk(partition, int64_t{1} << 40, [&](std::string_view lines) {
        text.append(lines);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return text;
}

std::string ReadAll(const std::vector<DataPartition>& parts) {
  std::string all;
  for (const DataPartition& part : parts) {
    absl::StatusOr<std::string> text = ReadPartitionText(part);
    EXPECT_TRUE(text.ok()) << text.status();
    if (text.ok()) all += *text;
  }
  return all;
}

TEST(DataPartition, EveryCutReadsEveryLineOnceInOrder) {
  const std::string dir = TempDir("every_cut");
  const std::string text = "1 1:1\n2 2:2.5\n\n# comment\n-3 1:1 3:4\n4 2:1\n5 1:7\n";
  WriteFile(dir + "/d.libsvm", text);
  for (int parts = 1; parts <= static_cast<int>(text.size()) + 3; ++parts) {
    absl::StatusOr<std::vector<DataPartition>> cut = CutDataPartitions(dir + "/d.libsvm", parts);
    ASSERT_TRUE(cut.ok()) << cut.status();
    ASSERT_EQ(cut->size(), static_cast<size_t>(parts));
    EXPECT_EQ(ReadAll(*cut), text) << parts << " partitions";
  }
}

// Every line a partition hands out is located at its file and line number, whatever the cut,
// for a file and for a directory of parts (each line's text names its own place).
TEST(DataPartition, LocatesEveryLineInItsFile) {
  const std::string dir = TempDir("locate");
  std::string one;
  for (int line = 1; line <= 40; ++line) one += "f line " + std::to_string(line) + "\n";
  WriteFile(dir + "/d.txt", one);
  std::filesystem::create_directories(dir + "/parts");
  for (int part = 0; part < 3; ++part) {
    std::string text;
    for (int line = 1; line <= 5 + part * 7; ++line) {
      text += std::to_string(part) + " line " + std::to_string(line) + "\r\n";
    }
    WriteFile(dir + "/parts/part-0000" + std::to_string(part), text);
  }
  for (const std::string& path : {dir + "/d.txt", dir + "/parts"}) {
    for (int parts = 1; parts <= 9; ++parts) {
      absl::StatusOr<std::vector<DataPartition>> cut = CutDataPartitions(path, parts);
      ASSERT_TRUE(cut.ok()) << cut.status();
      for (const DataPartition& partition : *cut) {
        absl::StatusOr<std::string> text = ReadPartitionText(partition);
        ASSERT_TRUE(text.ok());
        int64_t k = 0;
        size_t start = 0;
        for (size_t end = text->find('\n'); end != std::string::npos;
             start = end + 1, end = text->find('\n', start)) {
          const std::string line = text->substr(start, end - start);
          absl::StatusOr<FileLine> where = LocatePartitionLine(partition, ++k);
          ASSERT_TRUE(where.ok()) << where.status();
          const std::string number = line.substr(line.rfind(' ') + 1);
          EXPECT_EQ(std::to_string(where->line), number.substr(0, number.find('\r')))
              << path << " " << parts << " partitions, line " << k;
          if (path.ends_with("parts")) {
            EXPECT_TRUE(where->path.ends_with(std::string("part-0000") + line[0])) << line;
          }
        }
        EXPECT_FALSE(LocatePartitionLine(partition, k + 1).ok());
      }
    }
  }
}

// Read in chunks of any size, every cut yields the same whole lines as read at once, each chunk
// ending a line and holding at most the chunk size and one line.
TEST(DataPartition, ChunkedReadingGivesTheSameLinesInWholeLineChunks) {
  const std::string dir = TempDir("chunks");
  const std::string text =
      "1 1:1\n2 2:2.5\n\n# comment\n-3 1:1 3:4\n" + std::string(40, '4') + " 2:1\n5 1:7";
  WriteFile(dir + "/d.libsvm", text);
  for (int parts : {1, 2, 3, 7}) {
    absl::StatusOr<std::vector<DataPartition>> cut = CutDataPartitions(dir + "/d.libsvm", parts);
    ASSERT_TRUE(cut.ok());
    for (int64_t chunk : {1, 2, 5, 16, 1000}) {
      std::string all;
      for (const DataPartition& part : *cut) {
        absl::Status status = ForEachPartitionChunk(part, chunk, [&](std::string_view lines) {
          EXPECT_FALSE(lines.empty());
          EXPECT_EQ(lines.back(), '\n');
          // At most the chunk size and a line (the start of a line left over from the read
          // before); the longest line here is 45 bytes.
          EXPECT_LE(static_cast<int64_t>(lines.size()), chunk + 45) << "chunk " << chunk;
          all.append(lines);
          return absl::OkStatus();
        });
        EXPECT_TRUE(status.ok()) << status;
      }
      EXPECT_EQ(all, text + "\n") << parts << " partitions, chunk " << chunk;
    }
  }
}

TEST(DataPartition, ChunkedReadingStopsAtTheConsumersError) {
  const std::string dir = TempDir("chunk_error");
  WriteFile(dir + "/d.libsvm", "1 1:1\n2 1:2\n3 1:3\n");
  absl::StatusOr<std::vector<DataPartition>> cut = CutDataPartitions(dir + "/d.libsvm", 1);
  ASSERT_TRUE(cut.ok());
  int calls = 0;
  absl::Status status = ForEachPartitionChunk((*cut)[0], 6, [&](std::string_view) {
    ++calls;
    return absl::InvalidArgumentError("bad line");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 1);
}

TEST(DataPartition, CrlfLinesStayWhole) {
  const std::string dir = TempDir("crlf");
  const std::string text = "1 1:1\r\n2 2:2\r\n3 3:3\r\n";
  WriteFile(dir + "/d.libsvm", text);
  for (int parts = 1; parts <= 12; ++parts) {
    absl::StatusOr<std::vector<DataPartition>> cut = CutDataPartitions(dir + "/d.libsvm", parts);
    ASSERT_TRUE(cut.ok());
    EXPECT_EQ(ReadAll(*cut), text) << parts;
    for (const DataPartition& part : *cut) {
      const std::string piece = *ReadPartitionText(part);
      // Every partition's text is whole lines: it never starts inside a line.
      if (!piece.empty()) EXPECT_EQ(piece.back(), '\n');
      if (!piece.empty()) EXPECT_TRUE(piece[0] >= '1' && piece[0] <= '3') << piece;
    }
  }
}

TEST(DataPartition, ALineLongerThanARangeBelongsToWhereItStarts) {
  const std::string dir = TempDir("long_line");
  const std::string long_line = "1" + std::string(200000, ' ') + "1:1\n";
  const std::string text = "2 1:2\n" + long_line + "3 1:3";  // the last line has no newline
  WriteFile(dir + "/d.libsvm", text);
  absl::StatusOr<std::vector<DataPartition>> cut = CutDataPartitions(dir + "/d.libsvm", 8);
  ASSERT_TRUE(cut.ok());
  int empty = 0;
  for (const DataPartition& part : *cut) empty += ReadPartitionText(part)->empty() ? 1 : 0;
  EXPECT_GE(empty, 5);  // the ranges inside the long line yield nothing
  EXPECT_EQ(ReadAll(*cut), text + "\n");
}

TEST(DataPartition, EmptyFileAndEmptyRanges) {
  const std::string dir = TempDir("empty");
  WriteFile(dir + "/d.libsvm", "");
  absl::StatusOr<std::vector<DataPartition>> cut = CutDataPartitions(dir + "/d.libsvm", 3);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(ReadAll(*cut), "");
}

TEST(DataPartition, DirectoryOfPartsInNameOrder) {
  const std::string dir = TempDir("parts");
  WriteFile(dir + "/part-00001", "3 1:3\n4 1:4\n");
  WriteFile(dir + "/part-00000", "1 1:1\n2 1:2\n");
  WriteFile(dir + "/_SUCCESS", "");
  WriteFile(dir + "/part-00002", "5 1:5\n");
  for (int parts = 1; parts <= 7; ++parts) {
    absl::StatusOr<std::vector<DataPartition>> cut = CutDataPartitions(dir, parts);
    ASSERT_TRUE(cut.ok()) << cut.status();
    EXPECT_EQ(ReadAll(*cut), "1 1:1\n2 1:2\n3 1:3\n4 1:4\n5 1:5\n") << parts;
  }
  // Three files over three partitions: each reads its own file.
  absl::StatusOr<std::vector<DataPartition>> three = CutDataPartitions(dir, 3);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(*ReadPartitionText((*three)[2]), "5 1:5\n");
}

TEST(DataPartition, RefusesWhatCannotBeCut) {
  const std::string dir = TempDir("refused");
  EXPECT_FALSE(CutDataPartitions(dir, 2).ok());  // no part-* files
  WriteFile(dir + "/d.libsvm.xz", "x");
  absl::StatusOr<std::vector<DataPartition>> xz = CutDataPartitions(dir + "/d.libsvm.xz", 2);
  ASSERT_FALSE(xz.ok());
  EXPECT_NE(xz.status().message().find("compressed"), std::string::npos);
  EXPECT_FALSE(CutDataPartitions(dir + "/missing", 2).ok());
  EXPECT_FALSE(CutDataPartitions(dir + "/d.libsvm.xz", 0).ok());
}

TEST(DataPartition, RefusesACompressedFileUnderAPlainName) {
  const std::string dir = TempDir("renamed_gz");
  WriteFile(dir + "/d.libsvm", std::string("\x1f\x8b\x08\x00data", 8));
  absl::StatusOr<std::vector<DataPartition>> cut = CutDataPartitions(dir + "/d.libsvm", 2);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("is gzip-compressed; decompress it first"),
            std::string::npos)
      << cut.status();
}

TEST(DataPartition, EncodingRoundTrips) {
  DataPartition partition;
  partition.pieces.push_back({"/data/a b.libsvm", 10, 2000});
  partition.pieces.push_back({"/data/part-00001", 0, 5});
  const std::string bytes = EncodeDataPartition(partition);
  EXPECT_TRUE(IsEncodedDataPartition(bytes));
  absl::StatusOr<DataPartition> decoded = DecodeDataPartition(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->pieces.size(), 2u);
  EXPECT_EQ(decoded->pieces[0].path, "/data/a b.libsvm");
  EXPECT_EQ(decoded->pieces[0].begin, 10);
  EXPECT_EQ(decoded->pieces[1].end, 5);
  EXPECT_FALSE(IsEncodedDataPartition("STRADS shard"));
  EXPECT_FALSE(DecodeDataPartition(std::string("strads-data-partition v1\n1 x /p\n")).ok());
}

}  // namespace
}  // namespace strads::core
