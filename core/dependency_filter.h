// The dependency check: among candidate parameters, keep a subset whose pairwise normalised
// correlation |x_j'x_k| / (||x_j|| ||x_k||) stays under rho, so that updating them in parallel
// behaves like updating them one after another, and optionally whose correlation row sums stay
// under a bound (Gershgorin), which bounds the whole batch, not only its pairs. Correlations are
// computed only for pairs of candidates that are actually compared.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/csc_matrix.h"

namespace strads::core {

// Correlations of the centred columns x_j - m_j o instead of the columns themselves, o being the
// all-ones column as the matrix sees it (1 itself, or its sketch S1). With an unpenalised
// intercept the Lasso's coordinate steps move b0 with b_j, so two coordinates interact through
// their centred columns. Given per column its mean m_j, t_j = x_j'o and its centred squared norm
// (the caller computes it accurately: a difference of squares would lose a column far from zero
// with a small spread), and q = o'o:
//   (x_j - m_j o)'(x_k - m_k o) = x_j'x_k - m_k t_j - m_j t_k + m_j m_k q.
// Centring makes every pair of columns interact, whether or not they share a row.
struct ColumnCentring {
  std::vector<double> means;
  std::vector<double> ones_dots;
  std::vector<double> centred_sqnorms;  // 0: a constant (or empty) column, correlated with none
  double ones_sqnorm = 0;
};

// |corr(x_j, x_k)| for columns of one matrix (or of its centred columns), computed lazily and
// cached. Not thread-safe.
class ColumnCorrelation {
 public:
  // `x` must outlive this object. The cache holds at most `cache_capacity` pairs; when full it is
  // cleared (cheap, and the working set of an active Lasso job is small).
  explicit ColumnCorrelation(const CscMatrix* x, size_t cache_capacity = 1 << 22);
  // The correlations of the centred columns; `centring` has one entry per column of `x`.
  ColumnCorrelation(const CscMatrix* x, const ColumnCentring& centring,
                    size_t cache_capacity = 1 << 22);

  // Absolute normalised correlation in [0, 1]; 0 when either column is all zeros.
  double Get(int64_t j, int64_t k);

  int64_t computed() const { return computed_; }
  const CscMatrix& matrix() const { return *x_; }
  // 1 / ||x_j|| (centred: 1 / ||x_j - m_j o||), or 0 for an all-zero (centred: constant) column.
  double inv_norm(int64_t j) const { return inv_norm_[j]; }
  int64_t cache_hits() const { return cache_hits_; }
  bool centred() const { return centred_; }
  // Centred: what to subtract from x_j'x_k / (norm_j norm_k) to get the centred correlation,
  // m_k t_j + m_j t_k - m_j m_k q in units of the centred norms.
  double UnitCentring(int64_t j, int64_t k) const {
    return unit_mean_[k] * unit_ones_dot_[j] + unit_mean_[j] * unit_ones_dot_[k] -
           unit_mean_[j] * unit_mean_[k] * ones_sqnorm_;
  }

 private:
  double Compute(int64_t j, int64_t k);

  const CscMatrix* x_;
  size_t cache_capacity_;
  std::vector<double> inv_norm_;  // 1 / ||x_j||, 0 for empty columns
  bool centred_ = false;
  std::vector<double> unit_mean_;      // centred: m_j / ||x_j - m_j o||
  std::vector<double> unit_ones_dot_;  // centred: t_j / ||x_j - m_j o||
  double ones_sqnorm_ = 0;
  absl::flat_hash_map<uint64_t, float> cache_;
  int64_t computed_ = 0;
  int64_t cache_hits_ = 0;
};

// Pairwise checks alone do not make a batch safe: on real features (non-centred, non-negative)
// every pair correlates a little, and 64 columns at 0.2 each have a correlation matrix with
// spectral radius 1 + 63 * 0.2. A parallel coordinate step with step sizes 1/||x_j||^2 decreases
// the Lasso objective whenever that radius is below 2 (F(b + d) - F(b) <= -1/2 d'(2D - X_J'X_J)d
// with D = diag ||x_j||^2), and by Gershgorin's theorem it is when every kept column's |corr| with
// the other kept columns sums to less than 1.
inline constexpr double kGershgorinRowSum = 1.0;

class DependencyFilter {
 public:
  // `correlation` must outlive this object; rho in (0, 1]. max_row_sum > 0 also bounds every
  // kept column's sum of |corr| with the other kept columns (strictly below it); 0 turns that
  // bound off (the pairwise check alone).
  DependencyFilter(ColumnCorrelation* correlation, double rho, double max_row_sum = 0);

