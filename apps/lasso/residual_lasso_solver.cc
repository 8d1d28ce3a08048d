#include "apps/lasso/residual_lasso_solver.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

#include "Eigen/Core"
#include "apps/lasso/cd_accelerations.h"
#include "apps/lasso/lasso_math.h"

namespace strads::lasso {
namespace {

// Anderson acceleration of the active-set sweeps, as in the Gram solver: every kAndersonDepth + 1
// sweeps the extrapolated point is tried and kept only when the objective, recomputed from its
// own residual, is lower.
// As in the Gram solver, the active block's linear system is solved outright when the sweeps
// crawl: from this active sweep of a solve on, once the support has held for kSupportHold
// sweeps, then again 4 times as many sweeps later, or 20 sweeps after a step that moved the
// support (by conjugate gradients on X_L, see TrySignedNewtonStep). 40 rather than 160: on
// saturated blocks the sweeps before the first step were measured to buy nothing the step did
// not (total work on binary 2000 x 20000 at 0.01 alpha_max 1.41e9 -> 1.07e9; 20 and 80 cost
// more).
constexpr int64_t kFirstNewtonSweep = 40;
// A support that flickers at its margin (a coordinate or two entering and leaving) held the
// step off for a whole solve with 20; the projected candidates handle wrong signs, so 5
// suffices. Total work, with kMaxNewtonIterations 100, from 20 to 5: binary 2000 x 20000
// 9.1e8 -> 6.9e8, binary 1500 x 15000 (another seed) 6.7e8 -> 5.7e8, groups 3000 x 20000
// 3.15e9 -> 3.01e9, all at 0.01 alpha_max.
constexpr int64_t kSupportHold = 5;
// The conjugate-gradient solve of the Newton system stops at this relative residual, or after
// min(2 |L| + 10, kMaxNewtonIterations) iterations (it is a descent on the face at every one).
// 100 rather than 400: a step is followed by sweeps and further steps anyway, and the last
// iterations of a nearly singular system bought little (total work 1.07e9 -> 9.1e8 on binary,
// 3.6e9 -> 3.2e9 on groups; 50 and 800 cost more).
constexpr double kNewtonTolerance = 1e-10;
constexpr int64_t kMaxNewtonIterations = 100;

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
    s_.dual_point.assign(r_.begin(), r_.end());
    Solve();
    out_.residual_sq = SquaredNorm(r_);
    return std::move(out_);
  }

