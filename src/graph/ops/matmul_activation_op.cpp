// A matrix product followed by an elementwise activation, as one op: Act(A B) for Act in
// {tanh, relu, sigmoid}. Programs run tanh(matmul(a, b)) as this op when nothing else uses
// the product (program.cpp): the activation is applied while a block of the product is in
// registers, and one kernel call replaces two each way. There is no user-facing function:
// the graph keeps the two nodes, and the results are the same bits as the unfused pair.
//
// Backward: the gradient of the product, g * Act'(y), goes to KernelArgs::scratch (the
// product node's gradient buffer, which the program keeps for this), then to A and B as
// matmul's backward does. Every Act' here is a function of y alone (relu's x > 0 is y > 0).
#include "matmul_kernels.hpp"
#include "unary_rules.hpp"

namespace elbo {
namespace {

template <class Rule>
struct MatmulActivation {
  static constexpr int arity = 2;
  static constexpr bool backward_assigns = true;

  static Shape infer(std::span<const Shape> in, const Attrs& attrs) { return matmul_kernels::Matmul::infer(in, attrs); }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    matmul_kernels::Matmul::forward<T, Rule>(k);
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    constexpr int P = kPacket<T>;
    const int64_t n = numel(*k.out_shape), cols = n / P, body = cols * P;
    T* dz = k.scratch;
    if (cols) {
      Eigen::Map<const Packets<T>> y(k.out, P, cols), g(k.gout, P, cols);
      Eigen::Map<Packets<T>>(dz, P, cols) = g * Rule::d(y, y);
    }
    if (body < n && n >= P) {
      // The last packet, ending at element n, overlaps elements already done and writes
      // them again with the same values: whole-packet stores only (the product's gradient
      // is read right away with packet loads, which scalar stores would stall).
      using One = Eigen::Array<T, P, 1>;
      Eigen::Map<const One> y(k.out + n - P), g(k.gout + n - P);
      Eigen::Map<One>(dz + n - P) = g * Rule::d(y, y);
    } else if (body < n) {  // fewer than P elements: the unary op's padded packet
      Tail<T> y(k.out, n), g(k.gout, n);
      alignas(64) T d[P];
      Eigen::Map<Packets<T>>(d, P, 1) = g.map() * Rule::d(y.map(), y.map());
      std::copy(d, d + (n - body), dz + body);
    }
    matmul_kernels::Matmul::backward_from<T>(k, dz);
  }
};

struct TanhFused : MatmulActivation<unary_rules::tanh_rule> {
  static constexpr std::string_view name = "matmul_tanh";
};
struct ReluFused : MatmulActivation<unary_rules::relu_rule> {
  static constexpr std::string_view name = "matmul_relu";
};
struct SigmoidFused : MatmulActivation<unary_rules::sigmoid_rule> {
  static constexpr std::string_view name = "matmul_sigmoid";
};

}  // namespace

namespace ops {
const OpDef matmul_tanh_op = make_op<TanhFused>();
const OpDef matmul_relu_op = make_op<ReluFused>();
const OpDef matmul_sigmoid_op = make_op<SigmoidFused>();

const OpDef* matmul_fused_with(const OpDef& activation) {
  if (&activation == &tanh_op) return &matmul_tanh_op;
  if (&activation == &relu_op) return &matmul_relu_op;
  if (&activation == &sigmoid_op) return &matmul_sigmoid_op;
  return nullptr;
}
}  // namespace ops

}  // namespace elbo
