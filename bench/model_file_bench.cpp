// Saving and loading a one-million-parameter approximation (issue: "saves and loads in
// under a second"): a MeanField over D = 500,000 has 1,000,000 variational parameters.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <vector>

#include "elbo/io.hpp"
#include "elbo/model.hpp"
#include "elbo/vi.hpp"

namespace {

struct Fixture {
  elbo::Model m;
  std::unique_ptr<elbo::MeanField> q;
  std::string path = (std::filesystem::temp_directory_path() / "elbo_model_file_bench.elbo").string();
  Fixture() {
    m.normal("w", 0, 1, {500000});
    std::vector<double> mu(500000);
    for (size_t i = 0; i < mu.size(); ++i) mu[i] = 1e-3 * static_cast<double>(i % 997);
    q = std::make_unique<elbo::MeanField>(mu, 0.5);
  }
  ~Fixture() { std::remove(path.c_str()); }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void save_1m_params(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) elbo::save_approximation(f.path, f.m, *f.q);
  state.SetLabel(std::to_string(f.q->params().size()) + " params, fsync'd atomic write");
}
BENCHMARK(save_1m_params)->Unit(benchmark::kMillisecond)->UseRealTime();

void load_1m_params(benchmark::State& state) {
  Fixture& f = fixture();
  elbo::save_approximation(f.path, f.m, *f.q);
  for (auto _ : state) {
    elbo::SavedApproximation s = elbo::load_approximation(f.path);
    auto q = elbo::make_approximation(s);
    benchmark::DoNotOptimize(q->params().data());
  }
  state.SetLabel("load, checksum, rebuild the MeanField");
}
BENCHMARK(load_1m_params)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
