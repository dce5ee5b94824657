// Snapshots of approximations, rebuilding them, and checking them against a model.
#include "elbo/io/saved_approximation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "elbo/graph/error.hpp"
#include "elbo/io/approximation_file.hpp"
#include "elbo/vi/empirical.hpp"
#include "elbo/vi/low_rank.hpp"
#include "elbo/vi/normalizing_flow.hpp"
#include "io/io_test_files.hpp"

namespace elbo {
namespace {

using io_test::thrown_message;

SavedApproximation saved_small(const std::string& source = "m.elbo") {
  Model m = io_test::small_model();
  auto q = io_test::small_mean_field(m);
  SavedApproximation s = to_saved_approximation(m, *q);
  s.source = source;
  return s;
}

std::string incompatibility(const SavedApproximation& s, const Model& m) {
  return thrown_message<InvalidArgument>([&] { check_compatible(s, m); });
}

TEST(saved_approximation, names_parameters_as_the_approximations_do) {
  MeanField mf(std::vector<double>(4, 0.0));
  FullRank fr(std::vector<double>(4, 0.0));
  for (int64_t i = 0; i < static_cast<int64_t>(mf.params().size()); ++i)
    EXPECT_EQ(approximation_param_name("meanfield", 4, i), mf.param_name(i));
  for (int64_t i = 0; i < static_cast<int64_t>(fr.params().size()); ++i)
    EXPECT_EQ(approximation_param_name("fullrank", 4, i), fr.param_name(i));
  EXPECT_EQ(approximation_param_count("meanfield", 4), 8);
  EXPECT_EQ(approximation_param_count("fullrank", 4), 14);
  EXPECT_EQ(approximation_param_count("flow", 4), -1);
  EXPECT_EQ(approximation_param_count("fullrank", int64_t{1} << 40), -1);
}

TEST(saved_approximation, snapshot_records_the_models_variables) {
  const SavedApproximation s = saved_small("");
  EXPECT_EQ(s.kind, "meanfield");
  EXPECT_EQ(s.dim, 7);
  ASSERT_EQ(s.variables.size(), 2u);
  EXPECT_EQ(s.variables[1], (SavedVariable{"sd", "sd_log__", {}, 6, "log"}));
}

TEST(saved_approximation, snapshot_refuses_a_mismatched_or_diverged_approximation) {
  Model m = io_test::small_model();
  FullRank wrong(std::vector<double>(2, 0.0));
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { to_saved_approximation(m, wrong); }),
            "to_saved_approximation: the approximation has dimension 2, but the model's flat size is 7");
  FullRank q(m.initial_point().to_vector());
  q.params()[7 + 27] = INFINITY;  // L[6,6], the row of sd
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { to_saved_approximation(m, q); }),
            "to_saved_approximation: parameter L[6,6] (of variable 'sd_log__') is inf, but must be finite");
}

TEST(saved_approximation, make_approximation_refuses_what_it_cannot_build) {
  SavedApproximation s = saved_small();
  s.kind = "flow";
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { make_approximation(s); }),
            "make_approximation: unknown approximation kind 'flow' (expected meanfield, fullrank, lowrank:RANK, flow:FORMULA, mixture:K:KIND, empirical:PARTICLES or kron:BLOCKS)");
  s.kind = "fullrank";
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { make_approximation(s); }),
            "make_approximation: there are 14 parameters, but a fullrank approximation of dimension 7 has 35");
}

