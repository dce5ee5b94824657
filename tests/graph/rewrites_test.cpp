// The program compiler's rewrites (src/graph/rewrites/): each one fires where it should
// (Program::executed_ops), not where it would change results, and gives the bits of the
// graph as built (ProgramOptions::rewrites = false runs that).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "elbo/graph.hpp"

namespace elbo {
namespace {

// Deterministic values in about [-1.5, 1.5], different for each (salt, i).
Tensor filled(DType dtype, const Shape& shape, int salt) {
  Tensor t(dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.set(i, 1.5 * std::sin(0.37 * static_cast<double>(i) + 1.1 * salt));
  return t;
}

struct Compiled {
  std::vector<std::string> ops;
  std::vector<std::vector<double>> outputs;  // each output, row-major
  std::vector<double> grad;                  // d(output 0)/d(params), flat
};

// Compiles `outputs` of g (parameters set from filled()), runs forward_backward with seed 1
// on output 0 for S samples, and returns what ran and the results.
Compiled run(const Graph& g, const std::vector<Expr>& outputs, bool rewrites, int64_t S = 2) {
  Program p(g, outputs, {}, {.rewrites = rewrites});
  p.set_samples(S);
  for (const Expr& q : p.params()) {
    Shape sh = q.shape();
    sh.insert(sh.begin(), S);
    p.set_param(q, filled(g.dtype(), sh, q.id()));
  }
  std::vector<double> seeds(outputs.size(), 0.0);
  seeds[0] = 1.0;
  p.forward_backward(seeds);
  Compiled r;
  r.ops = p.executed_ops();
  for (int i = 0; i < p.num_outputs(); ++i) r.outputs.push_back(p.output(i).to_vector());
  if (g.dtype() == DType::f64) {
    r.grad.resize(static_cast<size_t>(S * p.flat_size()));
    p.flat_gradient(r.grad.data());
  } else {
    std::vector<float> gf(static_cast<size_t>(S * p.flat_size()));
    p.flat_gradient(gf.data());
    r.grad.assign(gf.begin(), gf.end());
  }
  return r;
}

bool same_bits(const std::vector<double>& x, const std::vector<double>& y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
}

int count(const std::vector<std::string>& ops, const std::string& name) {
  return static_cast<int>(std::count(ops.begin(), ops.end(), name));
}

// --- matmul + activation ------------------------------------------------------------------

TEST(rewrites, matmul_activation_fusion_fires_and_keeps_the_bits) {
  const std::pair<const char*, std::function<Expr(Expr)>> acts[] = {
      {"tanh", [](Expr x) { return tanh(x); }},
      {"relu", [](Expr x) { return relu(x); }},
      {"sigmoid", [](Expr x) { return sigmoid(x); }},
  };
  for (DType dt : {DType::f64, DType::f32})
    for (const auto& [name, act] : acts) {
      Graph g(dt);
      Expr x = g.data("x", filled(dt, {50, 2}, 1));
      Expr w1 = g.parameter("w1", {2, 5}), w2 = g.parameter("w2", {5, 3});
      Expr h = act(matmul(act(matmul(x, w1)), w2));
      Expr loss = sum(h * g.constant(filled(dt, h.shape(), 3)));
      Compiled fused = run(g, {loss, h}, true), plain = run(g, {loss, h}, false);
      const std::string op = std::string("matmul_") + name;
      SCOPED_TRACE(std::string(dtype_name(dt)) + " " + op);
      EXPECT_EQ(count(fused.ops, op), 2);
      EXPECT_EQ(count(fused.ops, "matmul"), 0);
      EXPECT_EQ(count(plain.ops, op), 0);
      EXPECT_EQ(count(plain.ops, "matmul"), 2);
      EXPECT_EQ(count(plain.ops, name), 2);
      for (size_t o = 0; o < fused.outputs.size(); ++o) EXPECT_TRUE(same_bits(fused.outputs[o], plain.outputs[o])) << o;
      EXPECT_TRUE(same_bits(fused.grad, plain.grad));
    }
}

TEST(rewrites, matmul_activation_fusion_leaves_a_product_that_is_used_elsewhere) {
  Graph g;
  Expr x = g.data("x", filled(DType::f64, {7, 2}, 1));
  Expr w = g.parameter("w", {2, 3});
  Expr prod = matmul(x, w);
  Compiled r = run(g, {sum(tanh(prod)) + sum(prod)}, true);
  EXPECT_EQ(count(r.ops, "matmul_tanh"), 0);
  EXPECT_EQ(count(r.ops, "matmul"), 1);
}

// --- normal priors with one constant normal ---------------------------------------------

TEST(rewrites, normal_prior_merge_runs_a_left_fold_of_equal_priors_as_one_node) {
  for (DType dt : {DType::f64, DType::f32}) {
    SCOPED_TRACE(std::string(dtype_name(dt)));
    Graph g(dt);
    Expr w1 = g.parameter("w1", {2, 5}), w2 = g.parameter("w2", {5}), w3 = g.parameter("w3", {5, 3});
    Expr lp = (normal_logp_sum(w1, 0.0, 1.0) + normal_logp_sum(w2, 0.0, 1.0)) + normal_logp_sum(w3, 0.0, 1.0);
    Compiled merged = run(g, {lp}, true), plain = run(g, {lp}, false);
    EXPECT_EQ(merged.ops, std::vector<std::string>{"normal_logp_sum"});
    EXPECT_EQ(count(plain.ops, "normal_logp_sum"), 3);
    EXPECT_EQ(count(plain.ops, "add"), 2);
    // The gradients are the same bits in both dtypes.
    EXPECT_TRUE(same_bits(merged.grad, plain.grad));
    // The value: the bits of the adds in float64. In float32 the merged kernel adds in
    // double and rounds once, so it may differ from the float32 adds by rounding (relative
    // 2^-23 per add): it has the bits of the one node a hand-merged graph runs.
    if (dt == DType::f64) {
      EXPECT_TRUE(same_bits(merged.outputs[0], plain.outputs[0]));
    } else {
      for (size_t s = 0; s < plain.outputs[0].size(); ++s)
        EXPECT_NEAR(merged.outputs[0][s], plain.outputs[0][s], 4e-7 * std::abs(plain.outputs[0][s]));
    }
    Graph h(dt);
    Expr v[3] = {h.parameter("w1", {2, 5}), h.parameter("w2", {5}), h.parameter("w3", {5, 3})};
    Compiled by_hand = run(h, {normal_logp_sum(v, 0.0, 1.0)}, false);
    EXPECT_TRUE(same_bits(merged.outputs[0], by_hand.outputs[0]));
    EXPECT_TRUE(same_bits(merged.grad, by_hand.grad));
  }
}

TEST(rewrites, normal_prior_merge_leaves_chains_it_cannot_merge_exactly) {
  Graph g;
  Expr a = g.parameter("a", {3}), b = g.parameter("b", {4}), c = g.parameter("c", {2});
  // Another term at the bottom of the chain: merging the two normals would reorder adds.
  Compiled other = run(g, {(sum(exp(a)) + normal_logp_sum(b, 0.0, 1.0)) + normal_logp_sum(c, 0.0, 1.0)}, true);
  EXPECT_EQ(count(other.ops, "normal_logp_sum"), 2);
  // Different priors.
  Compiled priors = run(g, {normal_logp_sum(b, 0.0, 1.0) + normal_logp_sum(c, 0.0, 2.0)}, true);
  EXPECT_EQ(count(priors.ops, "normal_logp_sum"), 2);
  // A term that is also an output keeps its node.
  Expr nb = normal_logp_sum(b, 0.0, 1.0);
  Compiled shared = run(g, {nb + normal_logp_sum(c, 0.0, 1.0), nb}, true);
  EXPECT_EQ(count(shared.ops, "normal_logp_sum"), 2);
  EXPECT_EQ(count(shared.ops, "add"), 1);
}

TEST(rewrites, normal_prior_merge_merges_the_leading_run_of_a_longer_chain) {
  Graph g;
  Expr a = g.parameter("a", {3}), b = g.parameter("b", {4}), c = g.parameter("c", {2});
  Expr lp = (normal_logp_sum(a, 0.0, 1.0) + normal_logp_sum(b, 0.0, 1.0)) + sum(exp(c));
  Compiled merged = run(g, {lp}, true), plain = run(g, {lp}, false);
  EXPECT_EQ(count(merged.ops, "normal_logp_sum"), 1);
  EXPECT_EQ(count(merged.ops, "add"), 1);
  EXPECT_TRUE(same_bits(merged.outputs[0], plain.outputs[0]));
  EXPECT_TRUE(same_bits(merged.grad, plain.grad));
}

// --- Bernoulli on a sigmoid --------------------------------------------------------------

// Labels 0 and 1 and a logit z = matmul(x, w) of the same shape [rows, 1].
struct Labels {
  Graph g;
  Expr x, w, y, z;
  explicit Labels(DType dt, int64_t rows = 37) : g(dt) {
    Tensor yt(dt, {rows, 1});
    for (int64_t i = 0; i < rows; ++i) yt.set(i, (i * 5) % 3 == 0);
    x = g.data("x", filled(dt, {rows, 2}, 1));
    w = g.parameter("w", {2, 1});
    y = g.data("y", yt);
    z = matmul(x, w) * 3.0;  // logits up to about +-10, where log(sigmoid) loses digits
  }
};

TEST(rewrites, bernoulli_logit_runs_a_bernoulli_on_a_sigmoid_as_the_logit_op) {
  const std::pair<const char*, std::function<Expr(Labels&)>> forms[] = {
      {"bernoulli_logit_logp", [](Labels& l) { return sum(bernoulli_logp(sigmoid(l.z), l.y) * 1.0); }},
      {"bernoulli_logit_logp_sum", [](Labels& l) { return sum(bernoulli_logp(sigmoid(l.z), l.y)); }},
      {"bernoulli_logit_logp_sum", [](Labels& l) { return mean(bernoulli_logp(sigmoid(l.z), l.y)); }},
      {"bernoulli_logit_logp_sum", [](Labels& l) { return mean(bernoulli_logp(sigmoid(l.z), l.y)) * 1000.0; }},
  };
  const std::function<Expr(Labels&)> by_hand[] = {
      [](Labels& l) { return sum(bernoulli_logit_logp(l.z, l.y) * 1.0); },
      [](Labels& l) { return bernoulli_logit_logp_sum(l.z, l.y); },
      [](Labels& l) { return bernoulli_logit_logp_mean(l.z, l.y); },
      [](Labels& l) { return bernoulli_logit_logp_mean(l.z, l.y, 1000.0); },
  };
  for (DType dt : {DType::f64, DType::f32})
    for (size_t f = 0; f < std::size(forms); ++f) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + " form " + std::to_string(f));
      Labels a(dt), b(dt);
      Compiled rewritten = run(a.g, {forms[f].second(a)}, true);
      Compiled plain = run(a.g, {forms[f].second(a)}, false);
      Compiled hand = run(b.g, {by_hand[f](b)}, true);
      EXPECT_EQ(count(rewritten.ops, forms[f].first), 1);
      EXPECT_EQ(count(rewritten.ops, "sigmoid"), 0);
      EXPECT_EQ(count(rewritten.ops, "bernoulli_logp"), 0);
      EXPECT_EQ(count(plain.ops, "bernoulli_logp"), 1);
      EXPECT_EQ(rewritten.ops, hand.ops);
      // The bits of the fused node written by hand.
      EXPECT_TRUE(same_bits(rewritten.outputs[0], hand.outputs[0]));
      EXPECT_TRUE(same_bits(rewritten.grad, hand.grad));
      // The plain nodes compute log(sigmoid(z)) and log1p(-sigmoid(z)): the same density up
      // to the rounding of sigmoid near 1 (relative 2^-52 or 2^-23 times e^|z|, |z| <= 10).
      const double tol = dt == DType::f64 ? 1e-10 : 5e-3;
      for (size_t s = 0; s < plain.outputs[0].size(); ++s)
        EXPECT_NEAR(rewritten.outputs[0][s], plain.outputs[0][s], tol * std::max(1.0, std::abs(plain.outputs[0][s])));
      for (size_t i = 0; i < plain.grad.size(); ++i)
        EXPECT_NEAR(rewritten.grad[i], plain.grad[i], tol * std::max(1.0, std::abs(plain.grad[i])));
    }
}

TEST(rewrites, bernoulli_logit_leaves_a_sigmoid_that_is_used_elsewhere) {
  Labels l(DType::f64);
  Expr p = sigmoid(l.z);
  Compiled r = run(l.g, {sum(bernoulli_logp(p, l.y)), p}, true);
  EXPECT_EQ(count(r.ops, "bernoulli_logp"), 1);
  EXPECT_EQ(count(r.ops, "bernoulli_logit_logp_sum"), 0);
}

}  // namespace
}  // namespace elbo
