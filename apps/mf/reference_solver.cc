#include "apps/mf/reference_solver.h"

#include <cmath>

#include "apps/mf/mf_math.h"

namespace strads::mf {

MfReferenceResult SolveMfReference(const TrainingRatings& train,
                                   const MfReferenceOptions& options) {
  const int64_t stride = RowStride(options.rank);
  MfReferenceResult result;
  result.mu = options.biases ? train.mean : 0.0;
  const SolveOptions solve{.rank = options.rank,
                           .lambda = options.lambda,
                           .reg = options.reg,
                           .bias_lambda = options.bias_lambda,
                           .biases = options.biases,
                           .mu = result.mu};
  InitFactors(train.by_user.rows, train.by_item.rows, options.rank, options.seed, &result.w,
              &result.h);
  RowSolver solver(solve);
  const double nnz = static_cast<double>(train.by_user.nnz());
  for (int64_t round = 0; round < options.rounds && !result.converged; ++round) {
    const bool users = round % 2 == 0;
    const RatingsCsr& m = users ? train.by_user : train.by_item;
    std::vector<double>& target = users ? result.w : result.h;
    const std::vector<double>& other = users ? result.h : result.w;
    double squared_error = 0;
    for (int64_t r = 0; r < m.rows; ++r) {
      squared_error += solver.Solve(m.RowIdx(r), m.RowValues(r), other.data(), &target[r * stride]);
    }
    result.train_rmse.push_back(std::sqrt(squared_error / nnz));
    result.objective.push_back(squared_error + Regularizer(solve, train, result.w, result.h));
    // Against the previous round of the same half (users or items), as the app compares.
    const size_t made = result.objective.size();
    result.converged =
        options.tolerance > 0 && made > 2 &&
        ObjectiveSettled(result.objective[made - 3], result.objective.back(), options.tolerance);
  }
  return result;
}

}  // namespace strads::mf
