// The kernels' instruction-set dispatch (src/graph/isa.hpp). CTest runs this file, with the
// op gradient checks, once per level with ELBO_ISA set (tests/CMakeLists.txt, isa.*).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <type_traits>
#include <array>
#include <string>
#include <vector>

#include "graph/isa.hpp"
#include "graph/ops/registry.hpp"

namespace elbo {
namespace {

const OpDef* const kAllOps[] = {
    &ops::add_op, &ops::sub_op, &ops::mul_op, &ops::div_op, &ops::pow_op, &ops::where_op, &ops::neg_op,
    &ops::square_op, &ops::exp_op, &ops::log_op, &ops::log1p_op, &ops::expm1_op, &ops::sqrt_op, &ops::abs_op,
    &ops::tanh_op, &ops::sigmoid_op, &ops::log_sigmoid_op, &ops::softplus_op, &ops::relu_op, &ops::clip_op,
    &ops::matmul_op, &ops::matmul_tanh_op, &ops::matmul_relu_op, &ops::matmul_sigmoid_op, &ops::matmul_bias_op,
    &ops::matmul_bias_tanh_op, &ops::matmul_bias_relu_op, &ops::matmul_bias_sigmoid_op, &ops::sum_op,
    &ops::mean_op, &ops::logsumexp_op, &ops::bernoulli_logit_logp_op, &ops::bernoulli_logit_logp_sum_op,
    &ops::normal_logp_sum_op, &ops::reshape_op, &ops::transpose_op, &ops::slice_op, &ops::concat_op,
    &ops::gather_rows_op};

TEST(isa_dispatch, the_active_level_is_the_one_asked_for) {
  const char* expect = std::getenv("ELBO_ISA_EXPECT");
  if (!expect) GTEST_SKIP() << "set by the isa.<level>.op_gradients CTest entries";
  const std::string e = expect;
  const isa::Level want = e == "avx512" ? isa::Level::avx512 : e == "avx2" ? isa::Level::avx2 : isa::Level::baseline;
  ASSERT_EQ(isa::name(want), expect);
  if (!isa::available(want)) GTEST_SKIP() << "this CPU or this build has no " << expect << " kernels";
  EXPECT_EQ(isa::name(isa::active()), expect);
  // The OpDefs the executor reads carry that level's kernels.
  for (const OpDef* op : kAllOps) {
    const OpDef* k = isa::kernels(want, op->name);
    ASSERT_NE(k, nullptr) << op->name;
    EXPECT_EQ(op->forward_f32, k->forward_f32) << op->name;
    EXPECT_EQ(op->backward_f32, k->backward_f32) << op->name;
    // float64 at avx512 runs the AVX2 kernels (isa.hpp).
    const OpDef* k64 = want == isa::Level::avx512 ? isa::kernels(isa::Level::avx2, op->name) : k;
    ASSERT_NE(k64, nullptr) << op->name;
    EXPECT_EQ(op->forward_f64, k64->forward_f64) << op->name;
    EXPECT_EQ(op->backward_f64, k64->backward_f64) << op->name;
  }
}

TEST(isa_dispatch, every_op_has_kernels_at_every_level_of_this_build) {
  for (isa::Level level : {isa::Level::baseline, isa::Level::avx2, isa::Level::avx512}) {
    if (level != isa::Level::baseline && !isa::kernels(level, "add")) continue;  // not built
    for (const OpDef* op : kAllOps) {
      const OpDef* k = isa::kernels(level, op->name);
      ASSERT_NE(k, nullptr) << op->name << " at " << isa::name(level);
      EXPECT_EQ(k->arity, op->arity);
      EXPECT_EQ(k->backward_assigns, op->backward_assigns) << op->name;
    }
  }
  // The baseline and the AVX2 kernels are different code (they would be the same function
  // if the AVX2 copy had been merged into the baseline's).
  if (const OpDef* v = isa::kernels(isa::Level::avx2, "tanh")) {
    EXPECT_NE(v->forward_f32, isa::kernels(isa::Level::baseline, "tanh")->forward_f32);
  }
  if (const OpDef* v = isa::kernels(isa::Level::avx512, "tanh")) {
    EXPECT_NE(v->forward_f32, isa::kernels(isa::Level::baseline, "tanh")->forward_f32);
    EXPECT_NE(v->forward_f32, isa::kernels(isa::Level::avx2, "tanh")->forward_f32);
  }
}

// One op's forward and backward at one level on fixed inputs: output, then each input's
// gradient (accumulated onto 0.25, to check the kernels add rather than overwrite).
template <class T>
std::vector<double> run_kernels(const OpDef& op, const std::vector<Shape>& shapes, const Shape& out_shape,
                                double lo, double hi) {
  Attrs attrs;
  KernelArgs<T> k;
  k.attrs = &attrs;
  k.n_in = static_cast<int>(shapes.size());
  std::vector<std::vector<T>> in(shapes.size()), gin(shapes.size());
  for (size_t a = 0; a < shapes.size(); ++a) {
    in[a].resize(numel(shapes[a]));
    for (size_t i = 0; i < in[a].size(); ++i)
      in[a][i] = static_cast<T>(lo + (hi - lo) * (0.5 + 0.5 * std::sin(0.77 * i + 1.9 * a)));
    gin[a].assign(in[a].size(), T(0.25));
    k.in[a] = in[a].data();
    k.in_shape[a] = &shapes[a];
    k.gin[a] = nullptr;
  }
  const int64_t n = numel(out_shape);
  std::vector<T> out(n), gout(n), scratch(n);
  for (int64_t i = 0; i < n; ++i) gout[i] = static_cast<T>(0.3 + 0.1 * ((i * 7) % 5));
  k.out = out.data();
  k.out_shape = &out_shape;
  if constexpr (std::is_same_v<T, float>) op.forward_f32(k); else op.forward_f64(k);
  k.gout = gout.data();
  k.scratch = scratch.data();
  for (size_t a = 0; a < shapes.size(); ++a) k.gin[a] = gin[a].data();
  if constexpr (std::is_same_v<T, float>) op.backward_f32(k); else op.backward_f64(k);
  std::vector<double> r(out.begin(), out.end());
  for (const auto& g : gin) r.insert(r.end(), g.begin(), g.end());
  return r;
}

template <class T>
void expect_levels_agree(const char* name, const std::vector<Shape>& shapes, const Shape& out_shape, double lo,
                         double hi, isa::Level level = isa::Level::avx2) {
  const OpDef* base = isa::kernels(isa::Level::baseline, name);
  const OpDef* avx2 = isa::kernels(level, name);
  ASSERT_TRUE(base && avx2) << name << " at " << isa::name(level);
  std::vector<double> a = run_kernels<T>(*base, shapes, out_shape, lo, hi);
  std::vector<double> b = run_kernels<T>(*avx2, shapes, out_shape, lo, hi);
  ASSERT_EQ(a.size(), b.size());
  // The levels may differ in the last bits, not more: packets of 8 floats (4 doubles)
  // instead of 4 (2) sum a matmul's products in another order, and FMA rounds a*b+c once
  // where SSE2 rounds twice; Eigen's exp/log/tanh are the same polynomials either way. A
  // 24-term dot product's reordering moves it by a few ulp of its largest term; 64 ulp
  // of the magnitude (at least 1) leaves room for that and flags any real difference.
  const double tol = 64 * std::numeric_limits<T>::epsilon();
  int differing = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i], b[i], tol * std::max(1.0, std::abs(a[i]))) << name << " value " << i;
    differing += a[i] != b[i];
  }
  ::testing::Test::RecordProperty(std::string(name) + (sizeof(T) == 4 ? "_f32" : "_f64") + "_values_not_bitwise_equal",
                 differing);
}

