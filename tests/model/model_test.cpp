// The model layer: variables, transforms, the flat vector, log p parts, total_size,
// initial point, prior predictive, and every bad input with its message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>
#include <numbers>

#include "elbo/graph.hpp"
#include "elbo/model.hpp"

namespace elbo {
namespace {

constexpr double kLog2Pi = 1.8378770664093453;

double normal_lpdf(double x, double mu, double sd) {
  double z = (x - mu) / sd;
  return -0.5 * z * z - std::log(sd) - 0.5 * kLog2Pi;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no exception>";
}

TEST(model, free_variables_form_one_flat_vector_with_transform_names) {
  Model m;
  m.normal("w", 0, 1, {2, 3});
  m.half_normal("sd", 1);
  m.beta("p", 2, 2, {4});
  ASSERT_EQ(m.flat_size(), 6 + 1 + 4);
  EXPECT_EQ(m.free_variable("w").offset, 0);
  EXPECT_EQ(m.free_variable("sd").value_name, "sd_log__");
  EXPECT_EQ(m.free_variable("sd").offset, 6);
  EXPECT_EQ(m.free_variable("p").value_name, "p_logodds__");
  EXPECT_EQ(m.free_variable("p").offset, 7);
  EXPECT_EQ(m.describe_flat_index(8), "`p_logodds__`.ravel()[1]");
  EXPECT_EQ(m.describe_flat_index(3), "`w`.ravel()[3]");
}

TEST(model, varlogp_includes_the_log_jacobian_of_each_transform) {
  Model m;
  m.normal("mu", 1.0, 2.0);
  m.half_normal("sd", 1.5);
  Tensor theta(DType::f64, {2}, {0.3, std::log(0.7)});
  auto out = m.evaluate({m.varlogp()}, theta);
  // HalfNormal(1.5) at 0.7: log(2) + normal_lpdf(0.7; 0, 1.5); Jacobian of exp: log 0.7.
  double expected = normal_lpdf(0.3, 1.0, 2.0) + std::log(2.0) + normal_lpdf(0.7, 0.0, 1.5) + std::log(0.7);
  EXPECT_NEAR(out[0][0], expected, 1e-12);
}

TEST(model, varlogp_of_mixed_priors_has_each_prior_value_and_gradient) {
  // w1, w2, w3 ~ N(0, 1) run as one normal_logp_sum node; b ~ N(0.5, 2) and the half-normal
  // (a transform) stay separate. varlogp and its gradient are the sum of the terms.
  Model m;
  m.normal("w1", 0.0, 1.0, {2, 3});
  m.normal("b", 0.5, 2.0, {3});
  m.normal("w2", 0.0, 1.0, {3, 3});
  m.half_normal("sd", 1.5);
  m.normal("w3", 0.0, 1.0, {3});
  const int64_t D = m.flat_size();
  ASSERT_EQ(D, 6 + 3 + 9 + 1 + 3);
  Tensor theta(DType::f64, {D});
  for (int64_t i = 0; i < D; ++i) theta.set(i, std::sin(0.7 * static_cast<double>(i)) - 0.2);
  std::vector<double> th = theta.to_vector();
  double expected = 0;
  std::vector<double> grad(static_cast<size_t>(D), 0.0);
  for (int64_t i = 0; i < D; ++i) {
    if (i >= 6 && i < 9) {  // b
      expected += normal_lpdf(th[i], 0.5, 2.0);
      grad[i] = -(th[i] - 0.5) / 4.0;
    } else if (i == 18) {  // sd = exp(u): half-normal density times the Jacobian exp(u)
      expected += std::log(2.0) + normal_lpdf(std::exp(th[i]), 0.0, 1.5) + th[i];
      grad[i] = -std::exp(2 * th[i]) / (1.5 * 1.5) + 1.0;
    } else {
      expected += normal_lpdf(th[i], 0.0, 1.0);
      grad[i] = -th[i];
    }
  }
  EXPECT_NEAR(m.evaluate({m.varlogp()}, theta)[0][0], expected, 1e-12);
  double terms = 0;
  for (const Expr& t : m.varlogp_terms()) terms += m.evaluate({t}, theta)[0][0];
  EXPECT_NEAR(terms, expected, 1e-12);
  ASSERT_EQ(m.varlogp_terms().size(), 5u);  // one per variable, for messages
  Program p(m.graph(), {m.varlogp()}, m.flat_params());
  // varlogp is the plain left fold of the five terms; with w1 first and b second no two
  // equal priors lead the chain, so the compiler merges none (that would reorder adds).
  const std::vector<std::string> ops = p.executed_ops();
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "normal_logp_sum"), 4);
  p.set_flat_params(theta.data<double>());
  double seed[1] = {1.0};
  p.forward_backward(seed);
  std::vector<double> got(static_cast<size_t>(D));
  p.flat_gradient(got.data());
  for (int64_t i = 0; i < D; ++i) EXPECT_NEAR(got[i], grad[i], 1e-12) << i;
}

