// Normalizing flows: formulas, log-determinants against numerical Jacobians, gradients
// against finite differences, "scale-loc" against MeanField, and fits to a banana and to
// Neal's funnel against mean-field. Fixed seeds; tolerances at each check.
#include <gtest/gtest.h>

#include <cmath>

#include "elbo/graph.hpp"
#include "elbo/model.hpp"
#include "elbo/vi.hpp"
#include "family_checks.hpp"

namespace elbo {
namespace {

using testing::expect_close;
using testing::message_of;
using testing::normals;


TEST(flow_formula, parses_pymc_formulas_and_writes_them_back) {
  EXPECT_EQ(flow_formula(parse_flow_formula("scale-iaf*3-loc")), "scale-iaf*3-loc");
  auto l = parse_flow_formula("scale-planar*3-hh-householder-loc");
  ASSERT_EQ(l.size(), 7u);
  EXPECT_EQ(l[0], FlowLayer::scale);
  EXPECT_EQ(l[3], FlowLayer::planar);
  EXPECT_EQ(l[4], FlowLayer::householder);
  EXPECT_EQ(l[5], FlowLayer::householder);
  EXPECT_EQ(flow_formula(l), "scale-planar*3-hh*2-loc");
  EXPECT_EQ(flow_formula(parse_flow_formula("radial")), "radial");
}

TEST(flow_formula, bad_formulas_are_named) {
  EXPECT_EQ(message_of([] { parse_flow_formula("scale-plnar"); }),
            "flow formula 'scale-plnar': unknown layer 'plnar' (part 2); choose planar, radial, hh, loc, scale, iaf");
  EXPECT_EQ(message_of([] { parse_flow_formula("planar*0"); }),
            "flow formula 'planar*0': the repeat count '0' of 'planar*0' (part 1) must be a whole number from 1 to 10000");
  EXPECT_EQ(message_of([] { parse_flow_formula("planar*x"); }),
            "flow formula 'planar*x': the repeat count 'x' of 'planar*x' (part 1) must be a whole number from 1 to 10000");
  EXPECT_EQ(message_of([] { parse_flow_formula("loc--scale"); }),
            "flow formula 'loc--scale': an empty layer (part 2); layers are joined by a single '-'");
  EXPECT_EQ(message_of([] { parse_flow_formula(""); }),
            "flow formula '': it is empty; write layers joined by '-', e.g. scale-planar*8-loc");
  EXPECT_THROW(parse_flow_formula("loc-"), InvalidArgument);
  // Formulas come from model files too: at most 10,000 layers in all.
  EXPECT_EQ(message_of([] { parse_flow_formula("hh*10000-loc"); }),
            "flow formula 'hh*10000-loc': more than 10000 layers in all");
}

TEST(normalizing_flow, scale_loc_is_mean_field) {
  // PyMC's default flow is mean-field: same parameters, same draws, densities and gradients
  // at every cost_part_grad_scale (its layers have closed-form inverses).
  auto mu = normals(5, 21), rho = normals(5, 22, 0.5);
  NormalizingFlow flow(mu, "scale-loc");
  EXPECT_EQ(flow.kind(), "flow:scale-loc");
  EXPECT_TRUE(flow.separates_score_part());
  MeanField mf(mu);
  for (int i = 0; i < 5; ++i) flow.params()[i] = mf.params()[5 + i] = rho[i];  // scale0.rho, then loc1.loc = mu
  for (int i = 0; i < 5; ++i) EXPECT_EQ(flow.params()[5 + i], mu[i]);  // the last loc starts at the initial point
  // Reorder: the flow's params are [rho, mu], MeanField's [mu, rho]; compare via a copy.
  auto z_and_logq = [](const Approximation& q, const std::vector<double>& eps, std::vector<double>& z, double& lq) {
    z.resize(q.dim());
    q.sample(eps.data(), z.data(), &lq, 1);
  };
  auto eps = normals(5, 23);
  std::vector<double> zf, zm;
  double lf, lm;
  z_and_logq(flow, eps, zf, lf);
  z_and_logq(mf, eps, zm, lm);
  for (int i = 0; i < 5; ++i) expect_close(zf[i], zm[i], 1e-12, "z");
  expect_close(lf, lm, 1e-12, "logq");
  auto dz = normals(5, 24);
  double dlogq = 0.7;
  for (double scale : {1.0, 0.0, 0.4}) {
    std::vector<double> gf(10), gm(10);
    flow.backward(eps.data(), dz.data(), &dlogq, 1, scale, gf.data());
    mf.backward(eps.data(), dz.data(), &dlogq, 1, scale, gm.data());
    for (int i = 0; i < 5; ++i) {
      expect_close(gf[i], gm[5 + i], 1e-12, "d/drho " + std::to_string(i));
      expect_close(gf[5 + i], gm[i], 1e-12, "d/dmu " + std::to_string(i));
    }
  }
}

// A flow whose layers are all away from their identity start.
NormalizingFlow perturbed(const std::string& formula, int64_t D, uint64_t seed) {
  NormalizingFlow q(normals(D, seed), formula);
  auto r = normals(static_cast<int64_t>(q.params().size()), seed + 1, 0.3);
  for (size_t i = 0; i < r.size(); ++i) q.params()[i] += r[i];
  return q;
}

TEST(normalizing_flow, log_q_is_the_base_density_over_the_numerical_jacobian) {
  // log q(z) = log N(eps) - log |det dz/deps|, the Jacobian by central differences
  // (h = 1e-5: error ~1e-10 per entry); 1e-6 on log q.
  const int64_t D = 3;
  for (const std::string formula : {"planar*2", "radial*2", "hh-scale", "scale-planar-radial-hh-loc", "iaf*2-loc"}) {
    SCOPED_TRACE(formula);
    NormalizingFlow q = perturbed(formula, D, 31);
    auto eps = normals(D, 32);
    std::vector<double> z(D);
    double lq;
    q.sample(eps.data(), z.data(), &lq, 1);
    double J[3][3];
    for (int j = 0; j < D; ++j) {
      auto ep = eps, em = eps;
      ep[j] += 1e-5;
      em[j] -= 1e-5;
      std::vector<double> zp(D), zm(D);
      q.sample_z(ep.data(), zp.data(), 1);
      q.sample_z(em.data(), zm.data(), 1);
      for (int i = 0; i < D; ++i) J[i][j] = (zp[i] - zm[i]) / 2e-5;
    }
    const double det = J[0][0] * (J[1][1] * J[2][2] - J[1][2] * J[2][1]) -
                       J[0][1] * (J[1][0] * J[2][2] - J[1][2] * J[2][0]) +
                       J[0][2] * (J[1][0] * J[2][1] - J[1][1] * J[2][0]);
    double base = 0;
    for (double e : eps) base += -0.5 * e * e - 0.91893853320467274178;
    EXPECT_NEAR(lq, base - std::log(std::abs(det)), 1e-6);
  }
}

TEST(normalizing_flow, gradients_match_finite_differences) {
  // At scale 1 (family_checks.hpp states the tolerance). The split at other scales is
  // tested by scale_loc_is_mean_field and in graph_family_test.cpp.
  for (const std::string formula : {"scale-planar*2-radial-hh-loc", "radial-planar", "iaf*2-scale"}) {
    SCOPED_TRACE(formula);
    testing::expect_backward_matches_finite_differences(perturbed(formula, 3, 41), 2, 42);
  }
}

TEST(normalizing_flow, flows_without_an_inverse_accept_only_cost_part_grad_scale_one) {
  Model m;
  m.normal("x", 0.0, 1.0, {2});
  NFVI nfvi(m, {.flow = "planar-loc"});
  EXPECT_FALSE(nfvi.approximation().separates_score_part());
  EXPECT_EQ(message_of([&] { nfvi.fit(10, {.cost_part_grad_scale = 0, .progressbar = false}); }),
            "fit: argument 'cost_part_grad_scale' is 0, but the flow:planar-loc approximation's log q cannot be "
            "evaluated at a given draw (a flow layer has no closed-form inverse), so it must be 1");
  EXPECT_NO_THROW(nfvi.fit(10, {.progressbar = false}));
  EXPECT_EQ(message_of([&] { NFVI bad(m, {.flow = "scale-locc"}); }),
            "flow formula 'scale-locc': unknown layer 'locc' (part 2); choose planar, radial, hh, loc, scale, iaf");
}

// KL(q || p) for a normalised target p: -E_q[log p - log q], from 20000 draws of the
// approximation check (its standard error here is below 0.01).
double kl_of(const Model& m, const Approximation& q) {
  return -check_approximation(m, q, {.draws = 20000, .seed = 5}).elbo;
}

// Both fits: adam at 0.01 for 6000 steps with 8 draws a step, the same seed; the flow is
// scale-planar*8-loc (PyMC's NFVI formula syntax).
struct FlowAgainstMeanField {
  double flow_kl, mean_field_kl;
};
FlowAgainstMeanField fit_both(const Model& m) {
  InferenceOptions o{.seed = 7, .optimizer = {.name = "adam", .learning_rate = 0.01}};
  ADVI mf(m, o);
  mf.fit(6000, {.obj_n_mc = 8, .progressbar = false});
  o.flow = "scale-planar*8-loc";
  NFVI flow(m, o);
  flow.fit(6000, {.obj_n_mc = 8, .progressbar = false});
  return {kl_of(m, flow.approximation()), kl_of(m, mf.approximation())};
}

TEST(normalizing_flow, fits_a_banana_better_than_mean_field) {
  // x ~ N(0, 1), y ~ N(x^2, 0.5): curved, so no Gaussian fits it. Measured with these
  // seeds: KL 0.58 nats for mean-field, 0.08 for the flow. "Clearly below" is asserted as
  // at most 30 % of mean-field's and at least 0.2 nats less.
  Model m;
  Expr x = m.normal("x", 0.0, 1.0);
  m.normal("y", square(x), 0.5);
  auto r = fit_both(m);
  EXPECT_LT(r.flow_kl, 0.3 * r.mean_field_kl) << "flow " << r.flow_kl << ", mean-field " << r.mean_field_kl;
  EXPECT_LT(r.flow_kl, r.mean_field_kl - 0.2);
}

TEST(normalizing_flow, fits_neals_funnel_better_than_mean_field) {
  // v ~ N(0, 1.5), x ~ N(0, exp(v / 2)): the scale of x depends on v. Measured: KL 0.38
  // for mean-field, 0.04 for the flow; the same margins as the banana.
  Model m;
  Expr v = m.normal("v", 0.0, 1.5);
  m.normal("x", 0.0, exp(v / 2.0));
  auto r = fit_both(m);
  EXPECT_LT(r.flow_kl, 0.3 * r.mean_field_kl) << "flow " << r.flow_kl << ", mean-field " << r.mean_field_kl;
  EXPECT_LT(r.flow_kl, r.mean_field_kl - 0.2);
}

}  // namespace
}  // namespace elbo
