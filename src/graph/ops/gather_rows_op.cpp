// gather_rows(x, index): rows of x along axis 0 at integer-valued positions. No gradient
// flows to the index; an index out of range is an InvalidArgument at run time.
#include <cmath>

#include "../index_loop.hpp"
#include "../layout.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

struct GatherRows {
  static constexpr std::string_view name = "gather_rows";
  static constexpr int arity = 2;

  static Shape infer(std::span<const Shape> in, const Attrs&) {
    if (in[0].empty()) throw_shape_error(name, in, "do not fit (the first operand is a scalar)");
    if (in[1].size() != 1) throw_shape_error(name, in, "do not fit (the index must have rank 1)");
    Shape out = in[0];
    out[0] = in[1][0];
    return out;
  }

  template <class T, class F>
  static void each(const KernelArgs<T>& k, F f) {
    const Shape& xs = *k.in_shape[0];
    const Shape& out = *k.out_shape;
    int r = static_cast<int>(out.size());
    auto ist = layout::strides(xs), ost = layout::strides(out);
    int64_t rows = xs[0];
    for_each_index(out, [&](const Index4& oi) {
      T v = k.in[1][oi[0]];
      if (!(v >= T(0) && v < T(rows)) || v != std::floor(v))
        throw InvalidArgument("gather_rows: index " + format_number(static_cast<double>(v)) +
                              " at position " + std::to_string(oi[0]) + " is not a row of " +
                              std::to_string(rows));
      Index4 ii = oi;
      ii[0] = static_cast<int64_t>(v);
      f(offset_of(ii, ist, r), offset_of(oi, ost, r));
    });
  }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    each(k, [&](int64_t i, int64_t o) { k.out[o] = k.in[0][i]; });
  }
  template <class T>
  static void backward(const KernelArgs<T>& k) {
    if (!k.gin[0]) return;
    each(k, [&](int64_t i, int64_t o) { k.gin[0][i] += k.gout[o]; });
  }
};

}  // namespace

namespace ops {
const OpDef gather_rows_op = make_op<GatherRows>(/*index*/ 2u);
}

Expr gather_rows(Expr x, Expr index) {
  if (!x.valid()) throw InvalidArgument("gather_rows: the operand is an empty expression");
  Expr in[2] = {x, index};
  return detail::apply(ops::gather_rows_op, in);
}

}  // namespace elbo