  // Walks `candidates` in order and keeps each one whose correlation with every already kept one
  // (centred, when `correlation` is: then every kept column is compared, O(kept) more per
  // candidate) is below rho (and, with max_row_sum, keeps every row sum below it, the candidate's
  // and each kept column's once the candidate joins), until `max_keep` are kept. Duplicated
  // candidates are kept once. `kept` is cleared first. Never returns a pair with correlation >=
  // rho, nor a set with a row sum >= max_row_sum.
  //
  // Rather than comparing a candidate with every kept column pair by pair (O(kept) sparse dot
  // products each), the kept columns are indexed by row as they are kept, and a candidate's dot
  // products with all of them are accumulated in one walk over its rows: the cost is the
  // candidate's non-zeros plus the non-zeros it actually shares with kept columns. Allocation-free
  // once the scratch space has grown.
  void Filter(std::span<const int64_t> candidates, int64_t max_keep, std::vector<int64_t>* kept);
  // The same, with `already_kept` counted as kept before any candidate (and never returned): the
  // pairwise and row-sum bounds then hold for the union of `already_kept` and `kept`, as when a
  // pipelined round's batch is checked against the batches still in flight, whose updates its
  // pushes will not see.
  void Filter(std::span<const int64_t> candidates, int64_t max_keep,
              std::span<const int64_t> already_kept, std::vector<int64_t>* kept);

  double rho() const { return rho_; }
  double max_row_sum() const { return max_row_sum_; }

 private:
  // The kept columns' entries of one row. Most rows hold few kept entries, so the first ones sit
  // inline in one cache line rather than in a chain of dependent loads. Further entries go to a
  // linked overflow list.
  static constexpr int kInlineEntries = 4;
  struct alignas(64) RowBucket {
    int32_t slot[kInlineEntries];  // index into the kept list
    int32_t count = 0;             // entries of this row, inline and overflow
    int32_t overflow = -1;         // first overflow entry, or -1
    double value[kInlineEntries];
  };
  struct OverflowEntry {
    int32_t slot;
    int32_t next;  // next overflow entry of the same row, or -1
    double value;
  };
  // Per kept slot: its dot product with the current candidate, valid when stamp is current.
  struct SlotDot {
    int64_t stamp = 0;
    double dot = 0;
  };

  void Accumulate(int32_t slot, double product);
  void Reset(const std::vector<int64_t>& kept);

  ColumnCorrelation* correlation_;
  double rho_;
  double max_row_sum_;
  std::vector<double> slot_row_sum_;  // per kept slot: sum of |corr| with the other kept ones
  // Buckets exist only for rows some kept column has: 4 bytes per matrix row, not 64, on data
  // with millions of samples.
  std::vector<int32_t> row_bucket_;  // per matrix row: index into buckets_, or -1
  std::vector<RowBucket> buckets_;
  std::vector<OverflowEntry> overflow_;
  std::vector<int32_t> touched_rows_;   // rows holding entries, to reset
  std::vector<SlotDot> slot_dot_;       // per kept slot
  std::vector<int32_t> touched_slots_;  // slots touched by the current candidate
  std::vector<uint8_t> is_kept_;        // per column
  // Per column: a column found correlated with it at or above rho, or -1. Correlations are fixed
  // by the data, so when that column is kept again the candidate is refused without walking its
  // rows; in correlated groups the same dominant coordinate blocks its mates round after round.
  std::vector<int32_t> blocker_;
  int64_t stamp_ = 0;  // only grows, so a stale slot never looks touched
};

}  // namespace strads::core
