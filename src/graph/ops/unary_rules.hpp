#pragma once
// The value and derivative rules of the elementwise unary functions, as vectorised Eigen
// array expressions of x (the input) and y (the output). Shared by the unary ops
// (unary_ops.cpp) and by matmul fused with an activation (matmul_activation_op.cpp), so
// both compute the same bits.
#include <Eigen/Core>

#include <string_view>

namespace elbo::unary_rules {

/// 1 where x > 0, else 0 (NaN: 0), as `(x > 0).cast<S>()` gives, but in packets: Eigen
/// 3.4 evaluates a comparison array cast to a number one element at a time, which kept
/// relu's derivative scalar in every instruction-set copy (docs/PERFORMANCE.md, "relu's
/// derivative in packets"). A packet's mask of x > 0 and-ed with 1.0's bits.
template <class S>
struct positive_indicator_op {
  S operator()(const S& x) const { return x > S(0) ? S(1) : S(0); }
  template <class Packet>
  Packet packetOp(const Packet& x) const {
    namespace ei = Eigen::internal;
    return ei::pand(ei::pcmp_lt(ei::pzero(x), x), ei::pset1<Packet>(S(1)));
  }
};

}  // namespace elbo::unary_rules

template <class S>
struct Eigen::internal::functor_traits<elbo::unary_rules::positive_indicator_op<S>> {
  enum { Cost = 2, PacketAccess = packet_traits<S>::HasCmp };
};

namespace elbo::unary_rules {

#define ELBO_UNARY(NAME, VALUE, DERIV)                                           \
  struct NAME##_rule {                                                           \
    static constexpr std::string_view name = #NAME;                              \
    template <class X>                                                           \
    static auto f(const X& x) {                                                  \
      using S = typename X::Scalar;                                              \
      (void)S(0);                                                                \
      return VALUE;                                                              \
    }                                                                            \
    template <class X, class Y>                                                  \
    static auto d(const X& x, const Y& y) {                                      \
      using S = typename X::Scalar;                                              \
      (void)x;                                                                   \
      (void)y;                                                                   \
      (void)S(0);                                                                \
      return DERIV;                                                              \
    }                                                                            \
  };

ELBO_UNARY(neg, -x, x * S(0) - S(1))
ELBO_UNARY(square, x.square(), S(2) * x)
ELBO_UNARY(exp, x.exp(), y)
ELBO_UNARY(log, x.log(), x.inverse())
ELBO_UNARY(log1p, x.log1p(), (x + S(1)).inverse())
ELBO_UNARY(expm1, x.expm1(), y + S(1))
ELBO_UNARY(sqrt, x.sqrt(), S(0.5) / y)
ELBO_UNARY(abs, x.abs(), x.sign())
ELBO_UNARY(tanh, x.tanh(), S(1) - y.square())
ELBO_UNARY(sigmoid, x.logistic(), y * (S(1) - y))
ELBO_UNARY(log_sigmoid, x.min(S(0)) - (-x.abs()).exp().log1p(), (-x).logistic())
ELBO_UNARY(softplus, x.max(S(0)) + (-x.abs()).exp().log1p(), x.logistic())
ELBO_UNARY(relu, x.max(S(0)), x.unaryExpr(positive_indicator_op<S>()))
#undef ELBO_UNARY

}  // namespace elbo::unary_rules
