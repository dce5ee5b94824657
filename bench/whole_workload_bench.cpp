// The tutorial's workloads end to end, each as one call a user makes, through the engine
// against hand-written code for this network alone, timed in the same run
// (docs/PERFORMANCE.md, "Whole workloads"):
//   advi_30000/<dtype>            full-batch ADVI, 30,000 steps on the 500 training rows
//                                 (total_size 500): a new elbo::ADVI and fit(30000), against
//                                 a new FusedAdvi and 30,000 FusedAdvi::step calls;
//   minibatch_advi_40000/<dtype>  minibatch ADVI, 40,000 steps on batches of 50 rows drawn
//                                 with replacement: the same, on the tutorial's minibatch
//                                 model, against FusedAdvi on the rows ArrayMinibatch draws;
//   sample_5000/<dtype>           5000 draws from the fitted MeanField:
//                                 elbo::Posterior(model, q).sample(5000), against a loop that
//                                 does the same work (below);
//   sample_5000_weights/<dtype>   the same on a model that holds only the three weight
//                                 priors, so the trace holds only the weights.
// One iteration is one whole workload (->Iterations(1)); run with --benchmark_repetitions
// for the best of several. The clock covers what the user's call costs: the engine's
// ADVI constructor (it compiles the program) and the reference's set-up are inside it.
//
// What Posterior::sample does, and so what the reference does too (src/predict/posterior.cpp):
// eps [5000, 40] from Philox (seed 0, the trace stream, counter 0); z = mu + softplus(rho) eps
// in double, kept as the trace's unconstrained draws [5000, 40] (f64); every free variable
// in the model's dtype ([5000, 2, 5], [5000, 5, 5], [5000, 5]; the N(0, 1) priors have no
// transform); and every deterministic: build_mlp registers p = sigmoid(logits) on the
// model's current data, the 500 training rows, so the trace holds p [5000, 500], one forward
// pass of the network per draw. The reference computes p with TutorialNet::predict.
//
// Fairness: both sides draw eps from the same Philox streams and compute the same numbers;
// before timing, the binary checks that (loss histories over 200 steps, the final
// variational parameters, and every array of the 5000-draw trace) and stops if they differ.
// The timed fits also report the mean of their last 1000 losses (counter loss_last1000), so
// both 30,000-step runs can be seen to end at the same loss.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "elbo/graph/random.hpp"
#include "elbo/predict.hpp"
#include "elbo/vi.hpp"
#include "ratio_reporter.hpp"
#include "reference/fused_advi.hpp"
#include "reference/tutorial_net.hpp"
#include "tutorial_problem.hpp"

namespace elbo::bench {
namespace {

constexpr int64_t kFullSteps = 30000, kMinibatchSteps = 40000, kBatch = 50, kDraws = 5000;
constexpr uint64_t kTraceStream = 0x7472;  // Posterior::sample's Philox stream ("tr")


double mean_of_last(const std::vector<double>& h, size_t n) {
  double s = 0;
  size_t k = 0;
  for (size_t i = h.size() > n ? h.size() - n : 0; i < h.size(); ++i) s += h[i], ++k;
  return k ? s / static_cast<double>(k) : NAN;
}

// Stops the binary unless the engine's fit and the reference's computed the same loss
// history and variational parameters (r: a reference with `hist` and `advi`).
template <class T, class R>
void check_same_fit(const std::string& tag, const ADVI& e, const R& r) {
  double dl = 0, dp = 0, sl = 1, sp = 1;
  for (size_t i = 0; i < r.hist.size(); ++i) {
    dl = std::max(dl, std::abs(e.hist()[i] - r.hist[i]));
    sl = std::max(sl, std::abs(r.hist[i]));
  }
  auto pe = e.approximation().params();
  for (size_t i = 0; i < pe.size(); ++i) {
    dp = std::max(dp, std::abs(pe[i] - r.advi.params()[i]));
    sp = std::max(sp, std::abs(r.advi.params()[i]));
  }
  check_close(tag + " loss history (" + std::to_string(r.hist.size()) + " steps)", dl, rel_tolerance<T>() * sl);
  check_close(tag + " variational parameters", dp, rel_tolerance<T>() * sp);
}

// (a) Full-batch ADVI on the 500 training rows.
template <class T>
struct FullBatch {
  TutorialData data = tutorial_data(dtype_of<T>());
  TutorialModel tm = tutorial_model(data.x_train, data.y_train, 500);