TEST(model, priors_with_the_same_normal_run_as_one_node_when_compiled) {
  Model m;
  m.normal("w1", 0.0, 1.0, {2, 3});
  m.normal("w2", 0.0, 1.0, {3, 3});
  m.normal("w3", 0.0, 1.0, {3});
  m.half_normal("sd", 1.5);
  Program p(m.graph(), {m.varlogp()}, m.flat_params());
  const std::vector<std::string> ops = p.executed_ops();
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "normal_logp_sum"), 1);
  Program plain(m.graph(), {m.varlogp()}, m.flat_params(), {.rewrites = false});
  const std::vector<std::string> plain_ops = plain.executed_ops();
  EXPECT_EQ(std::count(plain_ops.begin(), plain_ops.end(), "normal_logp_sum"), 3);
}

TEST(model, reading_log_p_adds_no_nodes) {
  Model m;
  Expr mu = m.normal("mu", 0, 1);
  m.half_normal("sd", 1.0);
  m.normal_likelihood("obs", mu, 1.0, m.data("y", Tensor(DType::f64, {3}, {0.1, 0.2, 0.3})));
  const Model& cm = m;
  const int before = cm.graph().size();
  const Expr v = cm.varlogp(), d = cm.datalogp(), l = cm.logp();
  EXPECT_EQ(cm.varlogp_terms().size(), 2u);
  EXPECT_EQ(cm.varlogp().id(), v.id());
  EXPECT_EQ(cm.datalogp().id(), d.id());
  EXPECT_EQ(cm.logp().id(), l.id());
  LogpProgram lp(cm);
  lp.load_batch(0);
  EXPECT_EQ(cm.graph().size(), before);
}

TEST(model, total_size_scales_a_batch_of_9_rows_by_1000_over_9) {
  Model m;
  Tensor y(DType::f64, {9}, {0.1, -0.3, 0.5, 1.2, -1.0, 0.0, 0.7, 0.2, -0.4});
  Expr mu = m.normal("mu", 0, 1);
  Expr yd = m.data("y", y);
  m.normal_likelihood("obs", mu, 1.0, yd, {.total_size = 1000});
  Tensor theta(DType::f64, {1}, {0.25});
  double batch = 0;
  for (int i = 0; i < 9; ++i) batch += normal_lpdf(y[i], 0.25, 1.0);
  double got = m.evaluate({m.datalogp()}, theta)[0][0];
  EXPECT_NEAR(got, 1000.0 / 9.0 * batch, 1e-9 * std::abs(batch) * 1000 / 9);
  LogpProgram lp(m);
  lp.set_samples(1);
  double t[1] = {0.25}, g[1];
  lp.run(t, g);
  EXPECT_DOUBLE_EQ(lp.normalizing_constant(), 1000.0 / 9.0);
}

