// Log-densities of every distribution: a table of points against each distribution's
// closed-form formula, written out here independently in double with std::lgamma, plus
// literal values that follow from the formulas by hand (noted per row), and gradients
// with respect to parameters and value by central finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "eval.hpp"

namespace elbo::testing {
namespace {

using P = std::vector<double>;
using Ref = std::function<double(const P&, double)>;

constexpr double kPi = std::numbers::pi;
const double kHalfLog2Pi = 0.5 * std::log(2 * kPi);

// The reference formulas (PyMC's parameterisations).
const Ref normal_ref = [](const P& p, double x) {
  double z = (x - p[0]) / p[1];
  return -0.5 * z * z - std::log(p[1]) - kHalfLog2Pi;
};
const Ref half_normal_ref = [](const P& p, double x) {
  return 0.5 * std::log(2 / kPi) - std::log(p[0]) - 0.5 * (x / p[0]) * (x / p[0]);
};
const Ref log_normal_ref = [](const P& p, double x) {
  double z = (std::log(x) - p[0]) / p[1];
  return -0.5 * z * z - std::log(p[1]) - kHalfLog2Pi - std::log(x);
};
const Ref student_t_ref = [](const P& p, double x) {
  double nu = p[0], z = (x - p[1]) / p[2];
  return std::lgamma((nu + 1) / 2) - std::lgamma(nu / 2) - 0.5 * std::log(nu * kPi) -
         std::log(p[2]) - (nu + 1) / 2 * std::log(1 + z * z / nu);
};
const Ref cauchy_ref = [](const P& p, double x) {
  double z = (x - p[0]) / p[1];
  return -std::log(kPi * p[1] * (1 + z * z));
};
const Ref half_cauchy_ref = [](const P& p, double x) {
  double z = x / p[0];
  return std::log(2 / (kPi * p[0] * (1 + z * z)));
};
const Ref laplace_ref = [](const P& p, double x) {
  return -std::log(2 * p[1]) - std::abs(x - p[0]) / p[1];
};
const Ref exponential_ref = [](const P& p, double x) { return std::log(p[0]) - p[0] * x; };
const Ref gamma_ref = [](const P& p, double x) {
  return p[0] * std::log(p[1]) - std::lgamma(p[0]) + (p[0] - 1) * std::log(x) - p[1] * x;
};
const Ref inverse_gamma_ref = [](const P& p, double x) {
  return p[0] * std::log(p[1]) - std::lgamma(p[0]) - (p[0] + 1) * std::log(x) - p[1] / x;
};
const Ref beta_ref = [](const P& p, double x) {
  return std::lgamma(p[0] + p[1]) - std::lgamma(p[0]) - std::lgamma(p[1]) +
         (p[0] - 1) * std::log(x) + (p[1] - 1) * std::log(1 - x);
};
const Ref uniform_ref = [](const P& p, double x) {
  return x < p[0] || x > p[1] ? -INFINITY : -std::log(p[1] - p[0]);
};
const Ref bernoulli_ref = [](const P& p, double x) {
  return x == 1 ? std::log(p[0]) : std::log(1 - p[0]);
};
const Ref bernoulli_logit_ref = [](const P& p, double x) {
  double q = 1 / (1 + std::exp(-p[0]));
  return x == 1 ? std::log(q) : std::log(1 - q);
};
const Ref binomial_ref = [](const P& p, double k) {
  double n = p[0];
  double c = std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1);
  return c + (k > 0 ? k * std::log(p[1]) : 0.0) + (n - k > 0 ? (n - k) * std::log(1 - p[1]) : 0.0);
};
const Ref poisson_ref = [](const P& p, double k) {
  return k * std::log(p[0]) - p[0] - std::lgamma(k + 1);
};

struct Family {
  std::string name;
  Factory make;
  Ref ref;
  bool continuous;  // the value is differentiable
};

std::vector<Family> families() {
  return {
      {"Normal", [](auto& e) { return normal(e[0], e[1]); }, normal_ref, true},
      {"HalfNormal", [](auto& e) { return half_normal(e[0]); }, half_normal_ref, true},
      {"LogNormal", [](auto& e) { return log_normal(e[0], e[1]); }, log_normal_ref, true},
      {"StudentT", [](auto& e) { return student_t(e[0], e[1], e[2]); }, student_t_ref, true},
      {"Cauchy", [](auto& e) { return cauchy(e[0], e[1]); }, cauchy_ref, true},
      {"HalfCauchy", [](auto& e) { return half_cauchy(e[0]); }, half_cauchy_ref, true},
      {"Laplace", [](auto& e) { return laplace(e[0], e[1]); }, laplace_ref, true},
      {"Exponential", [](auto& e) { return exponential(e[0]); }, exponential_ref, true},
      {"Gamma", [](auto& e) { return gamma(e[0], e[1]); }, gamma_ref, true},
      {"InverseGamma", [](auto& e) { return inverse_gamma(e[0], e[1]); }, inverse_gamma_ref, true},
      {"Beta", [](auto& e) { return beta(e[0], e[1]); }, beta_ref, true},
      {"Uniform", [](auto& e) { return uniform(e[0], e[1]); }, uniform_ref, true},
      {"Bernoulli", [](auto& e) { return bernoulli(e[0]); }, bernoulli_ref, false},
      {"BernoulliLogit", [](auto& e) { return bernoulli_logit(e[0]); }, bernoulli_logit_ref, false},
      {"Binomial", [](auto& e) { return binomial(e[0], e[1]); }, binomial_ref, false},
      {"Poisson", [](auto& e) { return poisson(e[0]); }, poisson_ref, false},
  };
}

const Family& family(const std::string& name) {
  static const std::vector<Family> all = families();
  for (const Family& f : all)
    if (f.name == name) return f;
  throw std::runtime_error("no family " + name);
}

struct Row {
  std::string family;
  P params;
  double x;
  double literal = NAN;  // a value known by hand, where there is one
};

// Points across the support, parameters across their ranges (small and large shapes,
// scales below and above 1, tails).
const std::vector<Row> kRows = {
    {"Normal", {0, 1}, 0, -0.91893853320467274},  // -log(2 pi)/2
    {"Normal", {0, 1}, 1, -1.41893853320467274},  // -1/2 - log(2 pi)/2
    {"Normal", {1.5, 0.3}, -0.2},
    {"Normal", {-3, 20}, 40},
    {"HalfNormal", {1}, 0, -0.22579135264472744},  // log(2/pi)/2
    {"HalfNormal", {2.5}, 3.1},
    {"HalfNormal", {0.1}, 0.05},
    {"LogNormal", {0, 1}, 1, -0.91893853320467274},  // log x = 0: the standard normal at 0
    {"LogNormal", {0.5, 0.2}, 2.0},
    {"LogNormal", {-1, 3}, 0.01},
    {"StudentT", {1, 0, 1}, 0, -1.14472988584940017},  // nu = 1 is Cauchy: -log(pi)
    {"StudentT", {3, 1, 2}, -4},
    {"StudentT", {30, -0.5, 0.7}, 0.4},
    {"StudentT", {0.5, 0, 1}, 12},
    {"Cauchy", {0, 1}, 0, -1.14472988584940017},  // -log(pi)
    {"Cauchy", {2, 0.5}, -7},
    {"HalfCauchy", {1}, 0, -0.45158270528945486},  // log(2/pi)
    {"HalfCauchy", {3}, 10},
    {"Laplace", {0, 1}, 0, -0.69314718055994531},  // -log 2
    {"Laplace", {1, 0.5}, -2},
    {"Exponential", {2}, 0.5, -0.30685281944005469},  // log 2 - 1
    {"Exponential", {0.1}, 30},
    {"Gamma", {1, 1}, 2.5, -2.5},  // the Exponential(1)
    {"Gamma", {0.5, 2}, 0.1},
    {"Gamma", {7.5, 0.3}, 20},
    {"Gamma", {120, 40}, 3.2},
    {"InverseGamma", {3, 2}, 1},
    {"InverseGamma", {0.7, 0.1}, 0.05},
    {"InverseGamma", {15, 30}, 2.2},
    {"Beta", {1, 1}, 0.3, 0.0},  // the uniform on [0, 1]
    {"Beta", {2, 5}, 0.2},
    {"Beta", {0.5, 0.5}, 0.99},
    {"Beta", {80, 3}, 0.95},
    {"Uniform", {-1, 3}, 0.5, -1.38629436111989061},  // -log 4
    {"Uniform", {2, 2.5}, 2.5},
    {"Uniform", {-1, 3}, 3.5, -INFINITY},
    {"Bernoulli", {0.3}, 1, -1.20397280432593599},  // log 0.3
    {"Bernoulli", {0.3}, 0},
    {"Bernoulli", {0.999}, 0},
    {"BernoulliLogit", {0}, 1, -0.69314718055994531},  // log 1/2
    {"BernoulliLogit", {-3}, 1},
    {"BernoulliLogit", {2.5}, 0},
    {"Binomial", {2, 0.5}, 1, -0.69314718055994531},  // log(2 / 4)
    {"Binomial", {10, 0.3}, 0},
    {"Binomial", {10, 0.3}, 10},
    {"Binomial", {50, 0.7}, 33},
    {"Binomial", {1000, 0.01}, 12},
    {"Poisson", {1}, 0, -1.0},  // -mu
    {"Poisson", {3.5}, 2},
    {"Poisson", {0.2}, 5},
    {"Poisson", {250}, 260},
};

std::string label(const Row& r) {
  std::string s = r.family + "(";
  for (size_t i = 0; i < r.params.size(); ++i) s += (i ? ", " : "") + std::to_string(r.params[i]);
  return s + ") at " + std::to_string(r.x);
}

// Constants are folded numerically with std::lgamma: the same arithmetic as the
// reference up to reordering, so 1e-13 relative (a few ulps of terms up to ~1e3).
TEST(logp, matches_reference_formula_with_constant_parameters) {
  for (const Row& r : kRows) {
    SCOPED_TRACE(label(r));
    const Family& f = family(r.family);
    double want = f.ref(r.params, r.x);
    double got = logp_constant(f.make, r.params, r.x);
    if (std::isinf(want)) {
      EXPECT_EQ(got, want);
    } else {
      EXPECT_NEAR(got, want, 1e-13 * std::max(1.0, std::abs(want)));
    }
    if (std::isinf(r.literal)) {
      EXPECT_EQ(want, r.literal);
    } else if (!std::isnan(r.literal)) {
      EXPECT_NEAR(want, r.literal, 1e-15);
    }
  }
}

// Parameters as Program inputs: the sampled path, with lgamma composed from engine ops
// (Stirling after a shift, error < 1e-10 per lgamma, up to three of them per row), so
// 1e-9 absolute on top of 1e-13 relative.
TEST(logp, matches_reference_formula_with_random_parameters) {
  for (const Row& r : kRows) {
    SCOPED_TRACE(label(r));
    const Family& f = family(r.family);
    if (r.family == "Uniform") continue;  // bounds must be constants
    double want = f.ref(r.params, r.x);
    std::vector<bool> random(r.params.size(), true);
    LogpProgram prog(f.make, r.params, random, r.x, f.continuous);
    double got = prog.at(prog.theta()).value;
    EXPECT_NEAR(got, want, 1e-9 + 1e-13 * std::abs(want));
  }
}

// Counts as replaceable data with constant parameters: lgamma(k + 1) composed from ops.
TEST(logp, counts_as_data_use_the_composed_lgamma) {
  for (const Row& r : kRows) {
    if (r.family != "Poisson" && r.family != "Binomial") continue;
    SCOPED_TRACE(label(r));
    const Family& f = family(r.family);
    Graph g(DType::f64);
    std::vector<Expr> ps;
    for (double v : r.params) ps.push_back(g.scalar(v));
    Program prog(g, {f.make(ps)->logp(g.data("k", Tensor::scalar(r.x)))});
    prog.forward();
    double want = f.ref(r.params, r.x);
    EXPECT_NEAR(prog.output(0)[0], want, 1e-9 + 1e-13 * std::abs(want));
  }
}

// Gradients w.r.t. every parameter and (continuous families) the value, against central
// differences in float64 with h = 1e-6 relative: the truncation h^2 f''' / 6 stays below
// ~3e-4 even for the steepest row (Bernoulli(0.999), f''' ~ 2e9, gradient 1e3) and the
// rounding eps |f| / h is ~1e-9; accept 1e-6 relative to max(1, |g|).
TEST(logp, gradients_match_finite_differences) {
  for (const Row& r : kRows) {
    SCOPED_TRACE(label(r));
    const Family& f = family(r.family);
    if (r.family == "Uniform") continue;                        // constant bounds, constant density
    if (r.family == "Laplace" && r.x == r.params[0]) continue;  // the kink of |x - mu|
    std::vector<bool> random(r.params.size(), true);
    if (r.family == "Binomial") random[0] = false;  // n is an integer count
    LogpProgram prog(f.make, r.params, random, r.x, f.continuous);
    std::vector<double> theta = prog.theta();
    Evaluated e = prog.at(theta);
    for (size_t i = 0; i < theta.size(); ++i) {
      double h = 1e-6 * std::max(1.0, std::abs(theta[i]));
      std::vector<double> tp = theta, tm = theta;
      tp[i] += h;
      tm[i] -= h;
      double fd = (prog.at(tp).value - prog.at(tm).value) / (2 * h);
      EXPECT_NEAR(e.grad[i], fd, 1e-6 * std::max(1.0, std::abs(fd))) << "d/dtheta[" << i << "]";
    }
  }
}

TEST(logp, float32_agrees_with_float64) {
  for (const Row& r : kRows) {
    SCOPED_TRACE(label(r));
    const Family& f = family(r.family);
    double want = logp_constant(f.make, r.params, r.x, DType::f64);
    double got = logp_constant(f.make, r.params, r.x, DType::f32);
    if (std::isinf(want)) {
      EXPECT_EQ(got, want);
      continue;
    }
    // Terms up to ~1.5e3 (Gamma(120, 40), Poisson(250)) cancel to O(1), each rounded to
    // float32's 6e-8 relative: ~1e-4 absolute, so 3e-4 plus 1e-5 relative.
    EXPECT_NEAR(got, want, 3e-4 + 1e-5 * std::abs(want));
  }
}

// ---------------------------------------------------------------- Categorical ------------

double categorical_ref(const P& w, int label, bool logits) {
  if (logits) {
    double m = *std::max_element(w.begin(), w.end()), s = 0;
    for (double v : w) s += std::exp(v - m);
    return w[label] - m - std::log(s);
  }
  double s = 0;
  for (double v : w) s += v;
  return std::log(w[label] / s);
}

TEST(logp, categorical_picks_each_rows_label) {
  // p of shape [3, 4], unnormalised rows; labels [2, 0, 3].
  const P w = {1, 1, 2, 0, 0.5, 0.25, 0.25, 3, 0.1, 0.2, 0.3, 0.4};
  const std::vector<double> labels = {2, 0, 3};
  for (bool logits : {false, true}) {
    SCOPED_TRACE(logits ? "logits" : "p");
    Graph g(DType::f64);
    Expr p = g.constant(Tensor(DType::f64, {3, 4}, w));
    Expr y = g.data("y", Tensor(DType::f64, {3}, labels));
    auto d = logits ? categorical_logits(p) : categorical(p);
    Expr lp = d->logp(y);
    ASSERT_EQ(lp.shape(), (Shape{3}));
    Program prog(g, {lp});
    prog.forward();
    for (int r = 0; r < 3; ++r) {
      P row(w.begin() + 4 * r, w.begin() + 4 * r + 4);
      EXPECT_NEAR(prog.output(0)[r], categorical_ref(row, static_cast<int>(labels[r]), logits),
                  1e-14);
    }
    // Row 0 of p has weight 0 at label 3: log p = -inf there, but label 2 is finite.
    EXPECT_TRUE(std::isfinite(prog.output(0)[0]));
  }
  // Literal: p = [1, 1, 2] normalises to [1/4, 1/4, 1/2]; label 2 has log(1/2).
  EXPECT_NEAR(categorical_ref({1, 1, 2}, 2, false), -0.69314718055994531, 1e-15);
}

TEST(logp, categorical_with_one_row_for_all_and_new_row_count) {
  Graph g(DType::f64);
  const P w = {0.2, -1.0, 1.5};
  Expr logits = g.constant(Tensor(DType::f64, {3}, w));
  Expr y = g.data("y", Tensor(DType::f64, {2}, {1, 2}));
  Expr lp = categorical_logits(logits)->logp(y);
  Program prog(g, {lp});
  prog.set_data(y, Tensor(DType::f64, {4}, {0, 2, 2, 1}));
  prog.forward();
  Tensor out = prog.output(0);
  ASSERT_EQ(out.shape(), (Shape{4}));
  const int want[4] = {0, 2, 2, 1};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(out[i], categorical_ref(w, want[i], true), 1e-14);
}

// d log p(label) / d logits_j = [j == label] - softmax_j; d / d p_j = [j == label] / p_j - 1 / sum
// p.
TEST(logp, categorical_gradients_are_exact) {
  const P w = {0.3, 1.2, 0.5};
  const int label = 1;
  for (bool logits : {false, true}) {
    SCOPED_TRACE(logits ? "logits" : "p");
    Graph g(DType::f64);
    Expr p = g.parameter("p", {3});
    Expr y = g.data("y", Tensor(DType::f64, {1}, {static_cast<double>(label)}));
    Expr lp = sum((logits ? categorical_logits(p) : categorical(p))->logp(y));
    Program prog(g, {lp});
    prog.set_flat_params(w.data());
    double seed[1] = {1.0};
    prog.forward_backward(seed);
    double grad[3];
    prog.flat_gradient(grad);
    double total = w[0] + w[1] + w[2], z = 0;
    for (double v : w) z += std::exp(v);
    for (int j = 0; j < 3; ++j) {
      double want = logits ? (j == label) - std::exp(w[j]) / z : (j == label) / w[j] - 1 / total;
      EXPECT_NEAR(grad[j], want, 1e-13) << "j = " << j;
    }
  }
}

// ---------------------------------------------------------------- special cases ----------

// PyMC's rewrite log(sigmoid(z)) -> log_sigmoid(z): with p = sigmoid(z) and z = 40, p
// rounds to 1 in float32 and float64, so log(1 - p) would be -inf; the rewrite keeps -40.
TEST(logp, bernoulli_of_sigmoid_stays_finite_in_the_tails) {
  for (DType dtype : {DType::f32, DType::f64}) {
    Graph g(dtype);
    Expr z = g.parameter("z", {2});
    Expr y = g.data("y", Tensor(dtype, {2}, {0, 1}));
    Expr lp = bernoulli(sigmoid(z))->logp(y);
    Program prog(g, {lp});
    Tensor theta(dtype, {2}, {40, -40});
    prog.set_param(z, theta);
    prog.forward();
    // log(1 - sigmoid(40)) = -40 - log1p(e^-40) = -40 up to 4e-18.
    EXPECT_NEAR(prog.output(0)[0], -40.0, 1e-5);
    EXPECT_NEAR(prog.output(0)[1], -40.0, 1e-5);
  }
}

// A Normal whose sigma is an expression of another parameter (hierarchical model).
TEST(logp, hierarchical_normal_scale_builds_and_evaluates) {
  Graph g(DType::f64);
  Expr log_tau = g.parameter("log_tau", {});
  Expr w = g.parameter("w", {3});
  Expr tau = exp(log_tau);
  auto prior = normal(g.scalar(0.0), tau);
  Expr lp = sum(prior->logp(w)) + sum(half_normal(g.scalar(1.0))->logp(tau));
  Program prog(g, {lp});
  const double theta[4] = {std::log(0.5), 0.1, -0.4, 0.9};
  prog.set_flat_params(theta);
  double seed[1] = {1.0};
  prog.forward_backward(seed);
  double want = half_normal_ref({1.0}, 0.5);
  for (int i = 1; i < 4; ++i) want += normal_ref({0.0, 0.5}, theta[i]);
  EXPECT_NEAR(prog.output(0)[0], want, 1e-13);
  // d/d log_tau of sum_i log N(w_i | 0, tau) + log HalfNormal(tau | 1) with tau = 0.5:
  // sum_i (w_i^2 / tau^2 - 1) - tau^2.
  double grad[4];
  prog.flat_gradient(grad);
  double want_g = -0.25;
  for (int i = 1; i < 4; ++i) want_g += theta[i] * theta[i] / 0.25 - 1;
  EXPECT_NEAR(grad[0], want_g, 1e-12);
}

// Several Monte Carlo samples at once (the engine's sample dimension S): each sample's
// log-density is that of its own parameter values.
TEST(logp, evaluates_each_sample_separately) {
  Graph g(DType::f64);
  Expr sigma = g.parameter("sigma", {});
  Expr logits = g.parameter("logits", {3});
  Expr x = g.data("x", Tensor(DType::f64, {2}, {0.5, -1.0}));
  Expr y = g.data("y", Tensor(DType::f64, {2}, {2, 0}));
  Program prog(g, {half_normal(sigma)->logp(x * x), categorical_logits(logits)->logp(y)});
  prog.set_samples(2);
  const double theta[8] = {0.5, 0.1, 0.2, 0.3, 2.0, -1.0, 0.0, 1.0};  // [S, D]: sigma, logits
  prog.set_flat_params(theta);
  prog.forward();
  Tensor hn = prog.output(0), cat = prog.output(1);
  ASSERT_EQ(hn.shape(), (Shape{2, 2}));
  ASSERT_EQ(cat.shape(), (Shape{2, 2}));
  for (int s = 0; s < 2; ++s) {
    const double* row = theta + 4 * s;
    P w(row + 1, row + 4);
    EXPECT_NEAR(hn.at({s, 0}), half_normal_ref({row[0]}, 0.25), 1e-14);
    EXPECT_NEAR(hn.at({s, 1}), half_normal_ref({row[0]}, 1.0), 1e-14);
    EXPECT_NEAR(cat.at({s, 0}), categorical_ref(w, 2, true), 1e-14);
    EXPECT_NEAR(cat.at({s, 1}), categorical_ref(w, 0, true), 1e-14);
  }
}

TEST(logp, broadcasts_value_against_parameters) {
  Graph g(DType::f64);
  Expr mu = g.constant(Tensor(DType::f64, {3}, {0, 1, 2}));
  Expr x = g.constant(Tensor(DType::f64, {2, 1}, {0.5, -0.5}));
  Expr lp = normal(mu, g.scalar(2.0))->logp(x);
  ASSERT_EQ(lp.shape(), (Shape{2, 3}));
  Program prog(g, {lp});
  prog.forward();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      EXPECT_NEAR(prog.output(0).at({i, j}), normal_ref({double(j), 2.0}, i == 0 ? 0.5 : -0.5),
                  1e-14);
}

}  // namespace
}  // namespace elbo::testing
