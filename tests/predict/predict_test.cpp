// Traces, the posterior predictive and compiled predictors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "elbo/data.hpp"
#include "elbo/graph.hpp"
#include "elbo/bnn/mlp.hpp"
#include "elbo/model.hpp"
#include "elbo/predict.hpp"
#include "elbo/vi.hpp"

namespace elbo {
namespace {

TEST(trace, mean_field_draws_have_the_right_mean_and_sd) {
  // 20000 draws: the sample mean's sd is sigma/141, the sample sd's ~sigma/200; 5 standard
  // errors are the tolerances.
  Model m;
  m.normal("a", 0, 1);
  m.half_normal("s", 1);
  double mu[2] = {1.5, std::log(2.0)}, sd[2] = {0.5, 0.1};
  MeanField q(mu, sd);
  Trace t = Posterior(m, q).sample(20000, 3);
  ASSERT_EQ(t.draws(), 20000);
  auto rows = t.summary();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].name, "a");
  EXPECT_NEAR(rows[0].mean, 1.5, 5 * 0.5 / std::sqrt(20000.0));
  EXPECT_NEAR(rows[0].sd, 0.5, 5 * 0.5 / std::sqrt(40000.0));
  // s is log-normal in constrained space: mean exp(mu + sd^2/2).
  EXPECT_NEAR(rows[1].mean, 2.0 * std::exp(0.005), 0.01);
  // hdi_3%..hdi_97% of N(1.5, 0.5) is 1.5 -+ 1.881 * 0.5.
  EXPECT_NEAR(rows[0].hdi_low, 1.5 - 1.881 * 0.5, 0.03);
  EXPECT_NEAR(rows[0].hdi_high, 1.5 + 1.881 * 0.5, 0.03);
  EXPECT_NE(t.summary_table().find("hdi_3%"), std::string::npos);
  EXPECT_NE(t.summary_table().find("hdi_97%"), std::string::npos);
  EXPECT_EQ(t.summary_csv().substr(0, 34), "name,mean,sd,hdi_3%,hdi_97%\n\"a\",1.");
}

TEST(trace, records_deterministics_and_exports_csv_and_npy) {
  Model m;
  Expr w = m.normal("w", 0, 1, {2});
  m.deterministic("total", sum(w));
  double mu[2] = {1, 2}, sd[2] = {0.1, 0.1};
  MeanField q(mu, sd);
  Trace t = Posterior(m, q).sample(10, 1);
  const Tensor& w_draws = t["w"];
  const Tensor& tot = t["total"];
  for (int d = 0; d < 10; ++d) EXPECT_NEAR(tot[d], w_draws[2 * d] + w_draws[2 * d + 1], 1e-12);
  auto dir = std::filesystem::temp_directory_path() / "elbo_trace_test";
  std::filesystem::create_directories(dir);
  t.to_csv((dir / "trace.csv").string());
  std::ifstream in(dir / "trace.csv");
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "\"w[0]\",\"w[1]\",\"total\"");
  t.to_npy(dir.string());
  Tensor back = data::read_npy((dir / "w.npy").string());
  EXPECT_EQ(back.shape(), (Shape{10, 2}));
  EXPECT_EQ(back.to_vector(), w_draws.to_vector());
  EXPECT_THROW(t["nope"], InvalidArgument);
}

TEST(posterior_predictive, matches_the_analytic_predictive_of_a_conjugate_model) {
  // q = N(2, 0.3^2) as the posterior of mu, y_new ~ N(mu, 1): predictive N(2, 1 + 0.09).
  // 20000 draws; tolerances are 5 standard errors.
  Model m;
  Expr mu = m.normal("mu", 0, 10);
  Expr y = m.data("y", Tensor(DType::f64, {3}, {1, 2, 3}));
  m.normal_likelihood("obs", mu, 1.0, y);
  double mean[1] = {2.0}, sd[1] = {0.3};
  MeanField q(mean, sd);
  Posterior post(m, q);
  Trace t = post.sample(20000, 5);
  auto ppc = post.sample_posterior_predictive(t, {{y, Tensor(DType::f64, {1}, {0})}}, 6);
  const Tensor& draws = ppc.at("obs");
  ASSERT_EQ(draws.shape(), (Shape{20000, 1}));
  double s = 0, s2 = 0;
  for (int64_t i = 0; i < 20000; ++i) s += draws[i], s2 += draws[i] * draws[i];
  double mu_hat = s / 20000, var_hat = s2 / 20000 - mu_hat * mu_hat;
  EXPECT_NEAR(mu_hat, 2.0, 5 * std::sqrt(1.09 / 20000));
  EXPECT_NEAR(var_hat, 1.09, 5 * 1.09 * std::sqrt(2.0 / 20000));
}

