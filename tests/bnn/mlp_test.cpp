// build_mlp with each likelihood: the nodes the likelihood adds, the initialisation it owns,
// and predictive draws that agree with the network's own output.
#include "elbo/bnn/mlp.hpp"

#include <cmath>
#include <cstring>

#include "support/expect_throw_msg.hpp"
#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/bnn/predictive_draws.hpp"
#include "elbo/graph/random.hpp"
#include "elbo/model/logp_program.hpp"
#include "elbo/vi/inference.hpp"
#include "elbo/vi/mean_field.hpp"

namespace elbo {
namespace {

const FreeVariable* find_free(const Model& m, const std::string& name) {
  for (const FreeVariable& v : m.free_variables())
    if (v.name == name) return &v;
  return nullptr;
}

struct Built {
  Model model{DType::f64};
  Mlp net;
};

std::unique_ptr<Built> build(const Likelihood& likelihood, MlpOptions o = {}) {
  auto b = std::make_unique<Built>();
  Tensor x(DType::f64, {4, 3}, {0.1, -0.2, 0.3, 1, 0.5, -1, 0, 0, 2, -0.5, 0.25, 0.75});
  Tensor y(DType::f64, {4}, {0, 1, 1, 0});
  b->net = build_mlp(b->model, b->model.data("x", x), b->model.data("y", y), o, likelihood);
  return b;
}

TEST(build_mlp, each_likelihood_adds_its_output_layer_parameters_and_observed_node) {
  auto poisson = build(*make_likelihood("poisson"), {.hidden = {4}, .bias = true});
  EXPECT_EQ(poisson->net.weight_names, (std::vector<std::string>{"w_in_1", "b_1", "w_1_out", "b_out"}));
  EXPECT_TRUE(poisson->net.parameters.empty());
  EXPECT_EQ(poisson->model.observed_variables().size(), 1u);
  EXPECT_EQ(poisson->net.logits.shape(), (Shape{4}));

  auto t = build(*make_likelihood("student_t", {{"noise_prior_sd", 1}}));
  ASSERT_NE(find_free(t->model, "sigma"), nullptr);
  ASSERT_NE(find_free(t->model, "nu_minus_2"), nullptr);
  EXPECT_EQ(t->net.parameters.size(), 2u);  // sigma, nu

  auto categorical = build(*make_likelihood("categorical", {{"classes", 3}}));
  EXPECT_EQ(categorical->net.logits.shape(), (Shape{4, 3}));
  EXPECT_EQ(find_free(categorical->model, "w_2_out")->shape, (Shape{5, 3}));
}

TEST(build_mlp, init_gain_scales_weights_by_fan_in_and_starts_biases_at_zero) {
  auto bernoulli = make_likelihood("bernoulli");
  auto plain = build(*bernoulli, {.hidden = {16}, .bias = true, .init_seed = 3});
  auto scaled = build(*bernoulli, {.hidden = {16}, .bias = true, .init_seed = 3, .init_gain = 2});
  Tensor a = plain->model.initial_point(), b = scaled->model.initial_point();
  for (const FreeVariable& v : scaled->model.free_variables()) {
    const bool bias = v.name[0] == 'b';
    // fan-in 3 (inputs): min(1, 2 / sqrt 3) = 1; fan-in 16 (hidden): 2 / 4 = 0.5.
    const double scale = bias ? 0.0 : (v.shape[0] == 16 ? 0.5 : 1.0);
    for (int64_t i = v.offset; i < v.offset + v.size; ++i) EXPECT_EQ(b[i], a[i] * scale) << v.name;
  }
  EXPECT_THROW_MSG(build(*bernoulli, {.init_gain = -1}), InvalidArgument, "argument 'init_gain' is -1");
}

TEST(draw_predictive, draws_the_last_layer_and_parameters_in_target_units_with_the_outputs_seed) {
  auto normal = make_likelihood("normal");
  auto b = build(*normal, {.hidden = {3}});
  std::vector<double> mu(static_cast<size_t>(b->model.flat_size()), 0.1);
  MeanField q(mu, 0.3);
  Tensor x(DType::f64, {2, 3}, {0.5, 0.5, 0.5, -1, 0, 1});
  PredictiveDraws d = draw_predictive(b->model, q, b->net, *normal, x, 50, 7, 1, {10, 2});
  ASSERT_EQ(d.output.size(), 100u);
  ASSERT_EQ(d.parameters.size(), 1u);
  // The mean of the output deterministic ("mean", the modelled target) over the same
  // draws, mapped to target units, is the mean of the drawn outputs (to rounding).
  std::vector<double> mean = mean_output(b->model, q, b->net, x, 50, 7);
  for (int64_t r = 0; r < 2; ++r) {
    double m = 0;
    for (int64_t s = 0; s < 50; ++s) m += d.at(s, r) / 50;
    EXPECT_NEAR(mean[r] * 2 + 10, m, 1e-9);
  }
  for (double sigma : d.parameters[0]) EXPECT_GT(sigma, 0);
}

// A network wide enough that a group of draws grows with the threads (one draw per thread
// while they fit in the all-threads bound): 2000 inputs and 60 units, about 120k weights
// (2.9 MB of draw state each), so a group is 16 draws at one thread and 32 at 32 threads.
// The chunks of rows are sized for the largest group, so every output has the same bits.
TEST(draw_predictive, the_outputs_do_not_depend_on_the_threads_when_the_groups_do) {
  auto categorical = make_likelihood("categorical", {{"classes", 3}});
  Model model(DType::f32);
  const int64_t F = 2000, rows = 200;
  Tensor x = Philox(3).normal(DType::f32, {rows, F}, 1, 0);
  Tensor y(DType::f32, {rows});
  Mlp net = build_mlp(model, model.data("x", x), model.data("y", y), {.hidden = {60}}, *categorical);
  std::vector<double> mu(static_cast<size_t>(model.flat_size()), 0.01);
  MeanField q(mu, 0.05);
  const PredictiveDraws one = draw_predictive(model, q, net, *categorical, x, 40, 9, 1);
  const PredictiveDraws many = draw_predictive(model, q, net, *categorical, x, 40, 9, 32);
  ASSERT_EQ(one.output.size(), static_cast<size_t>(40 * rows * 3));
  EXPECT_TRUE(one.output == many.output);
}

// The graph's heteroscedastic log-likelihoods (an f64 program) are the likelihoods' own log
// densities of the same network outputs and parameters: two outputs per row, each row's
// scale from the second.
TEST(build_mlp, heteroscedastic_log_likelihoods_are_the_likelihoods_densities) {
  for (const std::string name : {"heteroscedastic_normal", "heteroscedastic_student_t"}) {
    SCOPED_TRACE(name);
    auto h = make_likelihood(name, {{"noise_prior_sd", 1}});
    Built b;
    Tensor x(DType::f64, {4, 3}, {0.1, -0.2, 0.3, 1, 0.5, -1, 0, 0, 2, -0.5, 0.25, 0.75});
    const std::vector<double> y = {0.3, -1.2, 2.0, 0.1};
    b.net = build_mlp(b.model, b.model.data("x", x), b.model.data("y", Tensor(DType::f64, {4}, y)),
                      {.hidden = {5}, .bias = true}, *h);
    EXPECT_EQ(b.net.logits.shape(), (Shape{4, 2}));
    EXPECT_EQ(find_free(b.model, "w_1_out")->shape, (Shape{5, 2}));
    ASSERT_EQ(b.net.parameters.size(), name == "heteroscedastic_normal" ? 1u : 2u);  // sigma (, nu)
    // A point with spread-out weights, so that the rows' scales differ.
    const Tensor z = Philox(4).normal(DType::f64, {b.model.flat_size()}, 0, 0);
    std::vector<double> point(static_cast<size_t>(z.numel()));
    for (int64_t i = 0; i < z.numel(); ++i) point[static_cast<size_t>(i)] = z[i];
    LogpProgram logp(b.model);
    logp.run<double>(point.data(), nullptr);
    const MeanField at(point, std::vector<double>(point.size(), 1e-300));
    PredictiveDraws d = draw_predictive(b.model, at, b.net, *h, x, 1, 0);
    EXPECT_NE(d.at(0, 0, 1), d.at(0, 1, 1));
    double total = 0;
    for (double v : h->log_density(d, y)) total += v;
    EXPECT_NEAR(logp.datalogp(0), total, 1e-10 * std::fabs(total));
  }
}

// A categorical network's fit with several draws a step gives the same bits on one and two
// threads (the draws' buffers lie at other addresses; the categorical log-likelihood op's
// exponentials must not depend on where). 70 rows: one block of 64 and a tail of 6; float32
// (packets of 8) and float64.
TEST(categorical_fit, is_bitwise_identical_for_one_and_two_threads) {
  for (DType dtype : {DType::f32, DType::f64}) {
    auto run = [&](int threads) {
      auto categorical = make_likelihood("categorical", {{"classes", 3}});
      Model model(dtype);
      Tensor x = Philox(5).normal(dtype, {70, 4}, 0, 0);
      Tensor y(dtype, {70});
      for (int64_t r = 0; r < 70; ++r) y.set(r, static_cast<double>(r % 3));
      build_mlp(model, model.data("x", x), model.data("y", y), {.hidden = {6}, .bias = true, .init_gain = 2},
                *categorical);
      ADVI advi(model, {.seed = 11, .threads = threads});
      advi.fit(40, {.obj_n_mc = 3, .progressbar = false});
      auto p = advi.approximation().params();
      std::vector<double> out(advi.hist());
      out.insert(out.end(), p.begin(), p.end());
      return out;
    };
    std::vector<double> one = run(1), two = run(2);
    ASSERT_EQ(one.size(), two.size());
    EXPECT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * sizeof(double))) << dtype_name(dtype);
  }
}

