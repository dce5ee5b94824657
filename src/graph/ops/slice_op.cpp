// slice: elements [begin, end) along one axis. Attrs: ints = {axis, begin, end}.
#include "../index_loop.hpp"
#include "../layout.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

struct Slice {
  static constexpr std::string_view name = "slice";
  static constexpr int arity = 1;

  static Shape infer(std::span<const Shape> in, const Attrs& at) {
    Shape s = in[0];
    int axis = normalize_axis(name, at.ints[0], s);
    int64_t b = at.ints[1], e = at.ints[2];
    if (b < 0 || e < b || e > s[axis])
      throw_shape_error(name, in, "cannot be sliced [" + std::to_string(b) + "," + std::to_string(e) +
                                      ") along axis " + std::to_string(axis));
    s[axis] = e - b;
    return s;
  }

  template <class F>
  static void pairs(const Shape& in, const Shape& out, const Attrs& at, F f) {
    int r = static_cast<int>(out.size());
    int axis = normalize_axis(name, at.ints[0], r);
    auto ist = layout::strides(in), ost = layout::strides(out);
    int64_t base = at.ints[1] * ist[axis];
    for_each_index(out, [&](const Index4& oi) { f(base + offset_of(oi, ist, r), offset_of(oi, ost, r)); });
  }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    pairs(*k.in_shape[0], *k.out_shape, *k.attrs, [&](int64_t i, int64_t o) { k.out[o] = k.in[0][i]; });
  }
  template <class T>
  static void backward(const KernelArgs<T>& k) {
    if (!k.gin[0]) return;
    pairs(*k.in_shape[0], *k.out_shape, *k.attrs, [&](int64_t i, int64_t o) { k.gin[0][i] += k.gout[o]; });
  }
};

}  // namespace

namespace ops {
const OpDef slice_op = make_op<Slice>();
}

Expr slice(Expr x, int axis, int64_t begin, int64_t end) {
  if (!x.valid()) throw InvalidArgument("slice: the operand is an empty expression");
  Expr in[1] = {x};
  return detail::apply(ops::slice_op, in, Attrs{{axis, begin, end}, {}});
}

}  // namespace elbo
