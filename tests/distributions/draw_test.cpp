// Random draws: sample moments of 200000 draws against the analytic moments, within 5
// standard errors (fixed seeds; a correct sampler fails one such check with probability
// ~6e-7, a wrong mean or scale by a few percent fails it surely). Heavy-tailed families
// without a variance are checked through probabilities of quantiles instead.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "eval.hpp"

namespace elbo::testing {
namespace {

constexpr int64_t kDraws = 200000;

struct MomentCase {
  std::string label;
  Factory make;
  std::vector<double> params;
  double mean, var;
};

Tensor draw_scalar_params(const MomentCase& c, uint64_t seed, DType dtype = DType::f64) {
  Graph g(DType::f64);
  std::vector<Expr> ps;
  std::vector<Tensor> values;
  for (double v : c.params) {
    ps.push_back(g.scalar(v));
    values.push_back(Tensor::scalar(v));
  }
  return c.make(ps)->draw(values, {kDraws}, Philox(seed), /*stream=*/3, /*counter=*/7, dtype);
}

std::vector<MomentCase> moment_cases() {
  const double pi = std::numbers::pi;
  auto sig = [](double z) { return 1 / (1 + std::exp(-z)); };
  return {
      {"Normal(1.5, 2)", [](auto& e) { return normal(e[0], e[1]); }, {1.5, 2}, 1.5, 4},
      {"HalfNormal(2)",
       [](auto& e) { return half_normal(e[0]); },
       {2},
       2 * std::sqrt(2 / pi),
       4 * (1 - 2 / pi)},
      {"LogNormal(0.2, 0.5)",
       [](auto& e) { return log_normal(e[0], e[1]); },
       {0.2, 0.5},
       std::exp(0.2 + 0.125),
       (std::exp(0.25) - 1) * std::exp(0.4 + 0.25)},
      {"StudentT(10, 1, 2)",
       [](auto& e) { return student_t(e[0], e[1], e[2]); },
       {10, 1, 2},
       1,
       4 * 10.0 / 8},
      {"Laplace(1, 0.5)", [](auto& e) { return laplace(e[0], e[1]); }, {1, 0.5}, 1, 0.5},
      {"Exponential(2)", [](auto& e) { return exponential(e[0]); }, {2}, 0.5, 0.25},
      {"Gamma(3, 2)", [](auto& e) { return gamma(e[0], e[1]); }, {3, 2}, 1.5, 0.75},
      {"Gamma(0.5, 1)", [](auto& e) { return gamma(e[0], e[1]); }, {0.5, 1}, 0.5, 0.5},
      {"InverseGamma(6, 2)",
       [](auto& e) { return inverse_gamma(e[0], e[1]); },
       {6, 2},
       0.4,
       4.0 / (25 * 4)},
      {"Beta(2, 5)", [](auto& e) { return beta(e[0], e[1]); }, {2, 5}, 2.0 / 7, 10.0 / (49 * 8)},
      {"Beta(0.5, 0.5)", [](auto& e) { return beta(e[0], e[1]); }, {0.5, 0.5}, 0.5, 0.125},
      {"Uniform(-1, 3)", [](auto& e) { return uniform(e[0], e[1]); }, {-1, 3}, 1, 16.0 / 12},
      {"Bernoulli(0.3)", [](auto& e) { return bernoulli(e[0]); }, {0.3}, 0.3, 0.21},
      {"BernoulliLogit(-1)",
       [](auto& e) { return bernoulli_logit(e[0]); },
       {-1},
       sig(-1),
       sig(-1) * sig(1)},
      {"Binomial(10, 0.3)", [](auto& e) { return binomial(e[0], e[1]); }, {10, 0.3}, 3, 2.1},
      {"Binomial(1000, 0.4)", [](auto& e) { return binomial(e[0], e[1]); }, {1000, 0.4}, 400, 240},
      {"Binomial(200, 0.9)", [](auto& e) { return binomial(e[0], e[1]); }, {200, 0.9}, 180, 18},
      {"Poisson(0.5)", [](auto& e) { return poisson(e[0]); }, {0.5}, 0.5, 0.5},
      {"Poisson(3)", [](auto& e) { return poisson(e[0]); }, {3}, 3, 3},
      {"Poisson(50)", [](auto& e) { return poisson(e[0]); }, {50}, 50, 50},
  };
}

// Standard errors: of the mean sqrt(var / n); of the sample variance sqrt((m4 - var^2) / n),
// with m4 the sample fourth central moment (every case here has a finite eighth moment).
TEST(draw, sample_moments_match_analytic_moments) {
  for (const MomentCase& c : moment_cases()) {
    SCOPED_TRACE(c.label);
    Tensor x = draw_scalar_params(c, 2024);
    ASSERT_EQ(x.shape(), (Shape{kDraws}));
    double n = static_cast<double>(kDraws), m = 0;
    for (int64_t i = 0; i < kDraws; ++i) m += x[i];
    m /= n;
    double v = 0, m4 = 0;
    for (int64_t i = 0; i < kDraws; ++i) {
      double d = x[i] - m;
      v += d * d;
      m4 += d * d * d * d;
    }
    v /= n - 1;
    m4 /= n;
    EXPECT_NEAR(m, c.mean, 5 * std::sqrt(c.var / n)) << "mean";
    EXPECT_NEAR(v, c.var, 5 * std::sqrt((m4 - v * v) / n)) << "variance";
  }
}

// P(X <= q) for a quantile q, within 5 binomial standard errors sqrt(P (1 - P) / n).
TEST(draw, heavy_tails_match_quantiles) {
  struct QuantileCase {
    MomentCase dist;
    double q, prob;
  };
  auto cauchy_f = [](auto& e) { return cauchy(e[0], e[1]); };
  auto half_cauchy_f = [](auto& e) { return half_cauchy(e[0]); };
  auto student_f = [](auto& e) { return student_t(e[0], e[1], e[2]); };
  const std::vector<QuantileCase> cases = {
      {{"Cauchy(1, 2)", cauchy_f, {1, 2}, 0, 0}, 1, 0.5},     // median alpha
      {{"Cauchy(1, 2)", cauchy_f, {1, 2}, 0, 0}, 3, 0.75},    // alpha + beta: upper quartile
      {{"HalfCauchy(2)", half_cauchy_f, {2}, 0, 0}, 2, 0.5},  // median beta
      {{"HalfCauchy(2)", half_cauchy_f, {2}, 0, 0}, 2 * std::tan(0.45 * std::numbers::pi), 0.9},
      {{"StudentT(1, 0, 1)", student_f, {1, 0, 1}, 0, 0}, 1, 0.75},  // nu = 1 is Cauchy(0, 1)
      {{"StudentT(1.5, 2, 1)", student_f, {1.5, 2, 1}, 0, 0}, 2, 0.5},
  };
  for (const QuantileCase& c : cases) {
    SCOPED_TRACE(c.dist.label + " at " + std::to_string(c.q));
    Tensor x = draw_scalar_params(c.dist, 99);
    double below = 0;
    for (int64_t i = 0; i < kDraws; ++i) below += x[i] <= c.q;
    double n = static_cast<double>(kDraws);
    EXPECT_NEAR(below / n, c.prob, 5 * std::sqrt(c.prob * (1 - c.prob) / n));
  }
}

// Counts: the frequency of every value within 4 standard deviations of the mean, against
// the probability mass function (closed form with std::lgamma), within 5 binomial
// standard errors each: catches a sampler with the right moments but the wrong shape.
TEST(draw, count_frequencies_match_the_mass_function) {
  struct PmfCase {
    MomentCase dist;
    std::function<double(double)> log_pmf;
  };
  auto binomial_f = [](auto& e) { return binomial(e[0], e[1]); };
  auto poisson_f = [](auto& e) { return poisson(e[0]); };
  auto binomial_pmf = [](double n, double p) {
    return [n, p](double k) {
      return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1) + k * std::log(p) +
             (n - k) * std::log1p(-p);
    };
  };
  auto poisson_pmf = [](double mu) {
    return [mu](double k) { return k * std::log(mu) - mu - std::lgamma(k + 1); };
  };
  const std::vector<PmfCase> cases = {
      {{"Binomial(10, 0.3)", binomial_f, {10, 0.3}, 3, 2.1}, binomial_pmf(10, 0.3)},
      {{"Binomial(1000, 0.4)", binomial_f, {1000, 0.4}, 400, 240}, binomial_pmf(1000, 0.4)},
      {{"Binomial(200, 0.9)", binomial_f, {200, 0.9}, 180, 18}, binomial_pmf(200, 0.9)},
      {{"Poisson(3)", poisson_f, {3}, 3, 3}, poisson_pmf(3)},
      {{"Poisson(50)", poisson_f, {50}, 50, 50}, poisson_pmf(50)},
  };
  for (const PmfCase& c : cases) {
    SCOPED_TRACE(c.dist.label);
    Tensor x = draw_scalar_params(c.dist, 77);
    double sd = std::sqrt(c.dist.var), n = static_cast<double>(kDraws);
    double lo = std::max(0.0, std::floor(c.dist.mean - 4 * sd)),
           hi = std::ceil(c.dist.mean + 4 * sd);
    std::vector<double> count(static_cast<size_t>(hi - lo + 1), 0);
    for (int64_t i = 0; i < kDraws; ++i) {
      ASSERT_EQ(x[i], std::floor(x[i]));
      if (x[i] >= lo && x[i] <= hi) count[static_cast<size_t>(x[i] - lo)] += 1;
    }
    for (double k = lo; k <= hi; k += 1) {
      double p = std::exp(c.log_pmf(k));
      EXPECT_NEAR(count[static_cast<size_t>(k - lo)] / n, p, 5 * std::sqrt(p * (1 - p) / n))
          << "k = " << k;
    }
  }
}

TEST(draw, categorical_frequencies_match_probabilities) {
  const std::vector<double> p = {0.2, 0.5, 0.3};
  for (bool logits : {false, true}) {
    SCOPED_TRACE(logits ? "logits" : "p");
    Graph g(DType::f64);
    std::vector<double> w = p;
    if (logits)
      for (double& v : w) v = std::log(v) + 4.0;  // unnormalised logits
    Tensor param(DType::f64, {3}, w);
    auto d = logits ? categorical_logits(g.constant(param)) : categorical(g.constant(param));
    Tensor values[1] = {param};
    Tensor x = d->draw(values, {kDraws}, Philox(5), 0, 0, DType::f64);
    std::vector<double> count(3, 0);
    for (int64_t i = 0; i < kDraws; ++i) {
      ASSERT_TRUE(x[i] == 0 || x[i] == 1 || x[i] == 2) << x[i];
      count[static_cast<size_t>(x[i])] += 1;
    }
    double n = static_cast<double>(kDraws);
    for (int k = 0; k < 3; ++k)
      EXPECT_NEAR(count[k] / n, p[k], 5 * std::sqrt(p[k] * (1 - p[k]) / n)) << "label " << k;
  }
}

TEST(draw, categorical_rows_follow_their_own_probabilities) {
  Graph g(DType::f64);
  // Two rows of certainty: row 0 always 2, row 1 always 0 (a zero weight is never drawn).
  Tensor p(DType::f64, {2, 3}, {0, 0, 1, 5, 0, 0});
  auto d = categorical(g.constant(p));
  Tensor values[1] = {p};
  Tensor x = d->draw(values, {2}, Philox(1), 0, 0, DType::f64);
  EXPECT_EQ(x[0], 2);
  EXPECT_EQ(x[1], 0);
}

TEST(draw, parameters_broadcast_over_the_shape) {
  Graph g(DType::f64);
  Tensor mu(DType::f64, {2}, {-10, 10});
  Tensor sigma = Tensor::scalar(0.5);
  auto d = normal(g.constant(mu), g.constant(sigma));
  Tensor values[2] = {mu, sigma};
  const int64_t rows = 50000;
  Tensor x = d->draw(values, {rows, 2}, Philox(8), 1, 1, DType::f64);
  ASSERT_EQ(x.shape(), (Shape{rows, 2}));
  for (int col = 0; col < 2; ++col) {
    double m = 0;
    for (int64_t r = 0; r < rows; ++r) m += x.at({r, col});
    m /= static_cast<double>(rows);
    // 5 standard errors of the mean: 5 * 0.5 / sqrt(50000).
    EXPECT_NEAR(m, mu[col], 5 * 0.5 / std::sqrt(double(rows))) << "column " << col;
  }
}

TEST(draw, is_reproducible_and_keyed_by_seed_stream_and_counter) {
  MomentCase gamma_case{"Gamma(2.5, 1)", [](auto& e) { return gamma(e[0], e[1]); }, {2.5, 1}, 0, 0};
  Tensor a = draw_scalar_params(gamma_case, 11);
  Tensor b = draw_scalar_params(gamma_case, 11);
  Tensor c = draw_scalar_params(gamma_case, 12);
  EXPECT_EQ(a.to_vector(), b.to_vector());
  EXPECT_NE(a.to_vector(), c.to_vector());
  Graph g(DType::f64);
  auto d = normal(g.scalar(0), g.scalar(1));
  Tensor values[2] = {Tensor::scalar(0), Tensor::scalar(1)};
  Philox rng(3);
  Tensor s0 = d->draw(values, {8}, rng, 0, 0, DType::f64);
  EXPECT_NE(s0.to_vector(), d->draw(values, {8}, rng, 1, 0, DType::f64).to_vector());
  EXPECT_NE(s0.to_vector(), d->draw(values, {8}, rng, 0, 1, DType::f64).to_vector());
}

TEST(draw, float32_draws_are_the_float64_draws_rounded) {
  MomentCase c{"Beta(2, 3)", [](auto& e) { return beta(e[0], e[1]); }, {2, 3}, 0, 0};
  Tensor x64 = draw_scalar_params(c, 4, DType::f64);
  Tensor x32 = draw_scalar_params(c, 4, DType::f32);
  ASSERT_EQ(x32.dtype(), DType::f32);
  for (int64_t i = 0; i < 100; ++i)
    EXPECT_EQ(x32[i], static_cast<double>(static_cast<float>(x64[i])));
}

TEST(draw, extreme_shapes_stay_in_the_support) {
  Graph g(DType::f64);
  auto d = beta(g.scalar(0.01), g.scalar(0.01));
  Tensor values[2] = {Tensor::scalar(0.01), Tensor::scalar(0.01)};
  Tensor x = d->draw(values, {10000}, Philox(1), 0, 0, DType::f64);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_TRUE(x[i] >= 0 && x[i] <= 1) << x[i];
  auto gm = gamma(g.scalar(0.05), g.scalar(1.0));
  Tensor gv[2] = {Tensor::scalar(0.05), Tensor::scalar(1.0)};
  Tensor y = gm->draw(gv, {10000}, Philox(1), 0, 0, DType::f64);
  for (int64_t i = 0; i < y.numel(); ++i) ASSERT_TRUE(y[i] >= 0 && std::isfinite(y[i])) << y[i];
}

// Rejection samplers must not loop on parameters outside their domain (a random
// parameter can be anything): they give nan.
TEST(draw, invalid_parameters_give_nan_instead_of_hanging) {
  Graph g(DType::f64);
  const double nan = NAN, inf = INFINITY;
  auto check = [&](DistPtr d, std::vector<double> params) {
    SCOPED_TRACE(std::string(d->name()));
    std::vector<Tensor> values;
    for (double v : params) values.push_back(Tensor::scalar(v));
    Tensor x = d->draw(values, {3}, Philox(1), 0, 0, DType::f64);
    for (int64_t i = 0; i < 3; ++i) EXPECT_TRUE(std::isnan(x[i])) << x[i];
  };
  auto s = [&](double v) { return g.scalar(v); };
  for (double bad : {nan, -1.0, 0.0, inf}) {
    check(gamma(s(1), s(1)), {bad, 1});
    check(beta(s(1), s(1)), {1, bad});
    check(inverse_gamma(s(1), s(1)), {bad, 1});
    check(student_t(s(1), s(0), s(1)), {bad, 0, 1});
  }
  for (double bad : {nan, -1.0, inf}) check(poisson(s(1)), {bad});
  check(binomial(s(1), s(0.5)), {inf, 0.5});
  check(binomial(s(1), s(0.5)), {10, nan});
}

TEST(draw, rejects_wrong_parameter_values) {
  Graph g(DType::f64);
  auto d = normal(g.scalar(0), g.scalar(1));
  Tensor one[1] = {Tensor::scalar(0)};
  try {
    d->draw(one, {3}, Philox(1), 0, 0, DType::f64);
    ADD_FAILURE() << "no throw";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()), "Normal.draw: got 1 parameter values, expected 2 (mu, sigma)");
  }
  Tensor bad[2] = {Tensor(DType::f64, {4}), Tensor::scalar(1)};
  try {
    d->draw(bad, {3}, Philox(1), 0, 0, DType::f64);
    ADD_FAILURE() << "no throw";
  } catch (const ShapeError& e) {
    EXPECT_EQ(std::string(e.what()),
              "Normal.draw: parameter 'mu' of shape [4] does not broadcast to the shape [3]");
  }
}

