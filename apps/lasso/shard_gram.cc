#include "apps/lasso/shard_gram.h"

#include <algorithm>

namespace strads::lasso {
namespace {

// Denser than this, Eigen's blocked product beats the row-wise scatter.
constexpr double kDenseFraction = 0.25;
// The dense copy's largest size (doubles): 256 MiB.
constexpr int64_t kMaxDenseValues = int64_t{1} << 25;

}  // namespace

int64_t GramValueCount(int64_t size, int64_t num_old) {
  return (size * (size + 1) - num_old * (num_old + 1)) / 2;
}

int64_t ShardGram::Accumulate(const core::CscMatrix& x, std::span<const int64_t> keys,
                              int64_t num_old, std::span<double> out) {
  const int64_t n = static_cast<int64_t>(keys.size());
  if (num_old >= n || x.rows == 0) return 0;
  int64_t nnz = 0;
  for (int64_t key : keys) nnz += x.col_ptr[key + 1] - x.col_ptr[key];
  const int64_t cells = x.rows * n;
  if (cells <= kMaxDenseValues &&
      static_cast<double>(nnz) >= kDenseFraction * static_cast<double>(cells)) {
    return AccumulateDense(x, keys, num_old, out);
  }
  return AccumulateSparse(x, keys, num_old, out);
}

int64_t ShardGram::AccumulateSparse(const core::CscMatrix& x, std::span<const int64_t> keys,
                                    int64_t num_old, std::span<double> out) {
  const int64_t n = static_cast<int64_t>(keys.size());
  row_start_.assign(x.rows + 1, 0);
  for (int64_t key : keys) {
    for (int32_t row : x.ColRows(key)) ++row_start_[row + 1];
  }
  for (int64_t i = 0; i < x.rows; ++i) row_start_[i + 1] += row_start_[i];
  entries_.resize(row_start_[x.rows]);
  // Filled slot by slot, so every row's entries come out sorted by slot; row_start_[i] walks to
  // the end of row i and is restored below.
  for (int64_t s = 0; s < n; ++s) {
    const auto rows = x.ColRows(keys[s]);
    const auto values = x.ColValues(keys[s]);
    for (size_t k = 0; k < rows.size(); ++k) {
      entries_[row_start_[rows[k]]++] = {static_cast<int32_t>(s), values[k]};
    }
  }
  for (int64_t i = x.rows; i > 0; --i) row_start_[i] = row_start_[i - 1];
  row_start_[0] = 0;

  int64_t work = 0;
  double* result = out.data();
  for (int64_t i = 0; i < x.rows; ++i) {
    const Entry* begin = entries_.data() + row_start_[i];
    const Entry* end = entries_.data() + row_start_[i + 1];
    const Entry* first_new = std::lower_bound(
        begin, end, num_old, [](const Entry& e, int64_t slot) { return e.slot < slot; });
    for (const Entry* a = first_new; a < end; ++a) {
      double* column = result + GramValueIndex(a->slot, 0, num_old);
      const double va = a->value;
      for (const Entry* s = begin; s <= a; ++s) column[s->slot] += va * s->value;
      work += (a - begin) + 1;
    }
  }
  return work;
}

int64_t ShardGram::AccumulateDense(const core::CscMatrix& x, std::span<const int64_t> keys,
                                   int64_t num_old, std::span<double> out) {
  const int64_t n = static_cast<int64_t>(keys.size());
  dense_.setZero(x.rows, n);
  for (int64_t s = 0; s < n; ++s) {
    const auto rows = x.ColRows(keys[s]);
    const auto values = x.ColValues(keys[s]);
    for (size_t k = 0; k < rows.size(); ++k) dense_(rows[k], s) = values[k];
  }
  const int64_t fresh = n - num_old;
  const Eigen::MatrixXd block = dense_.transpose() * dense_.rightCols(fresh);
  for (int64_t a = num_old; a < n; ++a) {
    double* column = out.data() + GramValueIndex(a, 0, num_old);
    for (int64_t s = 0; s <= a; ++s) column[s] += block(s, a - num_old);
  }
  return x.rows * n * fresh;
}

}  // namespace strads::lasso
