#include "apps/lasso/residual_lasso_solver.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <type_traits>
#include <vector>

#include "Eigen/Cholesky"
#include "Eigen/Core"
#include "apps/lasso/cd_accelerations.h"
#include "apps/lasso/lasso_math.h"

namespace strads::lasso {
namespace {

// Anderson acceleration of the active-set sweeps, as in the Gram solver: every kAndersonDepth + 1
// sweeps the extrapolated point is tried and kept only when the objective, recomputed from its
// own residual, is lower.
// As in the Gram solver, the active block's linear system is solved outright when the sweeps
// crawl: from this active sweep of a solve on, once the support has held for 20 sweeps, then
// again 4 times as many sweeps later, for blocks at most kMaxNewtonSize large (the Gram of the
// block is formed from its sparse columns, O(sum over rows of their non-zeros in A squared), then
// a Cholesky, O(|A|^3 / 3)).
constexpr int64_t kFirstNewtonSweep = 160;
constexpr int64_t kMaxNewtonSize = 3000;

double Dot(const core::CscMatrix& x, int64_t j, std::span<const double> r) {
  const std::span<const int32_t> rows = x.ColRows(j);
  const std::span<const double> values = x.ColValues(j);
  double sum = 0;
  for (size_t k = 0; k < rows.size(); ++k) sum += values[k] * r[rows[k]];
  return sum;
}

void SubtractColumn(const core::CscMatrix& x, int64_t j, double scale, std::span<double> r) {
  const std::span<const int32_t> rows = x.ColRows(j);
  const std::span<const double> values = x.ColValues(j);
  for (size_t k = 0; k < rows.size(); ++k) r[rows[k]] -= scale * values[k];
}

// The exact intercept step: b0 += mean(r) centres r. Returns the change.
double CentreResidual(std::span<double> r) {
  if (r.empty()) return 0;
  double sum = 0;
  for (double v : r) sum += v;
  const double shift = sum / static_cast<double>(r.size());
  if (shift != 0) {
    for (double& v : r) v -= shift;
  }
  return shift;
}

double SquaredNorm(std::span<const double> r) {
  return Eigen::Map<const Eigen::VectorXd>(r.data(), static_cast<Eigen::Index>(r.size()))
      .squaredNorm();
}

class Solver {
 public:
  Solver(const ResidualLassoProblem& problem, std::span<double> residual,
         ResidualLassoScratch* scratch)
      : p_(problem), x_(*problem.x), r_(residual), s_(*scratch) {
    out_.b.assign(problem.start.begin(), problem.start.end());
  }

  GramLassoSolution Run() {
    const int64_t n = static_cast<int64_t>(p_.keys.size());
    s_.gradient.resize(n);
    while (true) {
      const int64_t moves = moves_;
      const int64_t support_changes = support_changes_;
      Sweep(All(), /*gain=*/nullptr);
      // The Newton step solves A's block only: worth its O(|A|^3) once no coordinate of W
      // outside A wants in (nor one in A out), so that A is W's support.
      support_matches_ = support_changes_ == support_changes;
      // A full sweep that moves nothing is at the restricted optimum (up to rounding).
      if (Gap() <= p_.gap_target || work_ >= p_.max_work || moves_ == moves) break;
      ActiveSweeps();
      if (work_ >= p_.max_work) {
        Gap();
        break;
      }
    }
    out_.residual_sq = SquaredNorm(r_);
    return std::move(out_);
  }

 private:
  struct AllPositions {};
  static AllPositions All() { return {}; }