  std::unique_ptr<ADVI> engine_fit() const { return std::make_unique<ADVI>(*tm.model, InferenceOptions{.seed = 1}); }
  struct Reference {
    TutorialNet<T> net;
    FusedAdvi<T> advi;
    std::vector<double> hist;
  };
  std::unique_ptr<Reference> reference_fit(int64_t steps) const {
    auto r = std::make_unique<Reference>(Reference{{}, FusedAdvi<T>(tm.model->initial_point().to_vector(), 1), {}});
    r->net.set_data(data.x_train.template data<T>(), data.y_train.template data<T>(), data.x_train.shape()[0]);
    r->hist.reserve(static_cast<size_t>(steps));
    return r;
  }
  // The whole workload on each side; both keep the loss history, as ADVI::fit does.
  std::unique_ptr<ADVI> engine(int64_t steps) const {
    auto e = engine_fit();
    e->fit(steps, {.progressbar = false});
    return e;
  }
  std::unique_ptr<Reference> reference(int64_t steps) const {
    auto r = reference_fit(steps);
    for (int64_t i = 0; i < steps; ++i) r->hist.push_back(r->advi.step(r->net, 500));
    return r;
  }

  void check() const { check_same_fit<T>(std::string("advi_30000/") + dtype_tag<T>(), *engine(200), *reference(200)); }
};

// (b) Minibatch ADVI: batches of 50 of the 500 rows, drawn with replacement.
template <class T>
struct Minibatch {
  TutorialData data = tutorial_data(dtype_of<T>());
  TutorialModel tm = tutorial_minibatch_model(data.x_train, data.y_train, kBatch, 0);

  struct Reference {
    TutorialNet<T> net;
    FusedAdvi<T> advi;
    ArrayMinibatch batches;
    std::vector<double> hist;
  };
  std::unique_ptr<ADVI> engine(int64_t steps) const {
    auto e = std::make_unique<ADVI>(*tm.model, InferenceOptions{.seed = 1});
    e->fit(steps, {.progressbar = false});
    return e;
  }
  // The same public ArrayMinibatch draws the rows (Philox words per step), so both sides
  // see the same batches and do the same row-drawing work (as minibatch_step_bench.cpp).
  std::unique_ptr<Reference> reference(int64_t steps) const {
    auto r = std::make_unique<Reference>(Reference{
        {},
        FusedAdvi<T>(tm.model->initial_point().to_vector(), 1),
        ArrayMinibatch({data.x_train, data.y_train}, {tm.net.x, tm.net.y}, {.batch_size = kBatch, .seed = 0}),
        {}});
    r->hist.reserve(static_cast<size_t>(steps));
    const T* x = data.x_train.template data<T>();
    const T* y = data.y_train.template data<T>();
    for (int64_t i = 0; i < steps; ++i) {
      auto rows = r->batches.rows_of_step(r->advi.steps());
      r->net.set_data_rows(x, y, rows.data(), kBatch);
      r->hist.push_back(r->advi.step(r->net, 500));
    }
    return r;
  }

  void check() const {
    check_same_fit<T>(std::string("minibatch_advi_40000/") + dtype_tag<T>(), *engine(200), *reference(200));
  }
};

// (c) 5000 draws from the MeanField that full-batch ADVI fitted in 30,000 steps.
template <class T>
struct Sampling {
  static constexpr int64_t D = TutorialNet<T>::kDim;
  TutorialData data = tutorial_data(dtype_of<T>());
  TutorialModel tm = tutorial_model(data.x_train, data.y_train, 500);
  MeanField q = fitted();
  // The same three weights without the likelihood and the deterministic p.
  std::unique_ptr<Model> weights_only = make_weights_only();

