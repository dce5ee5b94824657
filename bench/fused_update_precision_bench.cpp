// What the float32 variational state saves on the fused step's update (issue #17): the
// engine's update (MeanFieldAdamStep::update: since 2026-12-07 mu, rho and Adam's moments in
// float, float arithmetic) against the same expressions written plainly
// (bench/reference/float_state_adam.hpp) with the state and the arithmetic in each
// precision, one thread, at the parameter counts of issue #17's networks:
//
//   <engine|reference>/update/<D>   one update of D weights (2D variational parameters);
//                                   the reference: float state, float arithmetic
//   double_state/update/<D>         state and arithmetic in double (the engine's update
//                                   until 2026-12-07)
//   float_math/update/<D>           the double state with float arithmetic (each value
//                                   rounded to float when read, widened when written)
//   double_math_float_state/update/<D>
//                                   double arithmetic on a float32 state
//                                   (each value widened when read, rounded when written)
//
// 3,466: 64-32-32-10 (digits); 89,610: 784-100-100-10; 478,410: 784-400-400-10.
// "engine speed" in the table at the end is reference time / engine time. Before timing, the
// engine's update and the reference's of the same draw and gradient are compared (relative
// 1e-5 of the largest new value: float rounding of the same expressions in another order;
// the binary stops with exit code 1 beyond it).
//
//   build/bench/fused_update_precision_bench --benchmark_repetitions=3 \
//       --benchmark_enable_random_interleaving=true --benchmark_min_time=0.3
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ratio_reporter.hpp"
#include "reference/float_state_adam.hpp"
#include "vi/mean_field_adam_step.hpp"