  // One cyclic pass over `positions` (or all of W), then the intercept step. Adds the predicted
  // gains 1/2 ||x_j||^2 d_j^2 to *gain when given.
  template <typename Positions>
  void Sweep(const Positions& positions, double* gain) {
    auto step = [&](int64_t i) {
      const int64_t j = p_.keys[i];
      const double q = p_.col_sqnorm[j];
      if (q == 0) return;
      const double g = Dot(x_, j, r_);
      const double updated = CoordinateMinimizer(g, out_.b[i], q, p_.lambda);
      const double delta = updated - out_.b[i];
      work_ += 2 * static_cast<int64_t>(x_.ColRows(j).size());
      ++out_.updates;
      if (delta == 0) return;
      ++moves_;
      support_changes_ += (updated == 0) != (out_.b[i] == 0);
      SubtractColumn(x_, j, delta, r_);
      out_.b[i] = updated;
      if (gain != nullptr) *gain += 0.5 * q * delta * delta;
    };
    if constexpr (std::is_same_v<Positions, AllPositions>) {
      for (int64_t i = 0; i < static_cast<int64_t>(p_.keys.size()); ++i) step(i);
    } else {
      for (int64_t i : positions) step(i);
    }
    if (p_.intercept) {
      out_.delta_b0 += CentreResidual(r_);
      work_ += static_cast<int64_t>(r_.size());
    }
    ++out_.sweeps;
  }

  // The restricted gap at the current point, from a fresh gradient pass over W.
  double Gap() {
    for (size_t i = 0; i < p_.keys.size(); ++i) {
      s_.gradient[i] = Dot(x_, p_.keys[i], r_);
      work_ += static_cast<int64_t>(x_.ColRows(p_.keys[i]).size());
    }
    const DualityGap gap = ComputeDualityGap(SquaredNorm(r_), s_.gradient, out_.b, p_.lambda);
    out_.gap = gap.gap;
    out_.primal = gap.primal;
    return gap.gap;
  }

  // glmnet's active-set iterations: sweeps over the non-zero coordinates until a sweep's
  // predicted gain is under a tenth of the gap target (or the work bound), with Anderson
  // extrapolation every kAndersonDepth + 1 sweeps.
  void ActiveSweeps() {
    s_.active.clear();
    for (int64_t i = 0; i < static_cast<int64_t>(out_.b.size()); ++i) {
      if (out_.b[i] != 0) s_.active.push_back(i);
    }
    const int64_t a = static_cast<int64_t>(s_.active.size());
    if (a == 0) return;
    s_.history.resize(a * (kAndersonDepth + 1));
    int filled = 0;
    while (work_ < p_.max_work) {
      double gain = 0;
      Sweep(s_.active, &gain);
      for (int64_t k = 0; k < a; ++k) s_.history[filled * a + k] = out_.b[s_.active[k]];
      if (++filled == kAndersonDepth + 1) {
        if (TryExtrapolation()) ++out_.extrapolations;
        filled = 0;
      }
      ++active_sweeps_;
      if (support_changes_ != support_changes_seen_) {
        support_changes_seen_ = support_changes_;
        last_support_change_ = active_sweeps_;
      }
      // Only once the support has held for a while: a step on the wrong signs is cut at once.
      if (support_matches_ && active_sweeps_ >= next_newton_ &&
          active_sweeps_ - last_support_change_ >= 20 && a <= kMaxNewtonSize) {
        next_newton_ *= 4;
        if (TrySignedNewtonStep()) {
          ++out_.newton_steps;
          filled = 0;  // the iterates before the jump say nothing about the path after it
        }
      }
      if (gain < 0.1 * p_.gap_target) break;
    }
  }

