// A single-process ALS solver for matrix factorization: the same seeded start and the same row
// updates (mf_math.h) as the distributed app, in one loop. Tests hold the app to it.
#pragma once

#include <cstdint>
#include <vector>

#include "apps/mf/ratings.h"

namespace strads::mf {

struct MfReferenceOptions {
  int64_t rank = 10;
  double lambda = 0.05;
  uint64_t seed = 1;
  int64_t rounds = 10;  // round r updates all of W when r is even, all of H when odd
};

struct MfReferenceResult {
  std::vector<double> w;  // users x rank, row-major
  std::vector<double> h;  // items x rank
  // After each round: sqrt(SSE / nnz) and SSE + lambda (||W||^2 + ||H||^2).
  std::vector<double> train_rmse;
  std::vector<double> objective;
};

MfReferenceResult SolveMfReference(const TrainingRatings& train, const MfReferenceOptions& options);

}  // namespace strads::mf
