// solve_lower(L, b): x = L^-1 b for a lower-triangular [n, n] L (its strict upper triangle
// is not read, so it gets no gradient) and b of shape [n] or [n, m]. Backward: with
// gb = L^-T gx, gL = -tril(gb x^T). Rank-2 values are column-major inside a program
// (layout.hpp), as Eigen's default.
#include <Eigen/Core>

#include <vector>

#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

struct SolveLower {
  static constexpr std::string_view name = "solve_lower";
  static constexpr int arity = 2;
  static Shape infer(std::span<const Shape> in, const Attrs&) {
    const Shape& l = in[0];
    const Shape& b = in[1];
    if (l.size() != 2 || l[0] != l[1])
      throw_shape_error(name, in, "do not fit (the first operand must be a square matrix [n, n])");
    if (b.empty() || b.size() > 2 || b[0] != l[0])
      throw_shape_error(name, in, "do not fit (the right-hand side must be [n] or [n, m] with n = " +
                                      std::to_string(l[0]) + ")");
    return b;
  }
  static int64_t columns(const Shape& b) { return b.size() == 2 ? b[1] : 1; }
  template <class T>
  static void forward(const KernelArgs<T>& k) {
    const int64_t n = (*k.in_shape[0])[0], m = columns(*k.in_shape[1]);
    Eigen::Map<const Mat<T>> l(k.in[0], n, n), b(k.in[1], n, m);
    Eigen::Map<Mat<T>> x(k.out, n, m);
    x = b;
    l.template triangularView<Eigen::Lower>().solveInPlace(x);
  }
  template <class T>
  static void backward(const KernelArgs<T>& k) {
    const int64_t n = (*k.in_shape[0])[0], m = columns(*k.in_shape[1]);
    Eigen::Map<const Mat<T>> l(k.in[0], n, n), x(k.out, n, m), gx(k.gout, n, m);
    thread_local std::vector<T> work;  // per thread, kept between calls
    work.resize(static_cast<size_t>(n * m));
    Eigen::Map<Mat<T>> gb(work.data(), n, m);
    gb = gx;
    l.transpose().template triangularView<Eigen::Upper>().solveInPlace(gb);
    if (k.gin[1]) Eigen::Map<Mat<T>>(k.gin[1], n, m) += gb;
    if (k.gin[0]) {
      Eigen::Map<Mat<T>> gl(k.gin[0], n, n);
      for (int64_t j = 0; j < n; ++j)
        for (int64_t i = j; i < n; ++i) gl(i, j) -= gb.row(i).dot(x.row(j));
    }
  }
};

}  // namespace

namespace ops {
const OpDef solve_lower_op = make_op<SolveLower>();
}

Expr solve_lower(Expr l, Expr b) {
  if (!l.valid()) throw InvalidArgument("solve_lower: argument 'l' is an empty expression");
  if (!b.valid()) throw InvalidArgument("solve_lower: argument 'b' is an empty expression");
  Expr in[2] = {l, b};
  return detail::apply(ops::solve_lower_op, in);
}

}  // namespace elbo
