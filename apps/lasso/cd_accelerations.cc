#include "apps/lasso/cd_accelerations.h"

#include <cmath>

#include "Eigen/Cholesky"

namespace strads::lasso {

bool AndersonPoint(std::span<const double> history, int64_t size, std::span<double> point) {
  constexpr int k = kAndersonDepth;
  Eigen::Map<const Eigen::MatrixXd> iterates(history.data(), size, k + 1);
  // The differences' normal matrix from the iterates' own Gram: no size x k temporary.
  Eigen::Matrix<double, k + 1, k + 1> products;
  products.noalias() = iterates.transpose() * iterates;
  Eigen::Matrix<double, k, k> normal =
      products.bottomRightCorner<k, k>() - products.bottomLeftCorner<k, k>() -
      products.topRightCorner<k, k>() + products.topLeftCorner<k, k>();
  const double scale = normal.trace() / k;
  if (!(scale > 0)) return false;
  normal.diagonal().array() += 1e-10 * scale;
  const Eigen::Matrix<double, k, 1> z = normal.ldlt().solve(Eigen::Matrix<double, k, 1>::Ones());
  const double total = z.sum();
  if (!std::isfinite(total) || total == 0) return false;
  Eigen::Map<Eigen::VectorXd>(point.data(), size) = iterates.rightCols(k) * (z / total);
  return true;
}

SignCut CutAtFirstSignChange(const Eigen::VectorXd& current, const Eigen::VectorXd& step,
                             const Eigen::VectorXd& sign) {
  SignCut cut;
  for (Eigen::Index u = 0; u < current.size(); ++u) {
    const double value = current[u];
    if ((value + step[u]) * sign[u] < 0 && -value / step[u] < cut.fraction) {
      cut.fraction = -value / step[u];
      cut.stop_at = u;
    }
  }
  return cut;
}

}  // namespace strads::lasso
