// concat: joins operands along one axis. Attrs: ints = {axis}.
#include "../index_loop.hpp"
#include "../layout.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

struct Concat {
  static constexpr std::string_view name = "concat";
  static constexpr int arity = -1;

  static Shape infer(std::span<const Shape> in, const Attrs& at) {
    Shape out = in[0];
    int r = static_cast<int>(out.size());
    int axis = normalize_axis(name, at.ints[0], out);
    for (size_t i = 1; i < in.size(); ++i) {
      if (static_cast<int>(in[i].size()) != r) throw_shape_error(name, in, "differ in rank");
      for (int a = 0; a < r; ++a)
        if (a != axis && in[i][a] != out[a])
          throw_shape_error(name, in, "differ outside axis " + std::to_string(axis));
      out[axis] += in[i][axis];
    }
    return out;
  }

  template <class T, class F>
  static void each(const KernelArgs<T>& k, F f) {
    const Shape& out = *k.out_shape;
    int r = static_cast<int>(out.size());
    int axis = normalize_axis(name, k.attrs->ints[0], r);
    auto ost = layout::strides(out);
    int64_t shift = 0;
    for (int i = 0; i < k.n_in; ++i) {
      const Shape& s = *k.in_shape[i];
      auto ist = layout::strides(s);
      int64_t base = shift * ost[axis];
      for_each_index(s, [&](const Index4& ii) { f(i, offset_of(ii, ist, r), base + offset_of(ii, ost, r)); });
      shift += s[axis];
    }
  }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    each(k, [&](int i, int64_t io, int64_t oo) { k.out[oo] = k.in[i][io]; });
  }
  template <class T>
  static void backward(const KernelArgs<T>& k) {
    each(k, [&](int i, int64_t io, int64_t oo) {
      if (k.gin[i]) k.gin[i][io] += k.gout[oo];
    });
  }
};

}  // namespace

namespace ops {
const OpDef concat_op = make_op<Concat>();
}

Expr concat(const std::vector<Expr>& xs, int axis) {
  if (xs.empty()) throw InvalidArgument("concat: no operands");
  if (!xs[0].valid()) throw InvalidArgument("concat: an operand is an empty expression");
  return detail::apply(ops::concat_op, xs, Attrs{{axis}, {}});
}

}  // namespace elbo
