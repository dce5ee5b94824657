// The cost of one fit step for each approximating family (issue #16's speed targets), on
// two networks, all in one run so that the ratios to mean-field compare like with like:
//   tutorial  the tutorial's 2-5-5-1 tanh network, no biases, 500 rows, 40 weights;
//   3k        a 20-128-1 tanh network with biases, 2000 rows of 20 features, 2817 weights
//             (the small end of the realistic sizes of docs/PERFORMANCE.md's scaling table).
// Both float32 with a Bernoulli likelihood, full batch, one draw per step, one thread.
// family_step/<family>/<network> runs Inference::fit for 200 steps per iteration; the
// rate is steps per second. Families: advi (MeanField's hand-derived fast path),
// advi_graph (the same family as graph expressions, graph_form), fullrank_advi (tutorial
// only: D(D+1)/2 parameters), lowrank_advi (rank 5), nfvi_scale_loc, nfvi_planar8
// (scale-planar*8-loc), svgd100 (SVGD with 100 particles; tutorial only, as fullrank).
// svgd_parts/tutorial: what an SVGD step cannot avoid, timed alone: the log density and
// its gradient at the 100 particles (one S = 100 program run) plus the n^2 kernel work
// (stein_direction); issue #16 asks an SVGD step for at most 1.5x of it.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "elbo/graph/random.hpp"
#include "elbo/model/logp_program.hpp"
#include "elbo/vi.hpp"
#include "tutorial_problem.hpp"

namespace elbo::bench {
namespace {

constexpr int64_t kSteps = 200;

std::unique_ptr<Model> network(const std::string& which) {
  if (which == "tutorial") {
    TutorialData d = tutorial_data(DType::f32);
    return tutorial_model(d.x_train, d.y_train, 500).model;
  }
  const int64_t rows = 2000, features = 20;
  Tensor x = Philox(3).normal(DType::f32, {rows, features}, 0, 0), y(DType::f32, {rows});
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t f = 0; f < features; ++f) s += x[r * features + f] * (f % 2 ? 1.0 : -0.5);
    y.set(r, s > 0 ? 1.0 : 0.0);
  }
  auto m = std::make_unique<Model>(DType::f32);
  Expr xe = m->data("x", x), ye = m->data("y", y);
  build_mlp(*m, xe, ye, {.hidden = {128}, .bias = true, .total_size = static_cast<double>(rows), .init_gain = 2});
  return m;
}

std::unique_ptr<Approximation> family(const std::string& name, const Model& m) {
  const std::vector<double> mu = m.initial_point().to_vector();
  if (name == "advi") return std::make_unique<MeanField>(mu, 0.1);
  if (name == "advi_graph") return graph_form(MeanField(mu, 0.1));
  if (name == "fullrank_advi") return std::make_unique<FullRank>(mu);
  if (name == "lowrank_advi") return std::make_unique<LowRank>(mu, 5, 0.1);
  if (name == "nfvi_scale_loc") return std::make_unique<NormalizingFlow>(mu, "scale-loc", 0.1);
  if (name == "nfvi_planar8") return std::make_unique<NormalizingFlow>(mu, "scale-planar*8-loc", 0.1);
  if (name == "svgd100") return std::make_unique<Empirical>(mu, 100, 0.1, 1);
  std::fprintf(stderr, "unknown family %s\n", name.c_str());
  std::exit(1);
}

void family_step(benchmark::State& state, const std::string& name, const std::string& net) {
  std::unique_ptr<Model> m = network(net);
  Inference inf(*m, family(name, *m), {.seed = 1, .optimizer = {.name = "adam", .learning_rate = 0.001}});
  FitOptions fo{.progressbar = false};
  if (name == "svgd100") fo.objective = Objective::ksd();
  inf.fit(kSteps, fo);  // warm: programs compiled, buffers sized
  for (auto _ : state) inf.fit(kSteps, fo);
  state.SetItemsProcessed(state.iterations() * kSteps);
  state.SetLabel(std::to_string(m->flat_size()) + " weights, " + inf.approximation().kind());
}

void svgd_parts(benchmark::State& state, const std::string& net) {
  std::unique_ptr<Model> m = network(net);
  const int64_t n = 100, D = m->flat_size();
  LogpProgram logp(*m);
  logp.set_samples(n);
  std::vector<float> z(static_cast<size_t>(n * D)), g(z.size());
  std::vector<double> x(z.size()), gd(z.size()), phi(z.size());
  Philox(1).normal(x.data(), n * D, 0, 0);
  const std::vector<double> mu = m->initial_point().to_vector();
  for (int64_t i = 0; i < n * D; ++i) z[i] = static_cast<float>(x[i] = mu[i % D] + 0.1 * x[i]);
  SteinScratch scratch;
  for (auto _ : state)
    for (int64_t k = 0; k < kSteps; ++k) {
      logp.run(z.data(), g.data(), 1.0);
      for (size_t i = 0; i < g.size(); ++i) gd[i] = g[i];
      stein_direction(x.data(), gd.data(), n, D, 1.0, phi.data(), scratch);
      benchmark::DoNotOptimize(phi.data());
    }
  state.SetItemsProcessed(state.iterations() * kSteps);
  state.SetLabel(std::to_string(D) + " weights, 100 particles: log p and gradient + kernel");
}

void register_all() {
  for (const std::string net : {"tutorial", "3k"})
    for (const std::string name :
         {"advi", "advi_graph", "fullrank_advi", "lowrank_advi", "nfvi_scale_loc", "nfvi_planar8", "svgd100"}) {
      // fullrank: D(D+1)/2 parameters; svgd: 100 log densities a step (minutes per run).
      if ((name == "fullrank_advi" || name == "svgd100") && net != "tutorial") continue;
      benchmark::RegisterBenchmark(("family_step/" + name + "/" + net).c_str(),
                                   [name, net](benchmark::State& s) { family_step(s, name, net); })
          ->Unit(benchmark::kMicrosecond);
    }
  benchmark::RegisterBenchmark("svgd_parts/tutorial", [](benchmark::State& s) { svgd_parts(s, "tutorial"); })
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace
}  // namespace elbo::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  elbo::bench::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
