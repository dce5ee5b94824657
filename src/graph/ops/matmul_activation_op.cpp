// A matrix product followed by an elementwise activation, as one op: Act(A B) for Act in
// {tanh, relu, sigmoid}, and a dense layer's product plus its bias, Act(A B + bias) (and
// A B + bias alone, the output layer). Programs run tanh(matmul(a, b)), tanh(matmul(a, w) +
// bias) and matmul(a, w) + bias as these ops when nothing else uses the product or the sum
// (rewrites/matmul_activation_fusion.cpp): the bias and the activation are applied while a
// block of the product is in registers, and one kernel call replaces two or three each way.
// There is no user-facing function: the graph keeps its nodes, and the results are the
// same bits as the unfused ops.
//
// Backward: the gradient of the product, g * Act'(y), goes to KernelArgs::scratch (the
// product node's gradient buffer, which the program keeps for this; without an activation
// it is g itself), the bias's gradient is its column sums (as the add op sums a broadcast
// input's terms, sum_of_terms.hpp), then to A and B as matmul's backward does. Every Act'
// here is a function of y alone (relu's x > 0 is y > 0).
#include "matmul_kernels.hpp"
#include "sum_of_terms.hpp"
#include "unary_rules.hpp"

namespace elbo {
namespace {

// Rule: the activation (void: none, only with Bias); Bias: a third input, a vector [M]
// added to each row of the product.
template <class Rule, bool Bias>
struct MatmulActivation {
  static constexpr int arity = Bias ? 3 : 2;
  static constexpr bool backward_assigns = true;

  static Shape infer(std::span<const Shape> in, const Attrs& attrs) {
    Shape out = matmul_kernels::Matmul::infer(in.first(2), attrs);
    if constexpr (Bias)
      if (out.size() != 2 || in[2] != Shape{out.back()})
        throw_shape_error("matmul_bias", in, "need a matrix product and a bias of its columns' count");
    return out;
  }

  template <class T>
  static void forward(const KernelArgs<T>& k) {
    matmul_kernels::Matmul::forward_with_bias<T, Rule>(k, Bias ? k.in[2] : nullptr);
  }

  template <class T>
  static void backward(const KernelArgs<T>& k) {
    const T* dz = k.gout;
    if constexpr (!std::is_void_v<Rule>) {
      dz = k.scratch;
      product_gradient(k, k.scratch);
    }
    if constexpr (Bias) {
      // Column m of the [N, M] gradient (internal layout: its N rows contiguous) sums into
      // the bias's element m in the add op's order; a fresh gradient starts from zero there.
      // (One row: the add op adds each term to the element alone, no sum of lanes.)
      if (T* gb = k.gin[2]) {
        const int64_t N = (*k.out_shape)[0], M = (*k.out_shape)[1];
        const bool fresh = (k.gin_fresh >> 2) & 1u;
        for (int64_t m = 0; m < M; ++m) {
          if (N == 0) {  // no terms: the add op leaves the zero fill, or the sum, as it was
            if (fresh) gb[m] = T(0);
            continue;
          }
          const T* col = dz + m * N;
          const T total = N == 1 ? col[0] : sum_of_terms<T>(N, [col](int64_t i) { return col[i]; });
          gb[m] = (fresh ? T(0) : gb[m]) + total;
        }
      }
    }
    if (k.gin[0] || k.gin[1]) matmul_kernels::Matmul::backward_from<T>(k, dz);
  }

 private:
  // dz = g * Act'(y), whole packets then the last one.
  template <class T>
  static void product_gradient(const KernelArgs<T>& k, T* dz) {
    constexpr int P = kPacket<T>;
    const int64_t n = numel(*k.out_shape), cols = n / P, body = cols * P;
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
  }
};

struct TanhFused : MatmulActivation<unary_rules::tanh_rule, false> {
  static constexpr std::string_view name = "matmul_tanh";
};
struct ReluFused : MatmulActivation<unary_rules::relu_rule, false> {
  static constexpr std::string_view name = "matmul_relu";
};
struct SigmoidFused : MatmulActivation<unary_rules::sigmoid_rule, false> {
  static constexpr std::string_view name = "matmul_sigmoid";
};
struct BiasFused : MatmulActivation<void, true> {
  static constexpr std::string_view name = "matmul_bias";
};
struct BiasTanhFused : MatmulActivation<unary_rules::tanh_rule, true> {
  static constexpr std::string_view name = "matmul_bias_tanh";
};
struct BiasReluFused : MatmulActivation<unary_rules::relu_rule, true> {
  static constexpr std::string_view name = "matmul_bias_relu";
};
struct BiasSigmoidFused : MatmulActivation<unary_rules::sigmoid_rule, true> {
  static constexpr std::string_view name = "matmul_bias_sigmoid";
};

}  // namespace

namespace ops {
const OpDef matmul_tanh_op = make_op<TanhFused>();
const OpDef matmul_relu_op = make_op<ReluFused>();
const OpDef matmul_sigmoid_op = make_op<SigmoidFused>();
const OpDef matmul_bias_op = make_op<BiasFused>();
const OpDef matmul_bias_tanh_op = make_op<BiasTanhFused>();
const OpDef matmul_bias_relu_op = make_op<BiasReluFused>();
const OpDef matmul_bias_sigmoid_op = make_op<BiasSigmoidFused>();

const OpDef* matmul_fused_with(const OpDef* activation, bool bias) {
  if (!activation) return bias ? &matmul_bias_op : nullptr;
  if (activation == &tanh_op) return bias ? &matmul_bias_tanh_op : &matmul_tanh_op;
  if (activation == &relu_op) return bias ? &matmul_bias_relu_op : &matmul_relu_op;
  if (activation == &sigmoid_op) return bias ? &matmul_bias_sigmoid_op : &matmul_sigmoid_op;
  return nullptr;
}

bool is_matrix_product(const OpDef& op) {
  for (const OpDef* p : {&matmul_op, &matmul_tanh_op, &matmul_relu_op, &matmul_sigmoid_op, &matmul_bias_op,
                         &matmul_bias_tanh_op, &matmul_bias_relu_op, &matmul_bias_sigmoid_op})
    if (&op == p) return true;
  return false;
}
}  // namespace ops

}  // namespace elbo