  bool TryExtrapolation() {
    const int64_t a = static_cast<int64_t>(s_.active.size());
    s_.step.resize(a);
    if (!AndersonPoint(s_.history, a, s_.step)) return false;
    const Eigen::Map<const Eigen::VectorXd> point(s_.step.data(), a);

    double l1_now = 0;
    double l1_new = 0;
    s_.trial.assign(r_.begin(), r_.end());
    for (int64_t k = 0; k < a; ++k) {
      const double now = out_.b[s_.active[k]];
      l1_now += std::abs(now);
      l1_new += std::abs(point[k]);
      const double change = point[k] - now;
      if (change != 0) SubtractColumn(x_, p_.keys[s_.active[k]], change, s_.trial);
      work_ += static_cast<int64_t>(x_.ColRows(p_.keys[s_.active[k]]).size());
    }
    const double shift = p_.intercept ? CentreResidual(s_.trial) : 0.0;
    work_ += 3 * static_cast<int64_t>(r_.size());
    const double now = 0.5 * SquaredNorm(r_) + p_.lambda * l1_now;
    const double extrapolated = 0.5 * SquaredNorm(s_.trial) + p_.lambda * l1_new;
    if (!(extrapolated < now)) return false;
    for (int64_t k = 0; k < a; ++k) out_.b[s_.active[k]] = point[k];
    std::copy(s_.trial.begin(), s_.trial.end(), r_.begin());
    out_.delta_b0 += shift;
    return true;
  }