// The last layer at weights z, [rows * K], through a point q.
std::vector<double> logits_at(const Built& b, const Likelihood& likelihood, const std::vector<double>& z) {
  const MeanField point(z, std::vector<double>(z.size(), 1e-300));
  return draw_predictive(b.model, point, b.net, likelihood, *b.net.x.value(), 1, 0).output;
}

void expect_linearised_network_is_the_first_order_expansion(const Likelihood& likelihood, const std::string& activation) {
  const MlpOptions plain{.hidden = {5, 4}, .activation = activation, .bias = true, .init_seed = 9};
  auto network = build(likelihood, plain);
  const std::vector<double> at = network->model.initial_point().to_vector();
  MlpOptions linear = plain;
  for (const FreeVariable& v : network->model.free_variables())
    if (v.name.rfind("w_", 0) == 0 || v.name.rfind("b_", 0) == 0)
      linear.linearize_at[v.name] = Tensor(DType::f64, v.shape, std::span<const double>(at).subspan(v.offset, v.size));
  auto linearised = build(likelihood, linear);
  ASSERT_EQ(linearised->model.flat_size(), network->model.flat_size());
  // At the expansion point: the network's own output.
  const std::vector<double> f0 = logits_at(*network, likelihood, at), l0 = logits_at(*linearised, likelihood, at);
  for (size_t i = 0; i < f0.size(); ++i) EXPECT_NEAR(l0[i], f0[i], 1e-12) << i;
  // Along a direction d: f(w*) + t J d, with J d from central differences of the network.
  std::vector<double> d(at.size()), up(at.size()), down(at.size()), moved(at.size());
  for (size_t j = 0; j < at.size(); ++j) d[j] = std::sin(2.3 * static_cast<double>(j) + 0.4);
  const double eps = 1e-6, t = 0.3;
  for (size_t j = 0; j < at.size(); ++j) {
    up[j] = at[j] + eps * d[j];
    down[j] = at[j] - eps * d[j];
    moved[j] = at[j] + t * d[j];
  }
  const std::vector<double> fu = logits_at(*network, likelihood, up), fd = logits_at(*network, likelihood, down);
  const std::vector<double> lt = logits_at(*linearised, likelihood, moved), ft = logits_at(*network, likelihood, moved);
  double curved = 0;
  for (size_t i = 0; i < f0.size(); ++i) {
    const double jd = (fu[i] - fd[i]) / (2 * eps);
    EXPECT_NEAR(lt[i], f0[i] + t * jd, 1e-7 * (1 + std::fabs(lt[i]))) << activation << " " << i;
    curved = std::max(curved, std::fabs(ft[i] - lt[i]));
  }
  EXPECT_GT(curved, 1e-3) << "the network itself is not linear along d, so the check above could fail";
}

