#include "apps/mf/reference_solver.h"

#include <cmath>

#include "apps/mf/mf_math.h"

namespace strads::mf {

MfReferenceResult SolveMfReference(const TrainingRatings& train,
                                   const MfReferenceOptions& options) {
  const int64_t k = options.rank;
  MfReferenceResult result;
  InitFactors(train.by_user.rows, train.by_item.rows, k, options.seed, &result.w, &result.h);
  RowSolver solver(k, options.lambda);
  const double nnz = static_cast<double>(train.by_user.nnz());
  for (int64_t round = 0; round < options.rounds; ++round) {
    const bool users = round % 2 == 0;
    const RatingsCsr& m = users ? train.by_user : train.by_item;
    std::vector<double>& target = users ? result.w : result.h;
    const std::vector<double>& other = users ? result.h : result.w;
    double squared_error = 0;
    for (int64_t r = 0; r < m.rows; ++r) {
      squared_error += solver.Solve(m.RowIdx(r), m.RowValues(r), other.data(), &target[r * k]);
    }
    result.train_rmse.push_back(std::sqrt(squared_error / nnz));
    result.objective.push_back(squared_error + Regularizer(options.lambda, result.w, result.h));
  }
  return result;
}

}  // namespace strads::mf