// Every wider level against the baseline (AVX-512: packets of 16 floats, 8 doubles).
void expect_level_agrees_with_baseline(isa::Level level) {
  // 37 elements: whole packets and a partial one at either width.
  const Shape v{37};
  for (const char* name : {"neg", "square", "exp", "log", "log1p", "expm1", "sqrt", "abs", "tanh", "sigmoid",
                           "log_sigmoid", "softplus", "relu"}) {
    expect_levels_agree<float>(name, {v}, v, 0.2, 2.0, level);
    expect_levels_agree<double>(name, {v}, v, 0.2, 2.0, level);
  }
  for (const char* name : {"neg", "square", "exp", "expm1", "abs", "tanh", "sigmoid", "log_sigmoid", "softplus",
                           "relu"})  // negative arguments too
    expect_levels_agree<float>(name, {v}, v, -4.0, 4.0, level);
  for (const char* name : {"add", "sub", "mul", "div", "pow"}) {
    expect_levels_agree<float>(name, {v, v}, v, 0.5, 2.0, level);
    expect_levels_agree<double>(name, {v, v}, v, 0.5, 2.0, level);
  }
  for (const char* name : {"matmul", "matmul_tanh", "matmul_relu", "matmul_sigmoid"}) {
    for (auto [m, kk, n] : {std::array<int64_t, 3>{5, 7, 9}, {20, 24, 18}, {50, 2, 5}}) {
      expect_levels_agree<float>(name, {{m, kk}, {kk, n}}, {m, n}, -1.0, 1.0, level);
      expect_levels_agree<double>(name, {{m, kk}, {kk, n}}, {m, n}, -1.0, 1.0, level);
    }
  }
  for (const char* name : {"matmul_bias", "matmul_bias_tanh", "matmul_bias_relu", "matmul_bias_sigmoid"}) {
    for (auto [m, kk, n] : {std::array<int64_t, 3>{5, 7, 9}, {20, 24, 18}, {50, 2, 5}}) {
      expect_levels_agree<float>(name, {{m, kk}, {kk, n}, {n}}, {m, n}, -1.0, 1.0, level);
      expect_levels_agree<double>(name, {{m, kk}, {kk, n}, {n}}, {m, n}, -1.0, 1.0, level);
    }
  }
}