  MeanField fitted() const {
    ADVI advi(*tm.model, InferenceOptions{.seed = 1});
    advi.fit(kFullSteps, {.progressbar = false});
    return dynamic_cast<const MeanField&>(advi.approximation());
  }
  std::unique_ptr<Model> make_weights_only() const {
    auto m = std::make_unique<Model>(dtype_of<T>());
    for (const auto& v : tm.model->free_variables()) m->normal(v.name, 0.0, 1.0, v.shape);
    return m;
  }

  // The trace's arrays, in the layout Posterior::sample gives them.
  struct Draws {
    Tensor theta;               // unconstrained [draws, D], f64
    std::vector<Tensor> value;  // w_in_1 [draws, 2, 5], w_1_2 [draws, 5, 5], w_2_out [draws, 5]; then p [draws, 500]
  };

  Trace engine(bool with_p) const { return Posterior(with_p ? *tm.model : *weights_only, q).sample(kDraws); }

  // By hand: the same eps, z in double, the weights in T, and (with_p) p on the 500
  // training rows with TutorialNet::predict, one forward pass per draw.
  Draws reference(bool with_p) const {
    const int64_t n = data.x_train.shape()[0];
    Draws r{Tensor(DType::f64, {kDraws, D}), {}};
    std::vector<double> eps(static_cast<size_t>(kDraws * D));
    Philox(0).normal(eps.data(), kDraws * D, kTraceStream, 0);
    auto p = q.params();
    double sigma[D];
    for (int64_t i = 0; i < D; ++i) sigma[i] = std::max(p[D + i], 0.0) + std::log1p(std::exp(-std::abs(p[D + i])));
    double* z = r.theta.template data<double>();
    for (int64_t d = 0; d < kDraws; ++d)
      for (int64_t i = 0; i < D; ++i) z[d * D + i] = p[i] + sigma[i] * eps[d * D + i];
    const DType dt = dtype_of<T>();
    // Weights: w_in_1 = z[0..10), w_1_2 = z[10..35), w_2_out = z[35..40), as T.
    const int64_t offset[4] = {0, 10, 35, 40};
    const Shape shape[3] = {{kDraws, 2, 5}, {kDraws, 5, 5}, {kDraws, 5}};
    for (int v = 0; v < 3; ++v) {
      Tensor w(dt, shape[v]);
      T* out = w.template data<T>();
      const int64_t size = offset[v + 1] - offset[v];
      for (int64_t d = 0; d < kDraws; ++d)
        for (int64_t k = 0; k < size; ++k) out[d * size + k] = static_cast<T>(z[d * D + offset[v] + k]);
      r.value.push_back(std::move(w));
    }
    if (with_p) {
      TutorialNet<T> net;
      net.set_data(data.x_train.template data<T>(), data.y_train.template data<T>(), n);
      Tensor prob(dt, {kDraws, n});
      T* out = prob.template data<T>();
      T zt[D];
      for (int64_t d = 0; d < kDraws; ++d) {
        for (int64_t i = 0; i < D; ++i) zt[i] = static_cast<T>(z[d * D + i]);
        net.predict(zt, out + d * n);
      }
      r.value.push_back(std::move(prob));
    }
    return r;
  }

