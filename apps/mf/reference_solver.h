// A single-process ALS solver for matrix factorization with biases: the same seeded start, the
// same mu and the same row updates (mf_math.h) as the distributed app, in one loop. Tests hold the
// app to it, and `--lambda auto` runs it on a held-out split of the training set.
#pragma once

#include <cstdint>
#include <vector>

#include "apps/mf/mf_params.h"
#include "apps/mf/ratings.h"

namespace strads::mf {

struct MfReferenceOptions {
  int64_t rank = 10;
  double lambda = kDefaultLambdaWeighted;
  uint64_t seed = 1;
  // The most rounds made; round r updates all of W when r is even, all of H when odd.
  int64_t rounds = 10;
  Regularization reg = Regularization::kWeighted;
  double bias_lambda = kDefaultBiasLambda;
  bool biases = true;
  // > 0: stop after the first round whose objective settled by ObjectiveSettled (mf_math.h), the
  // rule the app stops by; 0: make all `rounds` rounds.
  double tolerance = 0;
};

struct MfReferenceResult {
  double mu = 0;          // train.mean with biases, 0 without
  std::vector<double> w;  // users x RowStride(rank), row-major: factors, then the user's bias
  std::vector<double> h;  // items x RowStride(rank)
  // After each round: sqrt(SSE / nnz) and SSE + the penalty (mf_math.h Regularizer).
  std::vector<double> train_rmse;
  std::vector<double> objective;
  bool converged = false;  // stopped by the tolerance (the rounds made: objective.size())
};

MfReferenceResult SolveMfReference(const TrainingRatings& train, const MfReferenceOptions& options);

}  // namespace strads::mf
