#include "core/checkpoint_io.h"

#include <sstream>

#include "gtest/gtest.h"

namespace strads::core {
namespace {

std::string Write(std::string_view tag) {
  std::ostringstream out;
  CheckpointWriter writer(out, tag);
  writer.Int(42);
  writer.Double(-1.5);
  writer.Doubles({1, 2, 3});
  EXPECT_TRUE(writer.Finish().ok());
  return out.str();
}

TEST(Checkpoint, RoundTrips) {
  std::istringstream in(Write("app-1"));
  CheckpointReader reader(in, "app-1");
  EXPECT_EQ(reader.Int(), 42);
  EXPECT_EQ(reader.Double(), -1.5);
  std::vector<double> values;
  reader.Doubles(3, &values);
  EXPECT_TRUE(reader.Finish().ok());
  EXPECT_EQ(values, (std::vector<double>{1, 2, 3}));
}

TEST(Checkpoint, RefusesAnotherTag) {
  std::istringstream in(Write("app-1"));
  CheckpointReader reader(in, "app-2");
  EXPECT_EQ(reader.Finish().code(), absl::StatusCode::kDataLoss);
}

TEST(Checkpoint, RefusesAnArrayOfAnotherSize) {
  std::istringstream in(Write("app-1"));
  CheckpointReader reader(in, "app-1");
  reader.Int();
  reader.Double();
  std::vector<double> values;
  reader.Doubles(4, &values);
  absl::Status status = reader.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("other data"), std::string::npos);
}

TEST(Checkpoint, EveryTruncationIsRefused) {
  const std::string full = Write("app-1");
  for (size_t length = 0; length < full.size(); ++length) {
    std::istringstream in(full.substr(0, length));
    CheckpointReader reader(in, "app-1");
    reader.Int();
    reader.Double();
    std::vector<double> values;
    reader.Doubles(3, &values);
    EXPECT_FALSE(reader.Finish().ok()) << "length " << length;
  }
}

TEST(Checkpoint, TrailingDataIsRefused) {
  std::istringstream in(Write("app-1") + "x");
  CheckpointReader reader(in, "app-1");
  reader.Int();
  reader.Double();
  std::vector<double> values;
  reader.Doubles(3, &values);
  EXPECT_FALSE(reader.Finish().ok());
}

// Arrays whose size the reader does not know: read back whole, and refused above the bound.
TEST(Checkpoint, ArraysUpToABound) {
  std::ostringstream out;
  {
    CheckpointWriter writer(out, "arrays");
    writer.Ints(std::vector<int64_t>{-3, 0, int64_t{1} << 60});
    writer.Doubles({0.5, -2.25});
    ASSERT_TRUE(writer.Finish().ok());
  }
  {
    std::istringstream in(out.str());
    CheckpointReader reader(in, "arrays");
    std::vector<int64_t> ints;
    std::vector<double> doubles;
    reader.IntsUpTo(3, &ints);
    reader.DoublesUpTo(10, &doubles);
    ASSERT_TRUE(reader.Finish().ok());
    EXPECT_EQ(ints, (std::vector<int64_t>{-3, 0, int64_t{1} << 60}));
    EXPECT_EQ(doubles, (std::vector<double>{0.5, -2.25}));
  }
  std::istringstream in(out.str());
  CheckpointReader reader(in, "arrays");
  std::vector<int64_t> ints;
  reader.IntsUpTo(2, &ints);
  EXPECT_EQ(reader.Finish().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace strads::core