TEST(model, total_size_per_dimension_scales_each_axis) {
  Model m;
  Tensor y(DType::f64, {2, 3}, {0.1, -0.3, 0.5, 1.2, -1.0, 0.0});
  Expr mu = m.normal("mu", 0, 1);
  m.normal_likelihood("obs", mu, 1.0, m.data("y", y), {.total_size_per_dim = {10, 0}});
  double batch = 0;
  for (int i = 0; i < 6; ++i) batch += normal_lpdf(y[i], 0.0, 1.0);
  double got = m.evaluate({m.datalogp()}, Tensor(DType::f64, {1}, {0.0}))[0][0];
  EXPECT_NEAR(got, 10.0 / 2.0 * batch, 1e-10);
}

TEST(model, data_containers_are_replaceable_with_a_different_row_count) {
  Model m;
  Expr x = m.data("x", Tensor(DType::f64, {3}, {1, 2, 3}));
  Expr w = m.normal("w", 0, 1);
  Expr s = m.deterministic("s", sum(x * w));
  Tensor theta(DType::f64, {1}, {2.0});
  EXPECT_DOUBLE_EQ(m.evaluate({s}, theta)[0][0], 12.0);
  m.set_data("x", Tensor(DType::f64, {5}, {1, 1, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(m.evaluate({s}, theta)[0][0], 10.0);
  EXPECT_EQ(message_of([&] { m.set_data("nope", Tensor(DType::f64, {1}, {1})); }),
            "Model::set_data: no data container named 'nope'");
}

TEST(model, hierarchical_model_builds_and_evaluates) {
  Model m;
  Expr mu = m.normal("mu", 0, 5);
  Expr tau = m.half_normal("tau", 2);
  Expr theta = m.normal("theta", mu, tau, {4});
  Tensor y(DType::f64, {4}, {1.0, -0.5, 2.0, 0.3});
  m.normal_likelihood("y", theta, 1.0, m.data("y_obs", y));
  ASSERT_EQ(m.flat_size(), 6);
  Tensor t(DType::f64, {6}, {0.5, std::log(1.3), 0.1, 0.2, 0.3, 0.4});
  double expected = normal_lpdf(0.5, 0, 5) + std::log(2.0) + normal_lpdf(1.3, 0, 2) + std::log(1.3);
  for (int i = 0; i < 4; ++i) expected += normal_lpdf(0.1 * (i + 1), 0.5, 1.3);
  for (int i = 0; i < 4; ++i) expected += normal_lpdf(y[i], 0.1 * (i + 1), 1.0);
  EXPECT_NEAR(m.evaluate({m.logp()}, t)[0][0], expected, 1e-10);
  // The gradient flows through the hierarchy: compare with central differences.
  LogpProgram lp(m);
  double g[6];
  lp.run(t.data<double>(), g);
  for (int i = 0; i < 6; ++i) {
    Tensor tp = t, tm = t;
    tp.set(i, t[i] + 1e-6);
    tm.set(i, t[i] - 1e-6);
    double fd = (m.evaluate({m.logp()}, tp)[0][0] - m.evaluate({m.logp()}, tm)[0][0]) / 2e-6;
    EXPECT_NEAR(g[i], fd, 1e-5 * std::max(1.0, std::abs(fd))) << i;
  }
}

TEST(model, initial_point_is_a_central_point_of_each_prior_in_unconstrained_space) {
  Model m;
  m.normal("a", 3.0, 1.0, {2});
  m.half_normal("s", 2.0);
  m.normal("b", 0.0, 1.0, {}, {.initial = Tensor(DType::f64, {}, {0.75})});
  Tensor p = m.initial_point();
  ASSERT_EQ(p.numel(), 4);
  EXPECT_DOUBLE_EQ(p[0], 3.0);
  EXPECT_DOUBLE_EQ(p[1], 3.0);
  EXPECT_NEAR(p[2], std::log(2.0 * std::sqrt(2.0 / std::numbers::pi)), 1e-12);  // HalfNormal mean
  EXPECT_DOUBLE_EQ(p[3], 0.75);
  m.set_initial_value("a", Tensor(DType::f64, {2}, {1, 2}));
  EXPECT_DOUBLE_EQ(m.initial_point()[1], 2.0);
}

TEST(model, prior_predictive_draws_have_the_prior_moments) {
  Model m;
  Expr mu = m.normal("mu", 3.0, 2.0);
  m.normal_likelihood("y", mu, 1.0, m.data("y_obs", Tensor(DType::f64, {2}, {0, 0})));
  auto draws = m.sample_prior_predictive(20000, 7);
  const Tensor& d = draws.at("mu");
  ASSERT_EQ(d.shape(), (Shape{20000}));
  double s = 0, s2 = 0;
  for (int64_t i = 0; i < d.numel(); ++i) s += d[i], s2 += d[i] * d[i];
  double mean = s / 20000, var = s2 / 20000 - mean * mean;
  // 5 standard errors: sd of the mean is 2/sqrt(20000) = 0.014; of the variance ~ 4*sqrt(2/20000) = 0.04.
  EXPECT_NEAR(mean, 3.0, 0.07);
  EXPECT_NEAR(var, 4.0, 0.2);
  const Tensor& y = draws.at("y");
  ASSERT_EQ(y.shape(), (Shape{20000, 2}));
  double vy = 0;
  for (int64_t i = 0; i < 20000; ++i) vy += (y[2 * i] - 3.0) * (y[2 * i] - 3.0);
  EXPECT_NEAR(vy / 20000, 5.0, 0.25);  // var(mu) + 1
}

TEST(model_errors, name_the_variable_argument_and_value) {
  Model m;
  EXPECT_EQ(message_of([&] { m.normal("w", 0, -1); }), "Normal('w'): argument 'sigma' is -1, but must be positive");
  m.normal("w", 0, 1, {2, 5});
  EXPECT_EQ(message_of([&] { m.normal("w", 0, 1); }), "Model: the name 'w' is already used in this model");
  Expr y01 = m.data("y", Tensor(DType::f64, {3}, {0, 1, 2}));
  EXPECT_EQ(message_of([&] { m.bernoulli("out", 0.5, y01); }),
            "Bernoulli('out'): observed value 2 at index 2 is not 0 or 1");
  Expr ynan = m.data("ynan", Tensor(DType::f64, {3}, {0, NAN, 1}));
  EXPECT_EQ(message_of([&] { m.normal_likelihood("obs", 0.0, 1.0, ynan); }),
            "Normal('obs'): observed value nan at index 1 is not finite");
  Expr labels = m.data("labels", Tensor(DType::f64, {2}, {0, 3}));
  EXPECT_EQ(message_of([&] { m.categorical("cat", Tensor(DType::f64, {3}, {0.2, 0.3, 0.5}), labels); }),
            "Categorical('cat'): observed value 3 at index 1 is not a label in [0, 3)");
  Expr y500 = m.data("y500", Tensor(DType::f64, {500}));
  Expr p250 = m.normal("p250", 0, 1, {250});
  std::string msg = message_of([&] { m.bernoulli_logit("lik", p250, y500); });
  EXPECT_NE(msg.find("Bernoulli('lik')"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[500]"), std::string::npos) << msg;
  Model other;
  Expr foreign = other.normal("z", 0, 1);
  EXPECT_EQ(message_of([&] { m.normal("q", foreign, 1); }),
            "Model: argument 'mu' of 'q' is a variable of another model; variables can only be used in the model "
            "that created them");
  EXPECT_EQ(message_of([&] { m.normal("v", 0, 1, {3}, {.initial = Tensor(DType::f64, {2})}); }),
            "Normal('v'): the initial value has shape [2] but the variable has shape [3]");
  EXPECT_EQ(message_of([&] { m.normal("u", Tensor(DType::f64, {4}), 1, {3}); }),
            "Normal('u'): argument 'mu' has shape [4], which does not broadcast to the variable's shape [3]");
}

TEST(model_errors, set_data_rejects_bad_observed_values_and_keeps_the_old_ones) {
  Model m;
  Expr w = m.normal("w", 0, 1);
  Expr y = m.data("y", Tensor(DType::f64, {2}, {0, 1}));
  m.bernoulli_logit("out", w, y);
  EXPECT_EQ(message_of([&] { m.set_data("y", Tensor(DType::f64, {3}, {0, 1, 5})); }),
            "Bernoulli('out'): observed value 5 at index 2 is not 0 or 1");
  EXPECT_EQ(y.shape(), (Shape{2}));
}

TEST(minibatch, draws_the_same_rows_from_every_array_reproducibly) {
  Tensor x(DType::f64, {10, 2}), y(DType::f64, {10});
  for (int i = 0; i < 10; ++i) {
    x.set(2 * i, i);
    x.set(2 * i + 1, 100 + i);
    y.set(i, i);
  }
  Model m;
  auto inputs = m.minibatch({"xb", "yb"}, {x, y}, {.batch_size = 4, .seed = 3});
  Expr w = m.normal("w", 0, 1);
  m.normal_likelihood("obs", sum(inputs[0], 1) * w, 1.0, inputs[1], {.total_size = 10});
  Program p(m.graph(), {inputs[0], inputs[1]}, m.flat_params());
  auto& src = *m.batch_sources()[0];
  src.load(p, 5);
  p.forward();
  Tensor xb = p.output(0), yb = p.output(1);
  ASSERT_EQ(xb.shape(), (Shape{4, 2}));
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(xb[2 * r], yb[r]);
    EXPECT_EQ(xb[2 * r + 1], 100 + yb[r]);
  }
  src.load(p, 5);
  p.forward();
  EXPECT_EQ(p.output(1).to_vector(), yb.to_vector());
}

TEST(minibatch, epochs_visit_every_row_once_and_the_last_batch_may_be_smaller) {
  Tensor y(DType::f64, {10});
  for (int i = 0; i < 10; ++i) y.set(i, i);
  Model m;
  auto in = m.minibatch({"yb"}, {y}, {.batch_size = 4, .epochs = true, .seed = 1});
  auto* src = dynamic_cast<const ArrayMinibatch*>(m.batch_sources()[0].get());
  ASSERT_NE(src, nullptr);
  std::vector<int> seen(10, 0);
  std::vector<size_t> sizes;
  for (uint64_t step = 0; step < 3; ++step) {
    auto rows = src->rows_of_step(step);
    sizes.push_back(rows.size());
    for (int64_t r : rows) seen[r]++;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{4, 4, 2}));
  for (int c : seen) EXPECT_EQ(c, 1);
  // The uneven batch runs through a program.
  Expr w = m.normal("w", 0, 1);
  m.normal_likelihood("obs", w, 1.0, in[0], {.total_size = 10});
  LogpProgram lp(m);
  double t[1] = {0.0}, g[1];
  lp.load_batch(2);
  lp.run(t, g);
  EXPECT_DOUBLE_EQ(lp.normalizing_constant(), 5.0);
}

TEST(minibatch, warns_once_when_an_observed_variable_has_no_total_size) {
  Tensor y(DType::f64, {10});
  Model m;
  auto in = m.minibatch({"yb"}, {y}, {.batch_size = 4});
  Expr w = m.normal("w", 0, 1);
  // The warning goes to the installed logger (elbo/graph/log.hpp), never to stderr.
  std::vector<std::pair<LogLevel, std::string>> messages;
  Logger previous = set_logger([&](LogLevel level, std::string_view message) {
    messages.emplace_back(level, std::string(message));
  });
  ::testing::internal::CaptureStderr();
  m.normal_likelihood("obs", w, 1.0, in[0]);
  std::string err = ::testing::internal::GetCapturedStderr();
  set_logger(std::move(previous));
  EXPECT_EQ(err, "");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].first, LogLevel::warning);
  EXPECT_NE(messages[0].second.find("'obs' is fed by minibatches but has no total_size"), std::string::npos)
      << messages[0].second;
}

}  // namespace
}  // namespace elbo