TEST(build_mlp, linearize_at_gives_the_first_order_expansion_in_the_weights) {
  expect_linearised_network_is_the_first_order_expansion(*make_likelihood("bernoulli"), "tanh");
  expect_linearised_network_is_the_first_order_expansion(*make_likelihood("categorical", {{"classes", 3}}), "relu");
  expect_linearised_network_is_the_first_order_expansion(*make_likelihood("normal"), "relu");
}

TEST(build_mlp, linearize_at_names_a_missing_or_misshapen_weight) {
  auto likelihood = make_likelihood("bernoulli");
  MlpOptions o{.hidden = {2}};
  o.linearize_at["w_in_1"] = Tensor(DType::f64, {3, 2});
  EXPECT_THROW_MSG(build(*likelihood, o), InvalidArgument, "no value for 'w_1_out'");
  o.linearize_at["w_1_out"] = Tensor(DType::f64, {3});
  EXPECT_THROW_MSG(build(*likelihood, o), ShapeError, "'w_1_out' the shape [3]");
  o.linearize_at["w_1_out"] = Tensor(DType::f64, {2});
  o.linearize_at["w_typo"] = Tensor(DType::f64, {2});
  EXPECT_THROW_MSG(build(*likelihood, o), InvalidArgument, "'w_typo', which is not a weight");
}

}  // namespace
}  // namespace elbo