TEST(saved_approximation, every_family_round_trips_through_a_file) {
  // Low-rank and flow families (graph expressions) are saved by their kind and parameters
  // and come back through the family registry: the same parameters, the same draws.
  Model m = io_test::small_model();
  const std::vector<double> mu = m.initial_point().to_vector();
  std::vector<std::unique_ptr<Approximation>> qs;
  qs.push_back(std::make_unique<LowRank>(mu, 3));
  qs.push_back(std::make_unique<NormalizingFlow>(mu, "scale-planar*2-radial-hh-iaf-loc"));
  qs.push_back(std::make_unique<Empirical>(mu, 5, 1.0, 3));
  for (auto& q : qs) {
    SCOPED_TRACE(q->kind());
    for (size_t i = 0; i < q->params().size(); ++i) q->params()[i] += 0.01 * static_cast<double>(i % 7);
    const SavedApproximation back = parse_approximation(serialize_approximation(to_saved_approximation(m, *q)), "m.elbo");
    EXPECT_EQ(back.kind, q->kind());
    auto r = make_approximation(back);
    ASSERT_EQ(r->params().size(), q->params().size());
    for (size_t i = 0; i < q->params().size(); ++i) EXPECT_EQ(r->params()[i], q->params()[i]);
    std::vector<double> eps(static_cast<size_t>(q->noise_dim()), 0.3), za(7), zb(7);
    q->sample_z(eps.data(), za.data(), 1);
    r->sample_z(eps.data(), zb.data(), 1);
    EXPECT_EQ(za, zb);
  }
  EXPECT_EQ(approximation_param_count("lowrank:3", 7), 7 * 5);
  EXPECT_EQ(approximation_param_count("flow:planar-loc", 7), 15 + 7);
  EXPECT_EQ(approximation_param_count("flow:iaf", 7), 4 * 49 + 4 * 7);
  EXPECT_EQ(approximation_param_name("flow:planar-loc", 7, 15), "loc1.loc[0]");
  // Sizes from a file never overflow (io parses untrusted files).
  const int64_t huge = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(approximation_param_count("lowrank:" + std::to_string(huge), huge), -1);
  EXPECT_EQ(approximation_param_count("lowrank:2", huge), -1);
  EXPECT_EQ(approximation_param_count("flow:planar*10000", huge / 4), -1);
  EXPECT_EQ(approximation_param_count("lowrank:x", 7), -1);
  EXPECT_EQ(approximation_param_count("flow:loc", 0), -1);
  EXPECT_THROW(approximation_param_name("flow:planar-loc", 7, -1), InvalidArgument);
  EXPECT_THROW(approximation_param_name("flow:planar-loc", 7, 22), InvalidArgument);
  EXPECT_THROW(approximation_param_name("lowrank:2", -3, 0), InvalidArgument);
}

TEST(saved_approximation, family_kinds_that_do_not_fit_are_named) {
  SavedApproximation s = saved_small();
  s.kind = "lowrank:9";
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { make_approximation(s); }),
            "make_approximation: the approximation kind 'lowrank:9' does not fit the dimension 7 (the rank must be "
            "at most the dimension)");
  s.kind = "flow:planar-lok";
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { make_approximation(s); }),
            "make_approximation: unknown approximation kind 'flow:planar-lok' (expected meanfield, fullrank, "
            "lowrank:RANK, flow:FORMULA, mixture:K:KIND, empirical:PARTICLES or kron:BLOCKS)");
  s.kind = "flow:loc";  // 7 parameters, the file has 14
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { make_approximation(s); }),
            "make_approximation: there are 14 parameters, but a flow:loc approximation of dimension 7 has 7");
}

TEST(saved_approximation, the_same_model_is_compatible) {
  Model m = io_test::small_model();
  EXPECT_NO_THROW(check_compatible(saved_small(), m));
  Model f32(DType::f32);  // the dtype may differ
  f32.normal("w", 0, 1, {2, 3});
  f32.half_normal("sd", 1);
  EXPECT_NO_THROW(check_compatible(saved_small(), f32));
}

TEST(saved_approximation, check_compatible_names_the_first_difference) {
  {
    Model m;
    m.normal("w", 0, 1, {3, 3});
    m.half_normal("sd", 1);
    EXPECT_EQ(incompatibility(saved_small(), m),
              "model file 'm.elbo' has variable 'w' of shape [2,3], but the model has shape [3,3]");
  }
  {
    Model m;
    m.normal("v", 0, 1, {2, 3});
    m.half_normal("sd", 1);
    EXPECT_EQ(incompatibility(saved_small(), m),
              "model file 'm.elbo' has variable 'w' at position 0, but the model has 'v' there");
  }
  {
    Model m;
    m.normal("w", 0, 1, {2, 3});
    m.half_normal("sd", 1, {}, FreeOptions{.transform = false});
    EXPECT_EQ(incompatibility(saved_small(), m),
              "model file 'm.elbo' has variable 'sd' with transform 'log', but the model's has no transform");
  }
  {
    Model m;
    m.normal("w", 0, 1, {2, 3});
    EXPECT_EQ(incompatibility(saved_small(), m), "model file 'm.elbo' has variable 'sd', which the model does not have");
  }
  {
    Model m = io_test::small_model();
    m.normal("extra", 0, 1);
    EXPECT_EQ(incompatibility(saved_small(), m), "the model has variable 'extra', which model file 'm.elbo' does not have");
  }
  Model m = io_test::small_model();
  SavedApproximation s = saved_small();
  s.variables[1].value_name = "sd_other__";
  EXPECT_EQ(incompatibility(s, m),
            "model file 'm.elbo' has variable 'sd' stored as 'sd_other__', but the model stores it as 'sd_log__'");
  s = saved_small();
  s.variables[1].offset = 5;
  EXPECT_EQ(incompatibility(s, m), "model file 'm.elbo' has variable 'sd' at offset 5, but the model has it at offset 6");
  s = saved_small("");
  s.dim = 8;
  EXPECT_EQ(incompatibility(s, m), "the saved approximation has dimension 8, but the model's flat size is 7");
}

}  // namespace
}  // namespace elbo