// ---------------------------------------------------------------- central points ---------

TEST(central_point, is_the_mean_or_median_or_mode) {
  struct Case {
    std::string label;
    Factory make;
    std::vector<double> params;
    double want;
  };
  const double pi = std::numbers::pi;
  const std::vector<Case> cases = {
      {"Normal", [](auto& e) { return normal(e[0], e[1]); }, {1.5, 2}, 1.5},
      {"HalfNormal", [](auto& e) { return half_normal(e[0]); }, {2}, 2 * std::sqrt(2 / pi)},
      {"LogNormal", [](auto& e) { return log_normal(e[0], e[1]); }, {0.2, 0.5}, std::exp(0.325)},
      {"StudentT", [](auto& e) { return student_t(e[0], e[1], e[2]); }, {1, -2, 3}, -2},
      {"Cauchy", [](auto& e) { return cauchy(e[0], e[1]); }, {4, 2}, 4},
      {"HalfCauchy", [](auto& e) { return half_cauchy(e[0]); }, {2.5}, 2.5},
      {"Laplace", [](auto& e) { return laplace(e[0], e[1]); }, {-1, 3}, -1},
      {"Exponential", [](auto& e) { return exponential(e[0]); }, {4}, 0.25},
      {"Gamma", [](auto& e) { return gamma(e[0], e[1]); }, {3, 2}, 1.5},
      {"InverseGamma mean", [](auto& e) { return inverse_gamma(e[0], e[1]); }, {3, 2}, 1},
      {"InverseGamma mode", [](auto& e) { return inverse_gamma(e[0], e[1]); }, {0.5, 3}, 2},
      {"Beta", [](auto& e) { return beta(e[0], e[1]); }, {2, 6}, 0.25},
      {"Uniform", [](auto& e) { return uniform(e[0], e[1]); }, {-1, 3}, 1},
      {"Bernoulli", [](auto& e) { return bernoulli(e[0]); }, {0.7}, 1},
      {"BernoulliLogit", [](auto& e) { return bernoulli_logit(e[0]); }, {-0.5}, 0},
      {"Binomial", [](auto& e) { return binomial(e[0], e[1]); }, {10, 0.37}, 3},
      {"Poisson", [](auto& e) { return poisson(e[0]); }, {4.6}, 4},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    Graph g(DType::f64);
    std::vector<Expr> ps;
    std::vector<Tensor> values;
    for (double v : c.params) {
      ps.push_back(g.scalar(v));
      values.push_back(Tensor::scalar(v));
    }
    Tensor x = c.make(ps)->central_point(values, {2, 3}, DType::f32);
    ASSERT_EQ(x.shape(), (Shape{2, 3}));
    ASSERT_EQ(x.dtype(), DType::f32);
    for (int64_t i = 0; i < 6; ++i)
      EXPECT_NEAR(x[i], c.want, 1e-6 * std::max(1.0, std::abs(c.want)));
  }
}

TEST(central_point, categorical_is_the_most_probable_label_per_row) {
  Graph g(DType::f64);
  Tensor p(DType::f64, {2, 3}, {0.2, 0.5, 0.3, 0.6, 0.1, 0.3});
  Tensor values[1] = {p};
  Tensor x = categorical(g.constant(p))->central_point(values, {2}, DType::f64);
  EXPECT_EQ(x.to_vector(), (std::vector<double>{1, 0}));
}

}  // namespace
}  // namespace elbo::testing