TEST(isa_dispatch, baseline_and_avx2_kernels_agree_within_rounding) {
  if (!isa::available(isa::Level::avx2)) GTEST_SKIP() << "this CPU or this build has no avx2 kernels";
  expect_level_agrees_with_baseline(isa::Level::avx2);
}

TEST(isa_dispatch, baseline_and_avx512_kernels_agree_within_rounding) {
  if (!isa::available(isa::Level::avx512)) GTEST_SKIP() << "this CPU or this build has no avx512 kernels";
  expect_level_agrees_with_baseline(isa::Level::avx512);
}

// relu's derivative is the indicator of x > 0 exactly, at every level and in the packets
// and the padded tail alike: 1 for the smallest positive subnormal and for +inf, 0 for
// -0, 0, negative numbers, -inf and NaN (a comparison with NaN is false). The fused
// matmul_relu's gradient takes the same rule of its output.
template <class T>
void expect_relu_indicator(isa::Level level) {
  const OpDef* op = isa::kernels(level, "relu");
  ASSERT_NE(op, nullptr) << isa::name(level);
  const T inf = std::numeric_limits<T>::infinity(), tiny = std::numeric_limits<T>::denorm_min();
  const std::vector<T> edges{T(0), -T(0), tiny, -tiny, inf, -inf, std::numeric_limits<T>::quiet_NaN(), T(1e-30),
                             T(-1e-30), T(3.5), T(-3.5)};
  std::vector<T> x;
  for (int i = 0; i < 37; ++i) x.push_back(edges[static_cast<size_t>(i) % edges.size()]);  // 37: a tail as well
  const Shape v{37};
  std::vector<T> y(x.size()), g(x.size(), T(2)), gx(x.size(), T(0.25));
  Attrs attrs;
  KernelArgs<T> k;
  k.attrs = &attrs;
  k.n_in = 1;
  k.in[0] = x.data();
  k.in_shape[0] = &v;
  k.out = y.data();
  k.out_shape = &v;
  k.gout = g.data();
  k.gin[0] = gx.data();
  if constexpr (std::is_same_v<T, float>) op->forward_f32(k), op->backward_f32(k);
  else op->forward_f64(k), op->backward_f64(k);
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_EQ(gx[i], x[i] > T(0) ? T(2.25) : T(0.25)) << isa::name(level) << " x = " << x[i] << " at " << i;
  k.gin_fresh = 1;  // the first gradient written: assigned, not added
  if constexpr (std::is_same_v<T, float>) op->backward_f32(k); else op->backward_f64(k);
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_EQ(gx[i], x[i] > T(0) ? T(2) : T(0)) << isa::name(level) << " x = " << x[i] << " at " << i;
}

TEST(isa_dispatch, relu_derivative_is_the_indicator_of_a_positive_input_at_every_level) {
  for (isa::Level level : {isa::Level::baseline, isa::Level::avx2, isa::Level::avx512}) {
    if (level != isa::Level::baseline && !isa::available(level)) continue;
    expect_relu_indicator<float>(level);
    expect_relu_indicator<double>(level);
  }
}

}  // namespace
}  // namespace elbo
