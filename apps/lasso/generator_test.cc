#include "apps/lasso/generator.h"

#include <cmath>
#include <map>
#include <vector>

#include "absl/status/status.h"
#include "core/dependency_filter.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

TEST(GenerateLassoProblem, IsDeterministicForASeed) {
  const LassoProblemOptions options = {
      .samples = 300, .features = 50, .density = 0.3, .correlation = 0.5, .seed = 11};
  absl::StatusOr<LassoProblem> a = GenerateLassoProblem(options);
  absl::StatusOr<LassoProblem> b = GenerateLassoProblem(options);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->data.x.col_ptr, b->data.x.col_ptr);
  EXPECT_EQ(a->data.x.row_idx, b->data.x.row_idx);
  EXPECT_EQ(a->data.x.values, b->data.x.values);
  EXPECT_EQ(a->data.y, b->data.y);
  EXPECT_EQ(a->true_beta, b->true_beta);

  LassoProblemOptions other = options;
  other.seed = 12;
  absl::StatusOr<LassoProblem> c = GenerateLassoProblem(other);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_NE(a->data.x.values, c->data.x.values);
}

TEST(GenerateLassoProblem, HasTheRequestedShapeDensityAndSparsity) {
  absl::StatusOr<LassoProblem> problem = GenerateLassoProblem(
      {.samples = 1000, .features = 200, .density = 0.1, .correlation = 0.3, .seed = 5});
  ASSERT_TRUE(problem.ok()) << problem.status();
  const core::CscMatrix& x = problem->data.x;
  EXPECT_EQ(x.rows, 1000);
  EXPECT_EQ(x.cols, 200);
  EXPECT_EQ(problem->data.y.size(), 1000u);
  EXPECT_NEAR(static_cast<double>(x.nnz()) / (1000.0 * 200.0), 0.1, 0.02);
  int planted = 0;
  for (double v : problem->true_beta) planted += v != 0;
  EXPECT_EQ(planted, 10);  // 5% of 200
  for (int64_t j = 0; j < x.cols; ++j) {
    auto rows = x.ColRows(j);
    for (size_t k = 1; k < rows.size(); ++k) ASSERT_LT(rows[k - 1], rows[k]) << "column " << j;
  }
}

// Groups are the columns sharing one support; with 2000 rows at density 0.3 two different groups
// draw the same support with negligible probability.
TEST(GenerateLassoProblem, CorrelatesColumnsWithinAGroupOnly) {
  const double c = 0.6;
  absl::StatusOr<LassoProblem> problem = GenerateLassoProblem(
      {.samples = 2000, .features = 60, .density = 0.3, .correlation = c, .seed = 9});
  ASSERT_TRUE(problem.ok()) << problem.status();
  const core::CscMatrix& x = problem->data.x;
  std::map<std::vector<int32_t>, std::vector<int64_t>> groups;
  for (int64_t j = 0; j < x.cols; ++j) {
    auto rows = x.ColRows(j);
    groups[std::vector<int32_t>(rows.begin(), rows.end())].push_back(j);
  }
  ASSERT_EQ(groups.size(), 6u);
  bool scattered = false;
  for (const auto& [support, columns] : groups) {
    ASSERT_EQ(columns.size(), 10u);
    if (columns.back() - columns.front() != 9) scattered = true;
  }
  EXPECT_TRUE(scattered) << "groups should not be contiguous blocks of columns";

  core::ColumnCorrelation correlation(&x);
  std::vector<int64_t> group_of(x.cols);
  int g = 0;
  for (const auto& [support, columns] : groups) {
    for (int64_t j : columns) group_of[j] = g;
    ++g;
  }
  double out_sum = 0;
  int out_count = 0;
  for (int64_t j = 0; j < x.cols; ++j) {
    for (int64_t k = j + 1; k < x.cols; ++k) {
      const double corr = correlation.Get(j, k);
      if (group_of[j] == group_of[k]) {
        EXPECT_NEAR(corr, c, 0.1) << "columns " << j << ", " << k;
      } else {
        EXPECT_LT(corr, 0.2) << "columns " << j << ", " << k;
        out_sum += corr;
        ++out_count;
      }
    }
  }
  EXPECT_LT(out_sum / out_count, 0.05);
}

TEST(GenerateLassoProblem, RefusesBadOptions) {
  const LassoProblemOptions good = {.samples = 10, .features = 10, .density = 0.5};
  ASSERT_TRUE(GenerateLassoProblem(good).ok());
  auto expect_invalid = [](LassoProblemOptions options, const char* what) {
    absl::StatusOr<LassoProblem> problem = GenerateLassoProblem(options);
    ASSERT_FALSE(problem.ok()) << what;
    EXPECT_EQ(problem.status().code(), absl::StatusCode::kInvalidArgument) << what;
    EXPECT_NE(problem.status().message().find(what), std::string::npos)
        << problem.status().message();
  };
  LassoProblemOptions o = good;
  o.density = 0;
  expect_invalid(o, "density");
  o = good;
  o.density = 1.5;
  expect_invalid(o, "density");
  o = good;
  o.correlation = 1.0;
  expect_invalid(o, "correlation");
  o = good;
  o.correlation = -0.1;
  expect_invalid(o, "correlation");
  o = good;
  o.samples = 0;
  expect_invalid(o, "samples");
  o = good;
  o.features = 0;
  expect_invalid(o, "features");
}

}  // namespace
}  // namespace strads::lasso
