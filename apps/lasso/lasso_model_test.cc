#include "apps/lasso/lasso_model.h"

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "core/test_temp_dir.h"
#include "gtest/gtest.h"

namespace strads::lasso {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = TestTempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(LassoModel, ReadsInterceptAndCoefficientsAndPredictsWithThem) {
  const std::string path = WriteFile("model.txt",
                                     "# strads lasso model\n"
                                     "# lambda 1.5\n"
                                     "# intercept 0.25\n"
                                     "# features 9\n"
                                     "# format: <feature index, 1-based as in LIBSVM> ...\n"
                                     "1 2\n"
                                     "3 -1\n"
                                     "9 100\n");
  absl::StatusOr<LassoModel> model = ReadLassoModel(path);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->intercept, 0.25);
  EXPECT_EQ(model->declared_features, 9);
  EXPECT_EQ(model->features, (std::vector<int64_t>{0, 2, 8}));
  EXPECT_EQ(model->coefficients, (std::vector<double>{2, -1, 100}));

  // 3 rows, 4 columns: feature 9 of the model is past them and meets zeros; column 1 has no
  // coefficient.
  absl::StatusOr<core::CscMatrix> x = core::CscFromTriplets(
      3, 4, {{0, 0, 1.0}, {0, 1, 5.0}, {1, 2, 2.0}, {2, 0, -1.0}, {2, 2, 1.0}});
  ASSERT_TRUE(x.ok());
  const std::vector<double> predictions = PredictLasso(*model, *x);
  EXPECT_EQ(predictions, (std::vector<double>{2.25, -1.75, -2.75}));

  const PredictionFit exact = FitOfPredictions(predictions, predictions);
  EXPECT_EQ(exact.rmse, 0);
  EXPECT_EQ(exact.r_squared, 1);
  const std::vector<double> labels = {3.25, -1.75, -2.75};  // one off by 1
  const PredictionFit off = FitOfPredictions(predictions, labels);
  EXPECT_DOUBLE_EQ(off.rmse, std::sqrt(1.0 / 3));
  // The labels. mean is -5/12: TSS = (11/3)^2 + (4/3)^2 + (7/3)^2 = 62/3; RSS = 1.
  EXPECT_NEAR(off.r_squared, 1 - 3.0 / 62, 1e-12);
  // Constant labels: R^2 is undefined, however good or bad the predictions.
  const std::vector<double> constant = {2.25, 2.25, 2.25};
  EXPECT_TRUE(std::isnan(FitOfPredictions(constant, constant).r_squared));
  EXPECT_TRUE(std::isnan(FitOfPredictions(predictions, constant).r_squared));
}

TEST(LassoModel, AModelWithoutInterceptPredictsFromZero) {
  absl::StatusOr<LassoModel> model =
      ReadLassoModel(WriteFile("plain.txt", "# strads lasso model\n2 0.5\n"));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->intercept, 0);
  EXPECT_EQ(model->declared_features, -1);
  absl::StatusOr<core::CscMatrix> x = core::CscFromTriplets(2, 2, {{1, 1, 4.0}});
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(PredictLasso(*model, *x), (std::vector<double>{0.0, 2.0}));
}

TEST(LassoModel, RefusesWhatIsNotAModelNamingTheLine) {
  struct Case {
    std::string text;
    std::string says;
  };
  const Case cases[] = {
      {"", "line 1: not a Lasso model of strads"},
      {"1 2\n", "line 1: not a Lasso model of strads"},
      {"# strads lasso model\n1 2 3\n", "line 2: expected '<feature index, 1-based>"},
      {"# strads lasso model\nx 2\n", "line 2: expected"},
      {"# strads lasso model\n0 2\n", "line 2: feature index 0 is outside"},
      {"# strads lasso model\n2 1\n2 1\n", "line 3: feature indices must increase"},
      {"# strads lasso model\n2 inf\n", "line 2: the coefficient is not a finite number"},
      {"# strads lasso model\n# intercept nan\n", "line 2: intercept 'nan' is not a finite"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<LassoModel> model = ReadLassoModel(WriteFile("bad.txt", c.text));
    ASSERT_FALSE(model.ok()) << c.text;
    EXPECT_NE(model.status().message().find(c.says), std::string::npos)
        << model.status().message() << "\nwanted: " << c.says;
  }
  EXPECT_FALSE(ReadLassoModel(TestTempDir() + "/missing.txt").ok());
}

}  // namespace
}  // namespace strads::lasso
