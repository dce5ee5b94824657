// cholesky(A): the lower-triangular L with L L^T = A for a symmetric positive-definite
// [n, n] matrix, reading A's lower triangle only (so the gradient goes to the lower
// triangle only). A matrix that is not positive definite gives NaN everywhere, which the
// fit loop reports as a non-finite value. Backward (Murray 2016, "Differentiation of the
// Cholesky decomposition"): with P = Phi(L^T gL) (lower triangle, diagonal halved) and
// S = L^-T P L^-1, gA_ij = S_ij + S_ji below the diagonal and S_ii on it.
// Rank-2 values are column-major inside a program (layout.hpp), as Eigen's default.
#include <Eigen/Core>

#include <cmath>
#include <limits>
#include <vector>

#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

struct Cholesky {
  static constexpr std::string_view name = "cholesky";
  static constexpr int arity = 1;
  static Shape infer(std::span<const Shape> in, const Attrs&) {
    if (in[0].size() != 2 || in[0][0] != in[0][1])
      throw_shape_error(name, in, "do not fit (cholesky needs a square matrix [n, n])");
    return in[0];
  }
  template <class T>
  static void forward(const KernelArgs<T>& k) {
    const int64_t n = (*k.out_shape)[0];
    Eigen::Map<const Mat<T>> a(k.in[0], n, n);
    Eigen::Map<Mat<T>> l(k.out, n, n);
    l.setZero();
    for (int64_t j = 0; j < n; ++j) {
      T d = a(j, j);
      for (int64_t p = 0; p < j; ++p) d -= l(j, p) * l(j, p);
      if (!(d > T(0))) {
        l.setConstant(std::numeric_limits<T>::quiet_NaN());
        return;
      }
      const T ljj = std::sqrt(d);
      l(j, j) = ljj;
      for (int64_t i = j + 1; i < n; ++i) {
        T s = a(i, j);
        for (int64_t p = 0; p < j; ++p) s -= l(i, p) * l(j, p);
        l(i, j) = s / ljj;
      }
    }
  }
  template <class T>
  static void backward(const KernelArgs<T>& k) {
    if (!k.gin[0]) return;
    const int64_t n = (*k.out_shape)[0];
    Eigen::Map<const Mat<T>> l(k.out, n, n), gl(k.gout, n, n);
    // Working memory per thread, kept between calls (steps do not allocate).
    thread_local std::vector<T> work;
    work.resize(static_cast<size_t>(2 * n * n));
    Eigen::Map<Mat<T>> p(work.data(), n, n), s(work.data() + n * n, n, n);
    p.noalias() = l.transpose() * gl.template triangularView<Eigen::Lower>();
    p.template triangularView<Eigen::StrictlyUpper>().setZero();
    p.diagonal() *= T(0.5);
    // S = L^-T P L^-1: solve L^T X = P (in place), then L^T S^T = X^T.
    auto upper = l.transpose().template triangularView<Eigen::Upper>();
    upper.solveInPlace(p);
    s = p.transpose();
    upper.solveInPlace(s);
    s.transposeInPlace();
    Eigen::Map<Mat<T>> ga(k.gin[0], n, n);
    for (int64_t j = 0; j < n; ++j) {
      ga(j, j) += s(j, j);
      for (int64_t i = j + 1; i < n; ++i) ga(i, j) += s(i, j) + s(j, i);
    }
  }
};

}  // namespace

namespace ops {
const OpDef cholesky_op = make_op<Cholesky>();
}

Expr cholesky(Expr a) {
  if (!a.valid()) throw InvalidArgument("cholesky: argument 'a' is an empty expression");
  Expr in[1] = {a};
  return detail::apply(ops::cholesky_op, in);
}

}  // namespace elbo