  void check(bool with_p) const {
    const std::string tag = std::string(with_p ? "sample_5000/" : "sample_5000_weights/") + dtype_tag<T>();
    const Trace t = engine(with_p);
    const Draws r = reference(with_p);
    const Model& m = with_p ? *tm.model : *weights_only;
    const size_t expected = m.free_variables().size() + m.deterministics().size();
    if (t.names().size() != expected || r.value.size() != expected) {
      std::fprintf(stderr, "FAILED: %s: the trace holds %zu arrays, the reference %zu\n", tag.c_str(),
                   t.names().size(), r.value.size());
      std::exit(1);
    }
    auto max_diff = [](const Tensor& a, const Tensor& b) -> double {
      if (a.shape() != b.shape() || a.dtype() != b.dtype()) return HUGE_VAL;
      double d = 0;
      for (int64_t i = 0; i < a.numel(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
      return d;
    };
    // z and the weights: the same double arithmetic on both sides, up to softplus's last bit.
    check_close(tag + " unconstrained draws", max_diff(t.unconstrained(), r.theta), 1e-12);
    double dw = 0;
    for (int v = 0; v < 3; ++v) dw = std::max(dw, max_diff(t[t.names()[v]], r.value[v]));
    check_close(tag + " weights", dw, rel_tolerance<T>());
    if (with_p) check_close(tag + " p (probabilities)", max_diff(t["p"], r.value[3]), rel_tolerance<T>());
  }
};

// One fixture per workload and dtype, shared by the agreement checks and the benchmarks
// (the sampling fixture fits 30,000 steps once).
template <class T>
struct Fixtures {
  std::shared_ptr<FullBatch<T>> full = std::make_shared<FullBatch<T>>();
  std::shared_ptr<Minibatch<T>> mb = std::make_shared<Minibatch<T>>();
  std::shared_ptr<Sampling<T>> smp = std::make_shared<Sampling<T>>();
};

template <class T>
void register_type(const Fixtures<T>& f) {
  const std::string tag = dtype_tag<T>();
  // One whole fit per iteration; `fit` returns the mean of its last 1000 losses.
  auto fit_benchmark = [&](const std::string& name, int64_t steps, auto fit) {
    benchmark::RegisterBenchmark(name.c_str(), [steps, fit](benchmark::State& st) {
      double loss = NAN;
      for (auto _ : st) loss = fit(steps);
      st.SetItemsProcessed(st.iterations() * steps);
      st.counters["loss_last1000"] = loss;
    })->Unit(benchmark::kMillisecond)->Iterations(1);
  };
  auto full = f.full;
  auto mb = f.mb;
  fit_benchmark("engine/advi_30000/" + tag, kFullSteps, [full](int64_t n) { return mean_of_last(full->engine(n)->hist(), 1000); });
  fit_benchmark("reference/advi_30000/" + tag, kFullSteps, [full](int64_t n) { return mean_of_last(full->reference(n)->hist, 1000); });
  fit_benchmark("engine/minibatch_advi_40000/" + tag, kMinibatchSteps,
                [mb](int64_t n) { return mean_of_last(mb->engine(n)->hist(), 1000); });
  fit_benchmark("reference/minibatch_advi_40000/" + tag, kMinibatchSteps,
                [mb](int64_t n) { return mean_of_last(mb->reference(n)->hist, 1000); });

  auto smp = f.smp;
  for (bool with_p : {true, false}) {
    const std::string work = std::string(with_p ? "sample_5000/" : "sample_5000_weights/") + tag;
    // One call takes milliseconds (f64 with p: about half a second, scalar std::tanh).
    const int64_t iters = with_p && !std::is_same_v<T, float> ? 3 : 20;
    benchmark::RegisterBenchmark(("engine/" + work).c_str(), [smp, with_p](benchmark::State& st) {
      for (auto _ : st) benchmark::DoNotOptimize(smp->engine(with_p));
      st.SetItemsProcessed(st.iterations() * kDraws);
    })->Unit(benchmark::kMillisecond)->Iterations(iters);
    benchmark::RegisterBenchmark(("reference/" + work).c_str(), [smp, with_p](benchmark::State& st) {
      for (auto _ : st) benchmark::DoNotOptimize(smp->reference(with_p));
      st.SetItemsProcessed(st.iterations() * kDraws);
    })->Unit(benchmark::kMillisecond)->Iterations(iters);
  }
}

template <class T>
void check_type(const Fixtures<T>& f) {
  f.full->check();
  f.mb->check();
  f.smp->check(true);
  f.smp->check(false);
}

}  // namespace
}  // namespace elbo::bench

int main(int argc, char** argv) {
  using namespace elbo::bench;
  Fixtures<float> f32;
  Fixtures<double> f64;
  register_type(f32);
  register_type(f64);
  return bench_main(argc, argv, [&] {
    check_type(f32);
    check_type(f64);
  });
}
