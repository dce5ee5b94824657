// Supports, transforms, and the messages of parameter and data checks, asserted exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "elbo/transforms.hpp"
#include "eval.hpp"

namespace elbo::testing {
namespace {

template <class F>
std::string message_of(F f) {
  try {
    f();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "(no InvalidArgument thrown)";
}

struct SupportCase {
  std::string label;
  DistPtr dist;
  Support support;
  std::string transform;  // "" for none
  double lower, upper;
  bool discrete;
};

TEST(distribution, support_and_default_transform) {
  Graph g(DType::f64);
  auto s = [&](double v) { return g.scalar(v); };
  const double inf = INFINITY;
  const std::vector<SupportCase> cases = {
      {"Normal", normal(s(0), s(1)), Support::real, "", -inf, inf, false},
      {"HalfNormal", half_normal(s(1)), Support::positive, "log", 0, inf, false},
      {"LogNormal", log_normal(s(0), s(1)), Support::positive, "log", 0, inf, false},
      {"StudentT", student_t(s(3), s(0), s(1)), Support::real, "", -inf, inf, false},
      {"Cauchy", cauchy(s(0), s(1)), Support::real, "", -inf, inf, false},
      {"HalfCauchy", half_cauchy(s(1)), Support::positive, "log", 0, inf, false},
      {"Laplace", laplace(s(0), s(1)), Support::real, "", -inf, inf, false},
      {"Exponential", exponential(s(1)), Support::positive, "log", 0, inf, false},
      {"Gamma", gamma(s(2), s(1)), Support::positive, "log", 0, inf, false},
      {"InverseGamma", inverse_gamma(s(2), s(1)), Support::positive, "log", 0, inf, false},
      {"Beta", beta(s(2), s(2)), Support::unit_interval, "logodds", 0, 1, false},
      {"Uniform", uniform(s(-2), s(5)), Support::interval, "interval", -2, 5, false},
      {"Bernoulli", bernoulli(s(0.5)), Support::binary, "", 0, 1, true},
      {"Bernoulli", bernoulli_logit(s(0)), Support::binary, "", 0, 1, true},
      {"Categorical", categorical(g.constant(Tensor(DType::f64, {4}, {1, 1, 1, 1}))),
       Support::categorical, "", 0, 3, true},
      {"Categorical", categorical_logits(g.constant(Tensor(DType::f64, {2, 3}))),
       Support::categorical, "", 0, 2, true},
      {"Binomial", binomial(s(5), s(0.5)), Support::nonnegative_integer, "", 0, inf, true},
      {"Poisson", poisson(s(2)), Support::nonnegative_integer, "", 0, inf, true},
  };
  for (const SupportCase& c : cases) {
    SCOPED_TRACE(c.label);
    EXPECT_EQ(c.dist->name(), c.label);
    EXPECT_EQ(c.dist->support(), c.support) << support_name(c.dist->support());
    EXPECT_EQ(c.dist->lower(), c.lower);
    EXPECT_EQ(c.dist->upper(), c.upper);
    EXPECT_EQ(c.dist->discrete(), c.discrete);
    EXPECT_EQ(c.dist->params().size(), c.dist->param_names().size());
    auto t = c.dist->default_transform();
    if (c.transform.empty()) {
      EXPECT_EQ(t, nullptr);
    } else {
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->name(), c.transform);
    }
  }
  auto t =
      std::dynamic_pointer_cast<const IntervalTransform>(uniform(s(-2), s(5))->default_transform());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->lower(), -2);
  EXPECT_EQ(t->upper(), 5);
}

TEST(distribution, parameter_names_follow_pymc) {
  Graph g(DType::f64);
  auto s = [&](double v) { return g.scalar(v); };
  using N = std::vector<std::string>;
  EXPECT_EQ(normal(s(0), s(1))->param_names(), (N{"mu", "sigma"}));
  EXPECT_EQ(student_t(s(1), s(0), s(1))->param_names(), (N{"nu", "mu", "sigma"}));
  EXPECT_EQ(gamma(s(1), s(1))->param_names(), (N{"alpha", "beta"}));
  EXPECT_EQ(laplace(s(0), s(1))->param_names(), (N{"mu", "b"}));
  EXPECT_EQ(exponential(s(1))->param_names(), (N{"lam"}));
  EXPECT_EQ(uniform(s(0), s(1))->param_names(), (N{"lower", "upper"}));
  EXPECT_EQ(bernoulli_logit(s(0))->param_names(), (N{"logit_p"}));
  EXPECT_EQ(categorical_logits(g.constant(Tensor(DType::f64, {2})))->param_names(), (N{"logits"}));
  EXPECT_EQ(binomial(s(3), s(0.5))->param_names(), (N{"n", "p"}));
}

struct ParamCase {
  std::function<DistPtr(Graph&)> make;
  std::string message;
};

TEST(distribution, check_params_names_variable_argument_value_and_index) {
  auto t = [](Graph& g, std::vector<double> v) {
    return g.constant(Tensor(DType::f64, {static_cast<int64_t>(v.size())}, v));
  };
  const std::vector<ParamCase> cases = {
      {[](Graph& g) { return normal(g.scalar(0), g.scalar(-1)); },
       "Normal('w'): argument 'sigma' is -1, but must be positive"},
      {[&](Graph& g) {
         return normal(g.scalar(0), t(g, {1, 2, 0}));
       },
       "Normal('w'): argument 'sigma' at index 2 is 0, but must be positive"},
      {[](Graph& g) { return normal(g.scalar(NAN), g.scalar(1)); },
       "Normal('w'): argument 'mu' is nan, but must be finite"},
      {[](Graph& g) { return normal(g.scalar(0), g.scalar(INFINITY)); },
       "Normal('w'): argument 'sigma' is inf, but must be finite"},
      {[](Graph& g) {
         return normal(g.constant(Tensor(DType::f64, {2, 2}, {0, 1, 2, -INFINITY})), g.scalar(1));
       },
       "Normal('w'): argument 'mu' at index [1,1] is -inf, but must be finite"},
      {[](Graph& g) { return half_normal(g.scalar(-0.5)); },
       "HalfNormal('w'): argument 'sigma' is -0.5, but must be positive"},
      {[](Graph& g) { return log_normal(g.scalar(0), g.scalar(0)); },
       "LogNormal('w'): argument 'sigma' is 0, but must be positive"},
      {[](Graph& g) { return student_t(g.scalar(-2), g.scalar(0), g.scalar(1)); },
       "StudentT('w'): argument 'nu' is -2, but must be positive"},
      {[](Graph& g) { return cauchy(g.scalar(0), g.scalar(-3)); },
       "Cauchy('w'): argument 'beta' is -3, but must be positive"},
      {[](Graph& g) { return half_cauchy(g.scalar(0)); },
       "HalfCauchy('w'): argument 'beta' is 0, but must be positive"},
      {[](Graph& g) { return laplace(g.scalar(0), g.scalar(-1)); },
       "Laplace('w'): argument 'b' is -1, but must be positive"},
      {[](Graph& g) { return exponential(g.scalar(-0.25)); },
       "Exponential('w'): argument 'lam' is -0.25, but must be positive"},
      {[](Graph& g) { return gamma(g.scalar(0), g.scalar(1)); },
       "Gamma('w'): argument 'alpha' is 0, but must be positive"},
      {[](Graph& g) { return inverse_gamma(g.scalar(1), g.scalar(-1)); },
       "InverseGamma('w'): argument 'beta' is -1, but must be positive"},
      {[](Graph& g) { return beta(g.scalar(1), g.scalar(-0.1)); },
       "Beta('w'): argument 'beta' is -0.1, but must be positive"},
      {[](Graph& g) { return uniform(g.scalar(1), g.scalar(0)); },
       "Uniform('w'): argument 'upper' is 0, but must be greater than lower (1)"},
      {[](Graph& g) { return uniform(g.scalar(-INFINITY), g.scalar(0)); },
       "Uniform('w'): argument 'lower' is -inf, but must be finite"},
      {[](Graph& g) { return bernoulli(g.scalar(1.5)); },
       "Bernoulli('w'): argument 'p' is 1.5, but must be in [0, 1]"},
      {[&](Graph& g) {
         return bernoulli(t(g, {0.5, -0.1}));
       },
       "Bernoulli('w'): argument 'p' at index 1 is -0.1, but must be in [0, 1]"},
      {[](Graph& g) { return bernoulli_logit(g.scalar(NAN)); },
       "Bernoulli('w'): argument 'logit_p' is nan, but must be a number"},
      {[&](Graph& g) {
         return categorical(t(g, {0.5, -0.5}));
       },
       "Categorical('w'): argument 'p' at index 1 is -0.5, but must be non-negative"},
      {[](Graph& g) {
         return categorical(g.constant(Tensor(DType::f64, {2, 2}, {1, 0, 0, 0})));
       },
       "Categorical('w'): argument 'p' row 1 sums to 0, but must have a positive sum"},
      {[&](Graph& g) {
         return categorical_logits(t(g, {0, INFINITY}));
       },
       "Categorical('w'): argument 'logits' at index 1 is inf, but must be finite or -inf"},
      {[](Graph& g) { return binomial(g.scalar(2.5), g.scalar(0.5)); },
       "Binomial('w'): argument 'n' is 2.5, but must be a non-negative integer"},
      {[](Graph& g) { return binomial(g.scalar(3), g.scalar(-1)); },
       "Binomial('w'): argument 'p' is -1, but must be in [0, 1]"},
      {[](Graph& g) { return poisson(g.scalar(-1)); },
       "Poisson('w'): argument 'mu' is -1, but must be non-negative"},
  };
  for (const ParamCase& c : cases) {
    Graph g(DType::f64);
    DistPtr d = c.make(g);
    EXPECT_EQ(message_of([&] { d->check_params("w"); }), c.message);
  }
}

TEST(distribution, check_params_formats_float32_values_shortly) {
  Graph g(DType::f32);
  auto d = normal(g.scalar(0), g.scalar(-0.1));
  EXPECT_EQ(message_of([&] { d->check_params("w"); }),
            "Normal('w'): argument 'sigma' is -0.1, but must be positive");
}

TEST(distribution, check_params_accepts_valid_and_random_parameters) {
  Graph g(DType::f64);
  Expr sigma = g.parameter("sigma", {});
  EXPECT_NO_THROW(normal(g.scalar(0), sigma)->check_params("w"));  // not a constant: not checked
  EXPECT_NO_THROW(normal(g.scalar(0), g.scalar(1))->check_params("w"));
  EXPECT_NO_THROW(bernoulli(g.scalar(0))->check_params("w"));
  EXPECT_NO_THROW(bernoulli(g.scalar(1))->check_params("w"));
  EXPECT_NO_THROW(poisson(g.scalar(0))->check_params("w"));
  EXPECT_NO_THROW(
      categorical_logits(g.constant(Tensor(DType::f64, {2}, {0, -INFINITY})))->check_params("w"));
}

struct ObservedCase {
  std::function<DistPtr(Graph&)> make;
  Tensor data;
  std::string message;  // "" for valid data
};

TEST(distribution, check_observed_names_variable_value_and_index) {
  auto v = [](std::vector<double> x) {
    return Tensor(DType::f64, {static_cast<int64_t>(x.size())}, x);
  };
  auto nrm = [](Graph& g) { return normal(g.scalar(0), g.scalar(1)); };
  const std::vector<ObservedCase> cases = {
      {nrm, v({0, 1, 2, NAN}), "Normal('y'): observed value nan at index 3 is not finite"},
      {nrm, v({INFINITY}), "Normal('y'): observed value inf at index 0 is not finite"},
      {nrm, Tensor(DType::f64, {2, 2}, {0, 1, -INFINITY, 2}),
       "Normal('y'): observed value -inf at index [1,0] is not finite"},
      {nrm, Tensor::scalar(NAN), "Normal('y'): observed value nan is not finite"},
      {nrm, v({-1e300, 1e300}), ""},
      {[](Graph& g) { return half_normal(g.scalar(1)); }, v({0, 2, -1}),
       "HalfNormal('y'): observed value -1 at index 2 is outside the support [0, inf)"},
      {[](Graph& g) { return beta(g.scalar(1), g.scalar(1)); }, v({0.5, 1.25}),
       "Beta('y'): observed value 1.25 at index 1 is outside the support [0, 1]"},
      {[](Graph& g) { return uniform(g.scalar(-1), g.scalar(2)); }, v({2.5}),
       "Uniform('y'): observed value 2.5 at index 0 is outside the support [-1, 2]"},
      {[](Graph& g) { return bernoulli(g.scalar(0.5)); }, v({0, 1, 2}),
       "Bernoulli('y'): observed value 2 at index 2 is not 0 or 1"},
      {[](Graph& g) { return bernoulli_logit(g.scalar(0)); }, v({0.5}),
       "Bernoulli('y'): observed value 0.5 at index 0 is not 0 or 1"},
      {[](Graph& g) { return bernoulli(g.scalar(0.5)); }, v({0, 1, 1, 0}), ""},
      {[](Graph& g) {
         return categorical(g.constant(Tensor(DType::f64, {3}, {1, 1, 1})));
       },
       v({0, 2, 3}), "Categorical('y'): observed value 3 at index 2 is not a label in [0, 3)"},
      {[](Graph& g) {
         return categorical(g.constant(Tensor(DType::f64, {3}, {1, 1, 1})));
       },
       v({1.5}), "Categorical('y'): observed value 1.5 at index 0 is not a label in [0, 3)"},
      {[](Graph& g) {
         return categorical_logits(g.constant(Tensor(DType::f64, {2, 3})));
       },
       v({-1, 0}), "Categorical('y'): observed value -1 at index 0 is not a label in [0, 3)"},
      {[](Graph& g) { return poisson(g.scalar(2)); }, v({0, 3, -1}),
       "Poisson('y'): observed value -1 at index 2 is not a non-negative integer"},
      {[](Graph& g) { return poisson(g.scalar(2)); }, v({2.5}),
       "Poisson('y'): observed value 2.5 at index 0 is not a non-negative integer"},
      {[](Graph& g) { return binomial(g.scalar(4), g.scalar(0.5)); }, v({0, 5}),
       "Binomial('y'): observed value 5 at index 1 exceeds n = 4"},
      {[](Graph& g) {
         return binomial(g.constant(Tensor(DType::f64, {2}, {4, 9})), g.scalar(0.5));
       },
       v({4, 9}), ""},
      {[](Graph& g) { return binomial(g.scalar(4), g.scalar(0.5)); }, v({-2}),
       "Binomial('y'): observed value -2 at index 0 is not a non-negative integer"},
  };
  for (const ObservedCase& c : cases) {
    Graph g(DType::f64);
    DistPtr d = c.make(g);
    if (c.message.empty())
      EXPECT_NO_THROW(d->check_observed("y", c.data));
    else
      EXPECT_EQ(message_of([&] { d->check_observed("y", c.data); }), c.message);
  }
}

TEST(distribution, factories_reject_bad_expressions) {
  Graph g(DType::f64), other(DType::f64);
  EXPECT_EQ(message_of([&] { normal(g.scalar(0), Expr()); }),
            "Normal: argument 'sigma' is an empty expression");
  EXPECT_EQ(message_of([&] { normal(g.scalar(0), other.scalar(1)); }),
            "Normal: argument 'sigma' belongs to another graph than 'mu'");
  EXPECT_EQ(message_of([&] { uniform(g.parameter("a", {}), g.scalar(1)); }),
            "Uniform: argument 'lower' must be a constant with one value");
  EXPECT_EQ(message_of([&] {
              uniform(g.scalar(0), g.constant(Tensor(DType::f64, {2}, {1, 2})));
            }),
            "Uniform: argument 'upper' must be a constant with one value");
  EXPECT_EQ(
      message_of([&] { categorical(g.scalar(1)); }),
      "Categorical: argument 'p' must have at least one axis (the K categories), got shape []");
}

}  // namespace
}  // namespace elbo::testing