struct SmallNet {
  Model m{DType::f32};
  Expr x, y;
  Mlp net;
  SmallNet() {
    auto moons = data::make_moons({.n_samples = 200, .noise = 0.2, .seed = 1});
    x = m.data("x", moons.x);
    y = m.data("y", moons.y);
    net = build_mlp(m, x, y, {.init_seed = 2});
  }
};

TEST(predictor, works_at_replaced_data_with_a_different_row_count) {
  SmallNet s;
  ADVI advi(s.m, {.seed = 1});
  advi.fit(200, {.progressbar = false});
  Posterior post(advi);
  Predictor pred = post.predictor(s.net.output, {s.x});
  Tensor grid(DType::f64, {7, 2});
  for (int i = 0; i < 14; ++i) grid.set(i, 0.3 * i - 2);
  Tensor p = pred({grid}, 50);
  ASSERT_EQ(p.shape(), (Shape{50, 7}));
  for (int64_t i = 0; i < p.numel(); ++i) EXPECT_TRUE(p[i] > 0 && p[i] < 1);
  Tensor p2 = pred({Tensor(DType::f64, {3, 2})}, 10);
  EXPECT_EQ(p2.shape(), (Shape{10, 3}));
  // The model's own data is untouched.
  EXPECT_EQ(s.x.shape(), (Shape{200, 2}));
}

TEST(predictor, mean_mode_equals_the_network_at_mu) {
  SmallNet s;
  ADVI advi(s.m, {.seed = 1});
  advi.fit(100, {.progressbar = false});
  Predictor pred = Posterior(advi).predictor(s.net.output, {s.x});
  Tensor X(DType::f64, {4, 2}, {0.1, 0.2, -1, 0.5, 1.5, -0.3, 0, 0});
  Tensor pm = pred.mean({X});
  ASSERT_EQ(pm.shape(), (Shape{4}));
  // Evaluate by hand: sigmoid(tanh(tanh(X W1) W2) w3) at the means.
  auto mu = advi.approximation().mean();
  const auto& fv = s.m.free_variables();
  auto W = [&](const std::string& n, int64_t r, int64_t c, int64_t cols) {
    for (const auto& v : fv)
      if (v.name == n) return mu[v.offset + r * cols + c];
    return std::nan("");
  };
  for (int r = 0; r < 4; ++r) {
    double h1[5], h2[5], o = 0;
    for (int j = 0; j < 5; ++j) h1[j] = std::tanh(X[2 * r] * W("w_in_1", 0, j, 5) + X[2 * r + 1] * W("w_in_1", 1, j, 5));
    for (int j = 0; j < 5; ++j) {
      double a = 0;
      for (int k = 0; k < 5; ++k) a += h1[k] * W("w_1_2", k, j, 5);
      h2[j] = std::tanh(a);
    }
    for (int k = 0; k < 5; ++k) o += h2[k] * W("w_2_out", k, 0, 1);
    EXPECT_NEAR(pm[r], 1 / (1 + std::exp(-o)), 1e-5);  // float32 model
  }
}

TEST(predictor, draws_differ_between_calls_but_are_reproducible_from_the_seed) {
  SmallNet s;
  ADVI advi(s.m, {.seed = 1});
  Predictor a = Posterior(advi).predictor(s.net.output, {s.x}, {.seed = 4});
  Predictor b = Posterior(advi).predictor(s.net.output, {s.x}, {.seed = 4});
  Tensor X(DType::f64, {2, 2}, {0.1, 0.2, -1, 0.5});
  Tensor a1 = a({X}, 5), a2 = a({X}, 5), b1 = b({X}, 5);
  EXPECT_EQ(a1.to_vector(), b1.to_vector());
  EXPECT_NE(a1.to_vector(), a2.to_vector());
}

TEST(predictor, first_draw_makes_a_slice_of_one_larger_call) {
  // Draws 3 .. 6 of a 10-draw call, and the same for a second call (counter 1): groups of
  // draws made with bounded memory are the draws of one call, bitwise.
  SmallNet s;
  ADVI advi(s.m, {.seed = 1});
  advi.fit(50, {.progressbar = false});
  Tensor X(DType::f64, {3, 2}, {0.1, 0.2, -1, 0.5, 1.5, -0.3});
  Predictor whole = Posterior(advi).predictor(s.net.output, {s.x}, {.seed = 8});
  Predictor part = Posterior(advi).predictor(s.net.output, {s.x}, {.seed = 8, .first_draw = 3});
  for (int call = 0; call < 2; ++call) {
    const std::vector<double> w = whole({X}, 10).to_vector(), p = part({X}, 4).to_vector();
    ASSERT_EQ(p.size(), 12u);
    EXPECT_EQ(p, std::vector<double>(w.begin() + 9, w.begin() + 21)) << "call " << call;
  }
  EXPECT_THROW(Posterior(advi).predictor(s.net.output, {s.x}, {.first_draw = -1}), InvalidArgument);
}

}  // namespace
}  // namespace elbo