 private:
  // Coordinate descent until the restricted gap is at most gap_target_ (or the work bound).
  void Solve() {
    while (true) {
      const int64_t moves = moves_;
      Sweep(All(), /*gain=*/nullptr);
      // A full sweep that moves nothing is at the restricted optimum (up to rounding).
      if (Gap() <= gap_target_ || work_ >= p_.max_work || moves_ == moves) break;
      ActiveSweeps();
      if (work_ >= p_.max_work) {
        Gap();
        break;
      }
    }
  }

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
      const double updated = CoordinateMinimizer(g, out_.b[i], q, lambda_);
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
    RecordResidualForDual();
  }

  // Keeps the residual after each sweep, full or active (once the support holds both are the
  // same map on the non-zero coordinates), and extrapolates every kAndersonDepth + 1 of them.
  void RecordResidualForDual() {
    const size_t rows = r_.size();
    s_.residual_history.resize(rows * (kAndersonDepth + 1));
    std::copy(r_.begin(), r_.end(), s_.residual_history.begin() + dual_filled_ * rows);
    if (++dual_filled_ == kAndersonDepth + 1) {
      ExtrapolateDual();
      dual_filled_ = 0;
    }
  }

  // The restricted gap at the current point, from a fresh gradient pass over W, against the best
  // dual value seen in this solve (every one is a lower bound on the same restricted optimum).
  double Gap() {
    for (size_t i = 0; i < p_.keys.size(); ++i) {
      s_.gradient[i] = Dot(x_, p_.keys[i], r_);
      work_ += static_cast<int64_t>(x_.ColRows(p_.keys[i]).size());
    }
    const DualityGap gap = ComputeDualityGap(SquaredNorm(r_), s_.gradient, out_.b, lambda_);
    if (gap.dual > best_dual_) {
      best_dual_ = gap.dual;
      s_.dual_point.assign(r_.begin(), r_.end());
    }
    out_.primal = gap.primal;
    out_.gap = std::max(0.0, gap.primal - best_dual_);
    return out_.gap;
  }

  // Celer's dual extrapolation. Once the support holds, the residuals of successive sweeps follow
  // a linear recurrence, so the Anderson combination of the last few can land far closer to the
  // optimal residual than any one of them; scaled into the dual feasible set it is a dual point
  // whose value may converge at the rate of the primal, where the plain scaled residual's
  // converges only at its square root. Measured: on groups 3000 x 20000 at 0.01 alpha_max it cut
  // the total work by 9%; on binary 2000 x 20000 its dual values were no better than the scaled
  // residual's (the slow modes of a nearly singular block are more than kAndersonDepth), and it
  // cost 2% there. What certifies those blocks is the Newton step.
  void ExtrapolateDual() {
    const int64_t rows = static_cast<int64_t>(r_.size());
    s_.extrapolated_residual.resize(rows);
    if (!AndersonPoint(s_.residual_history, rows, s_.extrapolated_residual)) return;
    Eigen::Map<Eigen::VectorXd> theta(s_.extrapolated_residual.data(), rows);
    // With an intercept the dual point must sum to 0; the combination does up to rounding.
    if (p_.intercept) theta.array() -= theta.mean();
    const int64_t n = static_cast<int64_t>(p_.keys.size());
    double xtr_inf = 0;
    double b_dot_xtr = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double value = Dot(x_, p_.keys[i], s_.extrapolated_residual);
      work_ += static_cast<int64_t>(x_.ColRows(p_.keys[i]).size());
      xtr_inf = std::max(xtr_inf, std::abs(value));
      b_dot_xtr += out_.b[i] * value;
    }
    work_ += 3 * rows;
    // D(s theta) = s y_W'theta - s^2/2 ||theta||^2, with y_W = r + X_W b_W (+ b0, which a
    // centred theta does not see).
    const Eigen::Map<const Eigen::VectorXd> r(r_.data(), rows);
    const double dual =
        ScaledDualValue(r.dot(theta) + b_dot_xtr, theta.squaredNorm(), xtr_inf, lambda_);
    if (std::isfinite(dual) && dual > best_dual_) {
      best_dual_ = dual;
      s_.dual_point.assign(s_.extrapolated_residual.begin(), s_.extrapolated_residual.end());
    }
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
        if (TryExtrapolation()) {
          ++out_.extrapolations;
          dual_filled_ = 0;  // the residuals before the jump and after it are no sequence
        }
        filled = 0;
      }
      // The extrapolated dual point is feasible for all of W, so this gap is the restricted
      // problem's own: once it certifies the target the sweeps are done.
      if (Primal() - best_dual_ <= gap_target_) break;
      ++active_sweeps_;
      if (support_changes_ != support_changes_seen_) {
        support_changes_seen_ = support_changes_;
        last_support_change_ = active_sweeps_;
      }
      // Only once the support has held for a while: a step on the wrong signs is cut at once.
      if (active_sweeps_ >= next_newton_ && active_sweeps_ - last_support_change_ >= kSupportHold) {
        next_newton_ *= 4;
        if (TrySignedNewtonStep()) {
          ++out_.newton_steps;
          filled = 0;  // the iterates before the jump say nothing about the path after it
          dual_filled_ = 0;
          if (newton_left_face_) {
            // The step moved the support: the next one comes once the new support has held,
            // rather than after a geometric wait meant for steps that do not help.
            last_support_change_ = active_sweeps_;
            next_newton_ = active_sweeps_ + 20;
          }
        }
      }
      if (gain < 0.1 * gap_target_) break;
    }
  }

  double Primal() const {
    double l1 = 0;
    for (double v : out_.b) l1 += std::abs(v);
    return 0.5 * SquaredNorm(r_) + lambda_ * l1;
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
    const double now = 0.5 * SquaredNorm(r_) + lambda_ * l1_now;
    const double extrapolated = 0.5 * SquaredNorm(s_.trial) + lambda_ * l1_new;
    if (!(extrapolated < now)) return false;
    for (int64_t k = 0; k < a; ++k) out_.b[s_.active[k]] = point[k];
    std::copy(s_.trial.begin(), s_.trial.end(), r_.begin());
    out_.delta_b0 += shift;
    return true;
  }

  // Once the signs of A have settled the restricted problem is a quadratic on that face: with
  // s = sign(b_L) over the live coordinates L, minimise Q(d, d0) = 1/2 ||r - X_L d - d0||^2 +
  // lambda s'(b_L + d), whose normal equations are G_LL d + cs d0 = X_L'r - lambda s and
  // cs'd + N d0 = 1'r. They are solved by conjugate gradients with X_L itself (Jacobi
  // preconditioned, two sparse passes an iteration), not by a Cholesky of G_LL: on a saturated
  // p >> n block |L| is close to N, G_LL is nearly singular (rank <= N) and its O(|L|^3) Cholesky
  // dominated the whole solve, while an iteration here costs 2 (nnz(X_L) + N). Every CG iterate
  // lowers Q, so the step is a descent on the face even when stopped early. The step is cut
  // where a coordinate would first cross zero (Q is convex, so the cut point lowers it too) and
  // kept only when F, recomputed from the residual it gives, is lower.
  bool TrySignedNewtonStep() {
    std::vector<int64_t>& live = s_.live;
    live.clear();
    int64_t entries = 0;
    for (int64_t i : s_.active) {
      if (out_.b[i] != 0) {
        live.push_back(i);
        entries += static_cast<int64_t>(x_.ColRows(p_.keys[i]).size());
      }
    }
    const int64_t l = static_cast<int64_t>(live.size());
    if (l == 0) return false;
    const int64_t rows = x_.rows;
    const int64_t size = l + (p_.intercept ? 1 : 0);
    s_.cg_solution.assign(size, 0.0);
    s_.cg_gradient.resize(size);
    s_.cg_direction.resize(size);
    s_.cg_preconditioned.resize(size);
    s_.cg_image.resize(size);
    s_.cg_applied.resize(rows);
    Eigen::Map<Eigen::VectorXd> z(s_.cg_solution.data(), size);
    Eigen::Map<Eigen::VectorXd> g(s_.cg_gradient.data(), size);  // the normal equations' residual
    Eigen::Map<Eigen::VectorXd> dir(s_.cg_direction.data(), size);
    Eigen::Map<Eigen::VectorXd> pre(s_.cg_preconditioned.data(), size);
    Eigen::Map<Eigen::VectorXd> image(s_.cg_image.data(), size);      // H dir
    Eigen::Map<Eigen::VectorXd> applied(s_.cg_applied.data(), rows);  // X_L dir + dir0
    const Eigen::Map<const Eigen::VectorXd> r(r_.data(), rows);
    for (int64_t u = 0; u < l; ++u) {
      const double sign = out_.b[live[u]] > 0 ? 1.0 : -1.0;
      g[u] = Dot(x_, p_.keys[live[u]], r_) - lambda_ * sign;
    }
    if (p_.intercept) g[l] = r.sum();
    auto diagonal = [&](int64_t u) {
      return u < l ? p_.col_sqnorm[p_.keys[live[u]]] : static_cast<double>(rows);
    };
    for (int64_t u = 0; u < size; ++u) pre[u] = g[u] / diagonal(u);
    dir = pre;
    double rho = g.dot(pre);
    const double start_norm = g.squaredNorm();
    if (!(start_norm > 0) || !std::isfinite(start_norm)) return false;
    const int64_t max_iterations = std::min<int64_t>(2 * size + 10, kMaxNewtonIterations);
    for (int64_t iteration = 0; iteration < max_iterations && work_ < p_.max_work; ++iteration) {
      applied.setConstant(p_.intercept ? dir[l] : 0.0);
      for (int64_t u = 0; u < l; ++u) {
        if (dir[u] != 0) SubtractColumn(x_, p_.keys[live[u]], -dir[u], s_.cg_applied);
      }
      for (int64_t u = 0; u < l; ++u) image[u] = Dot(x_, p_.keys[live[u]], s_.cg_applied);
      if (p_.intercept) image[l] = applied.sum();
      work_ += 2 * (entries + rows);
      const double curvature = applied.squaredNorm();
      if (!(curvature > 0) || !std::isfinite(curvature)) break;
      const double alpha = rho / curvature;
      z += alpha * dir;
      g -= alpha * image;
      if (g.squaredNorm() <= kNewtonTolerance * kNewtonTolerance * start_norm) break;
      for (int64_t u = 0; u < size; ++u) pre[u] = g[u] / diagonal(u);
      const double rho_next = g.dot(pre);
      dir = pre + (rho_next / rho) * dir;
      rho = rho_next;
    }
    if (!z.allFinite()) return false;
    Eigen::VectorXd current(l);
    Eigen::VectorXd sign(l);
    for (int64_t u = 0; u < l; ++u) {
      current[u] = out_.b[live[u]];
      sign[u] = current[u] > 0 ? 1.0 : -1.0;
    }
    // Three candidates along the step: the cut point (a descent, since the face's quadratic
    // falls all the way to the full step), and the full and half steps projected onto the
    // orthant of the current signs (coordinates that would cross zero stop at zero, as in
    // OWL-QN). A projected step may lower F by more than the cut: it lets every coordinate that
    // should leave the support leave at once, where a cut drops one per Newton step, and on a
    // saturated block with a moving support the cut steps were a few per cent of the way.
    // The lowest F below the current one wins.
    const auto [fraction, stop_at] = CutAtFirstSignChange(current, z.head(l), sign);
    const double d0_full = p_.intercept ? z[l] : 0.0;
    double l1_now = 0;
    for (int64_t u = 0; u < l; ++u) l1_now += std::abs(out_.b[live[u]]);
    const double f_now = 0.5 * r.squaredNorm() + lambda_ * l1_now;
    s_.newton_change.resize(l);
    s_.best_change.resize(l);
    s_.trial.resize(rows);
    s_.best_trial.resize(rows);
    double best_f = f_now;
    double best_d0 = 0;
    bool any = false;
    auto consider = [&](double t, bool project) {
      double l1_new = 0;
      for (int64_t u = 0; u < l; ++u) {
        const double value = current[u] + t * z[u];
        double change = t * z[u];
        if (project && value * sign[u] < 0) change = -current[u];
        if (!project && u == stop_at) change = -current[u];
        s_.newton_change[u] = change;
        l1_new += std::abs(current[u] + change);
      }
      const double d0 = t * d0_full;
      std::copy(r_.begin(), r_.end(), s_.trial.begin());
      for (int64_t u = 0; u < l; ++u) {
        if (s_.newton_change[u] != 0) {
          SubtractColumn(x_, p_.keys[live[u]], s_.newton_change[u], s_.trial);
        }
      }
      if (d0 != 0) {
        for (double& v : s_.trial) v -= d0;
      }
      work_ += entries + 2 * rows;
      const double f = 0.5 * SquaredNorm(s_.trial) + lambda_ * l1_new;
      if (f < best_f) {
        best_f = f;
        best_d0 = d0;
        any = true;
        s_.best_change.swap(s_.newton_change);
        s_.best_trial.swap(s_.trial);
      }
    };
    consider(fraction, /*project=*/false);
    if (fraction < 1) {
      consider(1.0, /*project=*/true);
      consider(0.5, /*project=*/true);
    }
    if (!any) return false;
    newton_left_face_ = false;
    for (int64_t u = 0; u < l; ++u) {
      newton_left_face_ |= s_.best_change[u] == -current[u];
      // The projection and the cut land exactly on 0.
      out_.b[live[u]] = s_.best_change[u] == -current[u] ? 0.0 : current[u] + s_.best_change[u];
    }
    std::copy(s_.best_trial.begin(), s_.best_trial.end(), r_.begin());
    out_.delta_b0 += best_d0;
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
  bool newton_left_face_ = false;  // the last accepted Newton step zeroed a coordinate
  int dual_filled_ = 0;            // residuals in s_.residual_history since the last extrapolation
  double best_dual_ = -std::numeric_limits<double>::infinity();
  const double lambda_ = p_.lambda;
  const double gap_target_ = p_.gap_target;
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
