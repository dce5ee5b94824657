// transpose: permutes axes; output axis a is input axis perm[a].
#include "../index_loop.hpp"
#include "../layout.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

struct Transpose {
  static constexpr std::string_view name = "transpose";
  static constexpr int arity = 1;

  static Shape infer(std::span<const Shape> in, const Attrs& at) {
    const Shape& s = in[0];
    auto bad = [&] {
      throw_shape_error(name, in, "needs a permutation of its " + std::to_string(s.size()) + " axes, got " +
                                      shape_str(at.ints));
    };
    if (at.ints.size() != s.size()) bad();
    Shape out(s.size());
    std::vector<bool> seen(s.size(), false);
    for (size_t a = 0; a < s.size(); ++a) {
      int64_t p = at.ints[a];
      if (p < 0 || p >= static_cast<int64_t>(s.size()) || seen[static_cast<size_t>(p)]) bad();
      seen[static_cast<size_t>(p)] = true;
      out[a] = s[static_cast<size_t>(p)];
    }
    return out;
  }

  template <class F>
  static void pairs(const Shape& in, const Shape& out, const Attrs& at, F f) {
    auto ist = layout::strides(in), ost = layout::strides(out);
    int r = static_cast<int>(out.size());
    std::array<int64_t, 4> pst{};
    for (int a = 0; a < r; ++a) pst[a] = ist[at.ints[a]];
    for_each_index(out, [&](const Index4& oi) { f(offset_of(oi, pst, r), offset_of(oi, ost, r)); });
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
const OpDef transpose_op = make_op<Transpose>();
}

Expr transpose(Expr x, std::vector<int64_t> perm) {
  if (!x.valid()) throw InvalidArgument("transpose: the operand is an empty expression");
  Expr in[1] = {x};
  return detail::apply(ops::transpose_op, in, Attrs{std::move(perm), {}});
}

Expr transpose(Expr x) {
  if (!x.valid()) throw InvalidArgument("transpose: the operand is an empty expression");
  int r = x.rank();
  if (r < 2) throw ShapeError("transpose: shape " + shape_str(x.shape()) + " has rank below 2");
  std::vector<int64_t> perm(static_cast<size_t>(r));
  for (int a = 0; a < r; ++a) perm[a] = a;
  std::swap(perm[r - 1], perm[r - 2]);
  return transpose(x, perm);
}

}  // namespace elbo