  // Once the signs of A have settled the restricted problem is a linear system: with s = sign(b_L)
  // over the live coordinates L, G_LL d + cs d0 = X_L'r - lambda s and cs'd + N d0 = 1'r. The step
  // is cut where a coordinate would first cross zero and kept only when F, recomputed from the
  // residual it gives, is lower (see gram_lasso_solver.cc's TrySignedNewtonStep, the same step on
  // the Gram). Rare (twice per solve at most), so it may allocate.
  bool TrySignedNewtonStep() {
    std::vector<int64_t> live;
    for (int64_t i : s_.active) {
      if (out_.b[i] != 0) live.push_back(i);
    }
    const int64_t l = static_cast<int64_t>(live.size());
    if (l == 0) return false;
    const int64_t rows = x_.rows;
    // X_L row by row (a counting transpose of its columns), so that G_LL is the sum of each
    // row's outer product: O(sum over rows of their non-zeros squared), no sparse product.
    std::vector<int64_t> row_start(rows + 1, 0);
    for (int64_t u = 0; u < l; ++u) {
      for (int32_t row : x_.ColRows(p_.keys[live[u]])) ++row_start[row + 1];
    }
    for (int64_t i = 0; i < rows; ++i) row_start[i + 1] += row_start[i];
    const int64_t entries = row_start[rows];
    std::vector<int32_t> row_cols(entries);
    std::vector<double> row_values(entries);
    std::vector<int64_t> fill(row_start.begin(), row_start.end() - 1);
    for (int64_t u = 0; u < l; ++u) {
      const int64_t j = p_.keys[live[u]];
      const std::span<const int32_t> column_rows = x_.ColRows(j);
      const std::span<const double> values = x_.ColValues(j);
      for (size_t k = 0; k < column_rows.size(); ++k) {
        const int64_t at = fill[column_rows[k]]++;
        row_cols[at] = static_cast<int32_t>(u);
        row_values[at] = values[k];
      }
    }
    const int64_t size = l + (p_.intercept ? 1 : 0);
    Eigen::MatrixXd system = Eigen::MatrixXd::Zero(size, size);
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t s = row_start[i]; s < row_start[i + 1]; ++s) {
        const double v = row_values[s];
        double* column = &system(0, row_cols[s]);
        for (int64_t t = row_start[i]; t < row_start[i + 1]; ++t)
          column[row_cols[t]] += v * row_values[t];
      }
      work_ += (row_start[i + 1] - row_start[i]) * (row_start[i + 1] - row_start[i]);
    }
    const Eigen::Map<const Eigen::VectorXd> r(r_.data(), rows);
    Eigen::VectorXd rhs(size);
    for (int64_t u = 0; u < l; ++u) rhs[u] = Dot(x_, p_.keys[live[u]], r_);
    Eigen::VectorXd sign(l);
    for (int64_t u = 0; u < l; ++u) {
      sign[u] = out_.b[live[u]] > 0 ? 1.0 : -1.0;
      rhs[u] -= p_.lambda * sign[u];
    }
    if (p_.intercept) {
      Eigen::VectorXd col_sums(l);
      for (int64_t u = 0; u < l; ++u) {
        const std::span<const double> values = x_.ColValues(p_.keys[live[u]]);
        col_sums[u] = std::accumulate(values.begin(), values.end(), 0.0);
      }
      system.block(0, l, l, 1) = col_sums;
      system.block(l, 0, 1, l) = col_sums.transpose();
      system(l, l) = static_cast<double>(rows);
      rhs[l] = r.sum();
    }
    work_ += l * l * l / 3 + l * l;
    // A tiny ridge keeps exact copies (a singular G_LL) solvable; F is checked anyway.
    system.diagonal().array() += 1e-12 * system.diagonal().mean();
    // Cholesky (blocked, several times faster than LDLT at this size); the ridge keeps it
    // positive definite unless rounding says otherwise, and then there is no step.
    const Eigen::LLT<Eigen::MatrixXd> llt(system);
    if (llt.info() != Eigen::Success) return false;
    Eigen::VectorXd step = llt.solve(rhs);
    if (!step.allFinite()) return false;
    Eigen::VectorXd current(l);
    for (int64_t u = 0; u < l; ++u) current[u] = out_.b[live[u]];
    const auto [fraction, stop_at] = CutAtFirstSignChange(current, step, sign);
    step *= fraction;
    Eigen::VectorXd d = step.head(l);
    if (stop_at >= 0) d[stop_at] = -out_.b[live[stop_at]];
    const double d0 = p_.intercept ? step[l] : 0.0;
    double l1_now = 0;
    double l1_new = 0;
    for (int64_t u = 0; u < l; ++u) {
      l1_now += std::abs(out_.b[live[u]]);
      l1_new += std::abs(out_.b[live[u]] + d[u]);
    }
    s_.trial.resize(rows);
    Eigen::Map<Eigen::VectorXd> trial(s_.trial.data(), rows);
    trial = r;
    for (int64_t u = 0; u < l; ++u) {
      if (d[u] != 0) SubtractColumn(x_, p_.keys[live[u]], d[u], s_.trial);
    }
    trial.array() -= d0;
    work_ += entries + 2 * rows;
    if (!(0.5 * trial.squaredNorm() + p_.lambda * l1_new <
          0.5 * r.squaredNorm() + p_.lambda * l1_now)) {
      return false;
    }
    for (int64_t u = 0; u < l; ++u) out_.b[live[u]] += d[u];
    std::copy(s_.trial.begin(), s_.trial.end(), r_.begin());
    out_.delta_b0 += d0;
    return true;
  }

  const ResidualLassoProblem& p_;
  const core::CscMatrix& x_;
  std::span<double> r_;
  ResidualLassoScratch& s_;
  GramLassoSolution out_;
  int64_t work_ = 0;
  int64_t moves_ = 0;  // coordinate steps that changed a value
  int64_t active_sweeps_ = 0;
  // For the Newton step's trigger: zero <-> non-zero moves, and the active sweep of the last.
  int64_t support_changes_ = 0;
  int64_t support_changes_seen_ = 0;
  int64_t last_support_change_ = 0;
  int64_t next_newton_ = kFirstNewtonSweep;
  bool support_matches_ = false;  // the last full sweep over W left the support as it was
};

}  // namespace

GramLassoSolution SolveResidualLasso(const ResidualLassoProblem& problem,
                                     std::span<double> residual, ResidualLassoScratch* scratch) {
  return Solver(problem, residual, scratch).Run();
}

bool PreferResidualSolve(int64_t working_set_size, int64_t working_set_nnz, int64_t rows) {
  const double gram_cost =
      0.5 * static_cast<double>(working_set_size) * static_cast<double>(working_set_size);
  return static_cast<double>(working_set_nnz + rows) < gram_cost;
}

}  // namespace strads::lasso
