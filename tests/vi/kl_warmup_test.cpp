// FitOptions::kl_warmup: over the first N steps the KL part's weight rises linearly to
// beta. A warmed-up fit is, step by step, the fit with those weights given by hand; the
// ramp counts the inference's steps, so a fit split over calls is the same fit; the
// objectives without a KL part refuse it.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "elbo/graph.hpp"
#include "elbo/model.hpp"
#include "elbo/vi.hpp"

namespace elbo {
namespace {

// A regression of y on 300 weights (one a row) in the given precision: float32 takes the
// fused mean-field step, float64 the general one.
struct Regression {
  Model m;
  explicit Regression(DType dtype) : m(dtype) {
    const int64_t n = 300;
    Expr w = m.normal("w", 0.0, 1.0, {n});
    m.normal_likelihood("y", w, 0.5, m.data("y_obs", Philox(3).normal(DType::f64, {n}, 0, 0)));
  }
};

std::vector<double> params_of(const ADVI& advi) {
  auto p = advi.approximation().params();
  return {p.begin(), p.end()};
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(kl_warmup, is_the_fit_with_the_rising_weights_given_step_by_step) {
  for (DType dtype : {DType::f32, DType::f64})
    for (double beta : {1.0, 0.5}) {
      const std::string what = std::string(dtype == DType::f32 ? "float32" : "float64") + " beta " +
                               std::to_string(beta);
      Regression r(dtype);
      ADVI warmed(r.m, {.seed = 4});
      warmed.fit(7, {.beta = beta, .kl_warmup = 4, .progressbar = false});
      ADVI by_hand(r.m, {.seed = 4});
      for (double weight : {0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0})
        by_hand.fit(1, {.beta = beta * weight, .progressbar = false});
      EXPECT_TRUE(same_bits(warmed.hist(), by_hand.hist())) << what;
      EXPECT_TRUE(same_bits(params_of(warmed), params_of(by_hand))) << what;
      // The first step's weight is beta / 4, not beta: the loss differs from the plain fit's.
      ADVI plain(r.m, {.seed = 4});
      plain.fit(1, {.beta = beta, .progressbar = false});
      EXPECT_NE(plain.hist()[0], warmed.hist()[0]) << what;
    }
}

TEST(kl_warmup, counts_the_inferences_steps_across_fit_calls) {
  Regression r(DType::f32);
  ADVI whole(r.m, {.seed = 4});
  whole.fit(9, {.kl_warmup = 6, .progressbar = false});
  ADVI split(r.m, {.seed = 4});
  for (int64_t n : {2, 3, 4}) split.fit(n, {.kl_warmup = 6, .progressbar = false});
  EXPECT_TRUE(same_bits(whole.hist(), split.hist()));
  EXPECT_TRUE(same_bits(params_of(whole), params_of(split)));
}

TEST(kl_warmup, is_refused_without_a_kl_part_and_below_zero) {
  Regression r(DType::f64);
  ADVI advi(r.m);
  auto message_of = [&](const FitOptions& o) {
    try {
      advi.fit(3, o);
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message_of({.objective = Objective::iwae(), .kl_warmup = 10, .progressbar = false}),
            "fit: argument 'kl_warmup' is 10, but the iwae objective has no KL part to warm up; it must be 0");
  EXPECT_EQ(message_of({.kl_warmup = -1, .progressbar = false}), "fit: argument 'kl_warmup' is -1, but must be >= 0");
}

}  // namespace
}  // namespace elbo
