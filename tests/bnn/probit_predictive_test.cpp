// probit_predictive (elbo/bnn/probit_predictive.hpp): its scaled logits are
// f(x, mu) / sqrt(1 + pi v / 8) with v the variance of the linearised network's logits,
// checked against many draws of that network (build_mlp's linearize_at), for a binary and
// a 3-class network; and a likelihood that is not of class labels is refused.
#include "elbo/bnn/probit_predictive.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "support/expect_throw_msg.hpp"
#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/vi/full_rank.hpp"
#include "elbo/vi/mean_field.hpp"

namespace elbo {
namespace {

struct Network {
  Model model{DType::f64};
  Mlp net;
};

const Tensor kX(DType::f64, {5, 2}, {0.3, -1.1, 1.4, 0.2, -0.7, 0.9, 0.0, 0.0, 2.1, -1.5});

std::unique_ptr<Network> build(const Likelihood& likelihood, const MlpOptions& o) {
  auto n = std::make_unique<Network>();
  n->net = build_mlp(n->model, n->model.data("x", kX), n->model.data("y", Tensor(DType::f64, {5})), o, likelihood);
  return n;
}

void expect_probit_of_the_linearised_draws(const Likelihood& likelihood, const Approximation& q, const MlpOptions& o) {
  auto plain = build(likelihood, o);
  const PredictiveDraws probit = probit_predictive(plain->model, plain->net, o, likelihood, q, kX);
  ASSERT_EQ(probit.draws, 1);
  // The linearised network at q's mean, and 40,000 of its draws: its logits are exactly
  // normal, so their sample mean and variance estimate f(x, mu) and v.
  MlpOptions linear = o;
  const std::vector<double> mu = q.mean();
  for (const FreeVariable& v : plain->model.free_variables())
    linear.linearize_at[v.name] = Tensor(DType::f64, v.shape, std::span<const double>(mu).subspan(v.offset, v.size));
  auto lin = build(likelihood, linear);
  const int64_t S = 40000, K = likelihood.outputs();
  const PredictiveDraws d = draw_predictive(lin->model, q, lin->net, likelihood, kX, S, 7);
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t k = 0; k < K; ++k) {
      double sum = 0, sum2 = 0;
      for (int64_t s = 0; s < S; ++s) {
        sum += d.at(s, r, k);
        sum2 += d.at(s, r, k) * d.at(s, r, k);
      }
      const double mean = sum / S, var = sum2 / S - mean * mean;
      // The mean within 4 of its standard errors; the variance's relative standard error
      // is sqrt(2 / S) = 0.7 %, which moves the scaled value by less than 0.4 %: 2 % allowed.
      const double f = probit.at(0, r, k) * std::sqrt(1 + std::numbers::pi * var / 8);
      EXPECT_NEAR(f, mean, 4 * std::sqrt(var / S) + 0.02 * std::fabs(mean)) << likelihood.name() << " " << r << "," << k;
      EXPECT_NEAR(probit.at(0, r, k), mean / std::sqrt(1 + std::numbers::pi * var / 8),
                  4 * std::sqrt(var / S) + 0.02 * std::fabs(probit.at(0, r, k)))
          << likelihood.name() << " " << r << "," << k;
      EXPECT_GT(var, 0.05);  // the check above means something
    }
}

TEST(probit_predictive, scales_the_linearised_mean_by_its_variance_binary_mean_field) {
  auto likelihood = make_likelihood("bernoulli");
  const MlpOptions o{.hidden = {4, 3}, .activation = "tanh", .bias = true, .init_seed = 2};
  auto n = build(*likelihood, o);
  const std::vector<double> mu = n->model.initial_point().to_vector();
  std::vector<double> sd(mu.size());
  for (size_t i = 0; i < sd.size(); ++i) sd[i] = 0.2 + 0.02 * static_cast<double>(i % 7);
  expect_probit_of_the_linearised_draws(*likelihood, MeanField(mu, sd), o);
}

TEST(probit_predictive, scales_the_linearised_mean_by_its_variance_three_classes_full_rank) {
  auto likelihood = make_likelihood("categorical", {{"classes", 3}});
  const MlpOptions o{.hidden = {4}, .activation = "relu", .bias = true, .init_seed = 4};
  auto n = build(*likelihood, o);
  const std::vector<double> mu = n->model.initial_point().to_vector();
  FullRank q(mu);
  const int64_t D = static_cast<int64_t>(mu.size());
  for (int64_t i = 0; i < D; ++i)
    for (int64_t k = 0; k <= i; ++k) q.set_cholesky(i, k, i == k ? 0.3 : 0.04 * std::sin(1.0 + i + 2.0 * k));
  expect_probit_of_the_linearised_draws(*likelihood, q, o);
}

TEST(probit_predictive, refuses_a_likelihood_that_is_not_of_class_labels) {
  auto likelihood = make_likelihood("normal");
  const MlpOptions o{.hidden = {3}};
  auto n = build(*likelihood, o);
  const MeanField q(n->model.initial_point().to_vector());
  EXPECT_THROW_MSG(probit_predictive(n->model, n->net, o, *likelihood, q, kX), InvalidArgument, "for class labels");
}

}  // namespace
}  // namespace elbo
