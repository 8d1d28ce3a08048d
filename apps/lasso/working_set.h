// The working-set schedule's two pieces of state on the scheduler: which coordinates form the next
// working set W (by priority, as Celer and Blitz choose theirs), and the Gram matrix X_W'X_W kept
// across outer iterations, so that a grown W asks the workers only for its new columns.
// Not thread-safe; owned by the LassoSchedulerApp and used on its thread.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace strads::lasso {

// The smallest working set, while the model has few non-zeros (Celer's p_0).
inline constexpr int64_t kMinWorkingSet = 100;

struct WorkingSetInputs {
  std::span<const double> b;           // the model
  std::span<const double> xtr;         // X'r at the model (centred with the intercept)
  std::span<const double> col_sqnorm;  // ||x_j||^2
  std::span<const double> predicted;   // each coordinate's change if it were updated now
  double lambda = 0;
  int64_t max_size = 0;
  int64_t min_size = kMinWorkingSet;
};

// W = every non-zero coordinate, then the zero coordinates closest to violating the optimality
// conditions, d_j = (lambda - |x_j'r|) / ||x_j|| smallest first (violators have d_j < 0), up to
// min(max_size, max(min_size, 2 nnz)) coordinates; all-zero columns never. When the non-zeros alone
// fill max_size, W is instead the max_size coordinates that would move most (|change| ||x_j||), a
// block of coordinate descent that still decreases F and reaches every violator in turn.
// `scratch` is reused across calls. The result is sorted.
void ChooseWorkingSet(const WorkingSetInputs& in, std::vector<std::pair<double, int64_t>>* scratch,
                      std::vector<int64_t>* chosen);

class WorkingSetGram {
 public:
  explicit WorkingSetGram(int64_t features) : position_(features, -1) {}

  // Makes `chosen` the working set: the columns already present keep their Gram entries (moved
  // to the front, in their old order), the others follow and wait for FillNew. Returns how many
  // were kept (num_old); keys() is the new order.
  int64_t Plan(std::span<const int64_t> chosen);
  // Takes the new columns' Gram values (the layout of shard_gram.h's GramValueIndex, summed over
  // workers) and completes the matrix.
  void FillNew(std::span<const double> values);
  void Clear();

  const std::vector<int64_t>& keys() const { return keys_; }
  int64_t size() const { return static_cast<int64_t>(keys_.size()); }
  int64_t num_old() const { return num_old_; }
  bool complete() const { return num_old_ == size(); }
  // Row-major size() x size(); valid once complete().
  std::span<const double> gram() const { return gram_; }

 private:
  std::vector<int64_t> keys_;
  std::vector<int32_t> position_;  // per feature: index in keys_, or -1
  std::vector<double> gram_;
  std::vector<double> previous_;  // scratch for Plan's compaction
  std::vector<int64_t> previous_keys_;
  std::vector<int32_t> kept_slots_;
  int64_t num_old_ = 0;
};

}  // namespace strads::lasso