namespace elbo::bench {
namespace {

constexpr int64_t kSizes[] = {3466, 89610, 478410};
constexpr double kB1 = 0.9, kB2 = 0.999, kAdamEps = 1e-8, kRate = 0.01, kW = 1e-4;

const ParallelFor kOneThread = [](int64_t n, const std::function<void(int64_t, int64_t)>& f) { f(0, n); };

// One draw's inputs: mu ~ 0.1 N(0, 1), rho = -3 (sigma = softplus(-3) = 0.049), the gradient
// of log p ~ N(0, 1), Adam's moments after some steps.
struct Problem {
  int64_t d;
  std::vector<double> params, next, m, v;
  std::vector<float> params32, next32, m32, v32, g32, z32;
  explicit Problem(int64_t d_)
      : d(d_), params(2 * d_), next(2 * d_), m(2 * d_, 1e-3), v(2 * d_, 1e-4), g32(d_), z32(d_) {
    Philox(3).normal(params.data(), d, 0, 0);
    for (int64_t i = 0; i < d; ++i) params[i] *= 0.1;
    std::fill(params.begin() + d, params.end(), -3.0);
    Philox(4).normal(g32.data(), d, 0, 0);
    params32.assign(params.begin(), params.end());
    next32.assign(next.begin(), next.end());
    m32.assign(m.begin(), m.end());
    v32.assign(v.begin(), v.end());
  }
};

Optimizer::AdamSingleStep adam_step(std::vector<float>& m, std::vector<float>& v) {
  return {kB1, kB2, kAdamEps, kRate, m.data(), v.data()};
}

// The engine's step object after one draw of `p` (its noise and sigma's terms).
std::unique_ptr<MeanFieldAdamStep> drawn(Problem& p) {
  auto step = std::make_unique<MeanFieldAdamStep>(p.d, kOneThread, kOneThread);
  double logq = 0;
  if (!step->draw(p.params32, Philox(5), 1, 0, p.z32.data(), &logq)) {
    std::fprintf(stderr, "fused_update_precision_bench: the draw left the float kernel's range\n");
    std::exit(1);
  }
  return step;
}

// The reference's float inputs for the same draw: the same noise (the engine's Philox
// stream), sigma's terms from rho in float.
struct FloatProblem {
  std::vector<float> eps, inv, ds, mu, rho, next_mu, next_rho, m_mu, m_rho, v_mu, v_rho;
  explicit FloatProblem(const Problem& p)
      : eps(p.d), inv(p.d), ds(p.d), mu(p.d), rho(p.d), next_mu(p.d), next_rho(p.d), m_mu(p.d, 1e-3f),
        m_rho(p.d, 1e-3f), v_mu(p.d, 1e-4f), v_rho(p.d, 1e-4f) {
    Philox(5).normal(eps.data(), p.d, 1, 0);
    for (int64_t i = 0; i < p.d; ++i) {
      mu[i] = static_cast<float>(p.params[i]);
      rho[i] = static_cast<float>(p.params[p.d + i]);
      const float sigma = std::log1p(std::exp(rho[i]));
      inv[i] = 1.0f / sigma;
      ds[i] = 1.0f / (1.0f + std::exp(-rho[i]));
    }
  }
};

constexpr AdamConstants<float> kFloatConstants{static_cast<float>(kW), 1.0f, 1.0f, 0.0f, static_cast<float>(kB1),
                                             static_cast<float>(kB2), static_cast<float>(kRate),
                                             static_cast<float>(kAdamEps)};

void reference_update(FloatProblem& f, const float* g32, int64_t d) {
  adam_update<float, float>(kFloatConstants, d, f.eps.data(), g32, f.inv.data(), f.ds.data(), f.mu.data(),
                            f.rho.data(), f.m_mu.data(), f.m_rho.data(), f.v_mu.data(), f.v_rho.data(),
                            f.next_mu.data(), f.next_rho.data());
}

constexpr AdamConstants<double> kDoubleConstants{kW, 1.0, 1.0, 0.0, kB1, kB2, kRate, kAdamEps};

// The double state with arithmetic in A (adam_update<A, double>): float_math with A =
// float; double_state with A = double, the engine's update until 2026-12-07.
template <class A>
void on_double_state(benchmark::State& st, int64_t d, const AdamConstants<A>& c) {
  Problem p(d);
  FloatProblem f(p);
  for (auto _ : st) {
    adam_update<A, double>(c, d, f.eps.data(), p.g32.data(), f.inv.data(), f.ds.data(), p.params.data(),
                           p.params.data() + d, p.m.data(), p.m.data() + d, p.v.data(), p.v.data() + d,
                           p.next.data(), p.next.data() + d);
    std::swap(p.params, p.next);
  }
  st.SetItemsProcessed(st.iterations() * d);
}
void float_math(benchmark::State& st, int64_t d) { on_double_state(st, d, kFloatConstants); }
void double_state(benchmark::State& st, int64_t d) { on_double_state(st, d, kDoubleConstants); }

// Double arithmetic on a float32 state (adam_update<double, float>).
void double_math(benchmark::State& st, int64_t d) {
  Problem p(d);
  FloatProblem f(p);
  for (auto _ : st) {
    adam_update<double, float>(kDoubleConstants, d, f.eps.data(), p.g32.data(), f.inv.data(), f.ds.data(), f.mu.data(),
                               f.rho.data(), f.m_mu.data(), f.m_rho.data(), f.v_mu.data(), f.v_rho.data(),
                               f.next_mu.data(), f.next_rho.data());
    std::swap(f.mu, f.next_mu);
    std::swap(f.rho, f.next_rho);
  }
  st.SetItemsProcessed(st.iterations() * d);
}

void engine(benchmark::State& st, int64_t d) {
  Problem p(d);
  const std::unique_ptr<MeanFieldAdamStep> step = drawn(p);
  for (auto _ : st) {
    step->update(p.params32, p.g32.data(), kW, 1.0, 1.0, adam_step(p.m32, p.v32), p.next32.data());
    std::swap(p.params32, p.next32);  // as Inference swaps the new parameters in
  }
  st.SetItemsProcessed(st.iterations() * d);
}

void reference(benchmark::State& st, int64_t d) {
  Problem p(d);
  FloatProblem f(p);
  for (auto _ : st) {
    reference_update(f, p.g32.data(), d);
    std::swap(f.mu, f.next_mu);
    std::swap(f.rho, f.next_rho);
  }
  st.SetItemsProcessed(st.iterations() * d);
}

// One update of each from the same state: the new mu and rho agree to float rounding.
void check() {
  for (int64_t d : kSizes) {
    Problem p(d);
    const std::unique_ptr<MeanFieldAdamStep> step = drawn(p);
    FloatProblem f(p);
    step->update(p.params32, p.g32.data(), kW, 1.0, 1.0, adam_step(p.m32, p.v32), p.next32.data());
    reference_update(f, p.g32.data(), d);
    double largest = 0, diff = 0;
    for (int64_t i = 0; i < d; ++i) {
      const double mu = p.next32[i], rho = p.next32[d + i];
      largest = std::max({largest, std::abs(mu), std::abs(rho)});
      diff = std::max({diff, std::abs(mu - f.next_mu[i]), std::abs(rho - f.next_rho[i])});
    }
    std::printf("check D=%ld: max |engine - reference| of the new mu and rho %.3g (tolerance %.3g)\n",
                static_cast<long>(d), diff, 1e-5 * largest);
    if (!(diff <= 1e-5 * largest)) {
      std::fprintf(stderr, "fused_update_precision_bench: the two updates disagree at D=%ld\n", static_cast<long>(d));
      std::exit(1);
    }
  }
}

}  // namespace
}  // namespace elbo::bench

int main(int argc, char** argv) {
  for (int64_t d : elbo::bench::kSizes) {
    const std::string name = "update/" + std::to_string(d);
    benchmark::RegisterBenchmark(("engine/" + name).c_str(), [d](benchmark::State& st) { elbo::bench::engine(st, d); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("reference/" + name).c_str(),
                                 [d](benchmark::State& st) { elbo::bench::reference(st, d); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("double_state/" + name).c_str(),
                                 [d](benchmark::State& st) { elbo::bench::double_state(st, d); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("float_math/" + name).c_str(),
                                 [d](benchmark::State& st) { elbo::bench::float_math(st, d); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("double_math_float_state/" + name).c_str(),
                                 [d](benchmark::State& st) { elbo::bench::double_math(st, d); })
        ->Unit(benchmark::kMicrosecond);
  }
  return elbo::bench::bench_main(argc, argv, elbo::bench::check);
}
