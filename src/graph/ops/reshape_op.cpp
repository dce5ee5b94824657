// reshape: same elements in logical row-major order, new shape (one entry may be -1,
// resolved again whenever the data's row count changes).
#include <cstring>

#include "../index_loop.hpp"
#include "../layout.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

struct Reshape {
  static constexpr std::string_view name = "reshape";
  static constexpr int arity = 1;

  static Shape infer(std::span<const Shape> in, const Attrs& at) {
    Shape out(at.ints.begin(), at.ints.end());
    int64_t known = 1;
    int free_axis = -1;
    for (size_t a = 0; a < out.size(); ++a) {
      if (out[a] == -1) {
        if (free_axis >= 0)
          throw_shape_error(name, in, "cannot be reshaped to " + shape_str(out) + " (more than one -1)");
        free_axis = static_cast<int>(a);
      } else if (out[a] < 0) {
        throw_shape_error(name, in, "cannot be reshaped to " + shape_str(out) + " (negative size)");
      } else {
        known *= out[a];
      }
    }
    int64_t n = numel(in[0]);
    if (free_axis >= 0) {
      if (known == 0 || n % known != 0)
        throw_shape_error(name, in, "cannot be reshaped to " + shape_str(out));
      out[free_axis] = n / known;
    }
    if (numel(out) != n) throw_shape_error(name, in, "cannot be reshaped to " + shape_str(out));
    return out;
  }

  // Calls f(in_offset, out_offset) for each element, in logical order.
  template <class F>
  static void pairs(const Shape& in, const Shape& out, F f) {
    auto ist = layout::strides(in);
    auto rin = layout::row_major_strides(in);
    auto ost = layout::strides(out);
    int ri = static_cast<int>(in.size()), ro = static_cast<int>(out.size());
    for_each_index(out, [&](const Index4& oi) {
      int64_t flat = 0;
      auto rout = layout::row_major_strides(out);
      for (int a = 0; a < ro; ++a) flat += oi[a] * rout[a];
      int64_t io = 0;
      for (int a = 0; a < ri; ++a) {
        io += (flat / rin[a]) * ist[a];
        flat %= rin[a];
      }
      f(io, offset_of(oi, ost, ro));
    });
  }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    const Shape& in = *k.in_shape[0];
    const Shape& out = *k.out_shape;
    if (layout::is_trivial(in) && layout::is_trivial(out)) {
      std::memcpy(k.out, k.in[0], sizeof(T) * static_cast<size_t>(numel(out)));
      return;
    }
    pairs(in, out, [&](int64_t i, int64_t o) { k.out[o] = k.in[0][i]; });
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    if (!k.gin[0]) return;
    const Shape& in = *k.in_shape[0];
    const Shape& out = *k.out_shape;
    if (layout::is_trivial(in) && layout::is_trivial(out)) {
      int64_t n = numel(out);
      for (int64_t i = 0; i < n; ++i) k.gin[0][i] += k.gout[i];
      return;
    }
    pairs(in, out, [&](int64_t i, int64_t o) { k.gin[0][i] += k.gout[o]; });
  }
};

}  // namespace

namespace ops {
const OpDef reshape_op = make_op<Reshape>();
}

Expr reshape(Expr x, Shape shape) {
  if (!x.valid()) throw InvalidArgument("reshape: the operand is an empty expression");
  Expr in[1] = {x};
  return detail::apply(ops::reshape_op, in, Attrs{std::move(shape), {}});
}

}  // namespace elbo
