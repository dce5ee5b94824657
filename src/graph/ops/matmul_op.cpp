// NumPy matmul: the op; its kernels are in matmul_kernels.hpp.
#include "matmul_kernels.hpp"

namespace elbo {

namespace ops {
const OpDef matmul_op = make_op<matmul_kernels::Matmul>();
}

Expr matmul(Expr a, Expr b) {
  if (!a.valid() || !b.valid()) throw InvalidArgument("matmul: an operand is an empty expression");
  Expr in[2] = {a, b};
  return detail::apply(ops::matmul_op, in);
}

}  // namespace elbo
