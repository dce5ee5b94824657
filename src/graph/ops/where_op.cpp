// where(cond, a, b): cond != 0 ? a : b, broadcasting all three. No gradient to cond.
#include "../broadcast.hpp"
#include "elbo/graph/ops.hpp"
#include "registry.hpp"

namespace elbo {
namespace {

struct Where {
  static constexpr std::string_view name = "where";
  static constexpr int arity = 3;
  static Shape infer(std::span<const Shape> in, const Attrs&) { return broadcast_shapes(name, in); }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    broadcast_runs<3>(*k.out_shape, {k.in_shape[0], k.in_shape[1], k.in_shape[2]},
                      [&](int64_t n, int64_t o, const auto& off, const auto& st) {
                        const T* c = k.in[0] + off[0];
                        const T* a = k.in[1] + off[1];
                        const T* b = k.in[2] + off[2];
                        for (int64_t i = 0; i < n; ++i)
                          k.out[o + i] = c[i * st[0]] != T(0) ? a[i * st[1]] : b[i * st[2]];
                      });
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    broadcast_runs<3>(*k.out_shape, {k.in_shape[0], k.in_shape[1], k.in_shape[2]},
                      [&](int64_t n, int64_t o, const auto& off, const auto& st) {
                        const T* c = k.in[0] + off[0];
                        for (int64_t i = 0; i < n; ++i) {
                          bool take_a = c[i * st[0]] != T(0);
                          T* g = take_a ? k.gin[1] : k.gin[2];
                          if (g) g[(take_a ? off[1] : off[2]) + i * (take_a ? st[1] : st[2])] += k.gout[o + i];
                        }
                      });
  }
};

}  // namespace

namespace ops {
const OpDef where_op = make_op<Where>(/*cond*/ 1u);
}

Expr where(Expr cond, Expr a, Expr b) {
  if (!cond.valid()) throw InvalidArgument("where: the condition is an empty expression");
  Expr in[3] = {cond, a, b};
  return detail::apply(ops::where_op, in);
}

}  // namespace elbo
