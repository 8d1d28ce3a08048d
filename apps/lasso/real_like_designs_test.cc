#include "apps/lasso/real_like_designs.h"

#include <cmath>
#include <set>
#include <vector>

#include "apps/lasso/generator.h"
#include "core/dependency_filter.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

core::CscMatrix Design(DesignKind kind, int64_t n, int64_t m, double density, uint64_t seed = 4) {
  Draws draws(seed);
  core::CscMatrix x = RealLikeDesign(kind, n, m, density, draws);
  EXPECT_EQ(x.rows, n);
  EXPECT_EQ(x.cols, m);
  for (int64_t j = 0; j < x.cols; ++j) {
    auto rows = x.ColRows(j);
    for (size_t k = 1; k < rows.size(); ++k) EXPECT_LT(rows[k - 1], rows[k]) << "column " << j;
  }
  return x;
}

// The mean |cosine| over pairs of non-empty columns: what makes real features hard for a
// pairwise dependency check is that it is well above zero.
double MeanAbsCorrelation(const core::CscMatrix& x) {
  core::ColumnCorrelation correlation(&x);
  double sum = 0;
  int64_t pairs = 0;
  for (int64_t j = 0; j < x.cols; ++j) {
    for (int64_t k = j + 1; k < x.cols; ++k) {
      if (x.ColRows(j).empty() || x.ColRows(k).empty()) continue;
      sum += correlation.Get(j, k);
      ++pairs;
    }
  }
  return sum / static_cast<double>(pairs);
}

TEST(RealLikeDesigns, NamesRoundTripAndUnknownOnesAreRefused) {
  for (DesignKind kind : {DesignKind::kGroups, DesignKind::kOneHot, DesignKind::kCounts,
                          DesignKind::kBinary, DesignKind::kSpectra, DesignKind::kDuplicated}) {
    absl::StatusOr<DesignKind> parsed = ParseDesignKind(DesignKindName(kind));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, kind);
  }
  absl::StatusOr<DesignKind> bad = ParseDesignKind("gaussian");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("onehot"), std::string::npos) << bad.status();
}

TEST(RealLikeDesigns, OneHotHasOneEntryPerFieldAndRow) {
  const core::CscMatrix x = Design(DesignKind::kOneHot, 500, 123, 0);
  std::vector<int> per_row(500, 0);
  for (int64_t j = 0; j < x.cols; ++j) {
    for (int32_t i : x.ColRows(j)) ++per_row[i];
    for (double v : x.ColValues(j)) EXPECT_EQ(v, 1.0);
  }
  // Every row has the same number of ones: one per field, fields of 2-20 levels.
  for (int count : per_row) EXPECT_EQ(count, per_row[0]);
  EXPECT_GE(per_row[0], 123 / 20);
  EXPECT_LE(per_row[0], 123 / 2);
  EXPECT_GT(MeanAbsCorrelation(x), 0.05);
}

TEST(RealLikeDesigns, CountsAreSkewedIntegers) {
  const core::CscMatrix x = Design(DesignKind::kCounts, 400, 2000, 0.02);
  std::vector<int64_t> lengths;
  for (int64_t j = 0; j < x.cols; ++j) {
    for (double v : x.ColValues(j)) {
      EXPECT_GE(v, 1.0);
      EXPECT_EQ(v, std::round(v));
    }
    lengths.push_back(static_cast<int64_t>(x.ColRows(j).size()));
  }
  std::sort(lengths.rbegin(), lengths.rend());
  // Zipf: the most frequent word is in most documents, the median one in few.
  EXPECT_GT(lengths[0], 200);
  EXPECT_LT(lengths[1000], 20);
}

TEST(RealLikeDesigns, BinaryFrequenciesSpanTwoDecades) {
  const core::CscMatrix x = Design(DesignKind::kBinary, 4000, 300, 0.02);
  int64_t rare = 0;
  int64_t common = 0;
  for (int64_t j = 0; j < x.cols; ++j) {
    for (double v : x.ColValues(j)) EXPECT_EQ(v, 1.0);
    const double frequency = static_cast<double>(x.ColRows(j).size()) / 4000.0;
    rare += frequency < 0.005;
    common += frequency > 0.05;
  }
  EXPECT_GT(rare, 20);
  EXPECT_GT(common, 20);
}

TEST(RealLikeDesigns, SpectraAreDensePositiveAndNeighboursNearlyCollinear) {
  const core::CscMatrix x = Design(DesignKind::kSpectra, 60, 400, 0);
  EXPECT_EQ(x.nnz(), 60 * 400);
  for (double v : x.values) EXPECT_GT(v, 0);
  core::ColumnCorrelation correlation(&x);
  for (int64_t j = 0; j + 1 < x.cols; j += 37) EXPECT_GT(correlation.Get(j, j + 1), 0.99);
}

TEST(RealLikeDesigns, DuplicatedColumnsHaveCopiesWithCorrelationOne) {
  const core::CscMatrix x = Design(DesignKind::kDuplicated, 300, 40, 0.2);
  core::ColumnCorrelation correlation(&x);
  int64_t copies = 0;
  bool negated = false;
  for (int64_t j = 0; j < x.cols; ++j) {
    for (int64_t k = j + 1; k < x.cols; ++k) {
      if (correlation.Get(j, k) > 1 - 1e-9) {
        ++copies;
        negated |= x.ColValues(j)[0] * x.ColValues(k)[0] < 0;
      }
    }
  }
  EXPECT_GE(copies, 13);  // 2 of every 3 copies are exact up to scale
  EXPECT_LE(copies, 14);
  EXPECT_TRUE(negated);
}

TEST(RealLikeDesigns, TheGeneratorPlantsAModelOnEveryKind) {
  for (DesignKind kind : {DesignKind::kOneHot, DesignKind::kCounts, DesignKind::kBinary,
                          DesignKind::kSpectra, DesignKind::kDuplicated}) {
    const LassoProblemOptions options = {
        .kind = kind, .samples = 100, .features = 80, .density = 0.1, .seed = 7};
    absl::StatusOr<LassoProblem> a = GenerateLassoProblem(options);
    absl::StatusOr<LassoProblem> b = GenerateLassoProblem(options);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(a->data.x.values, b->data.x.values) << DesignKindName(kind);
    EXPECT_EQ(a->data.y, b->data.y) << DesignKindName(kind);
    int planted = 0;
    for (double v : a->true_beta) planted += v != 0;
    EXPECT_EQ(planted, 4) << DesignKindName(kind);  // 5% of 80
    double y_sq = 0;
    for (double v : a->data.y) y_sq += v * v;
    EXPECT_GT(y_sq, 100 * 0.1 * 0.1) << DesignKindName(kind);  // more than the noise
  }
}

}  // namespace
}  // namespace strads::lasso
