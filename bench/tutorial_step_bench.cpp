// The tutorial's full-batch workload through the engine against hand-written code for
// this network alone, timed in the same run (docs/PERFORMANCE.md):
//   logp_grad/<dtype>/S:<S>  forward + gradient of the log-likelihood (500 rows, 40
//                            weights) for S weight draws: Program::set_flat_params,
//                            forward_backward, flat_gradient against TutorialNet;
//   logp_grad/<dtype>/S:1/rows:50  the same on the first 50 training rows: the network's
//                            share of a minibatch step;
//   advi_fit/<dtype>         elbo::ADVI::fit, 2000 steps per iteration (it/s = steps/s),
//                            against FusedAdvi.
// Before timing, the binary checks that both sides compute the same numbers and stops if
// they do not.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "elbo/graph/random.hpp"
#include "elbo/vi.hpp"
#include "ratio_reporter.hpp"
#include "reference/fused_advi.hpp"
#include "reference/tutorial_net.hpp"
#include "tutorial_problem.hpp"

namespace elbo::bench {
namespace {

constexpr int64_t kFitSteps = 2000;


// Log-likelihood and its gradient for S draws of the 40 weights, on the first `rows`
// training rows (all 500 by default).
template <class T>
struct LogpGrad {
  TutorialData data = tutorial_data(dtype_of<T>());
  int64_t rows;
  Tensor x = data.x_train.rows(0, rows), y = data.y_train.rows(0, rows);
  TutorialModel tm = tutorial_model(x, y);
  Program program{tm.model->graph(), {tm.model->datalogp()}, tm.model->flat_params()};
  TutorialNet<T> net;
  int64_t S, D = TutorialNet<T>::kDim;
  std::vector<T> theta, grad, ll;
  std::vector<double> seeds{1.0};

  explicit LogpGrad(int64_t samples, int64_t rows_used = 500) : rows(rows_used), S(samples) {
    if (program.flat_size() != D || program.flat_offset(1) != 10 || program.flat_offset(2) != 35) {
      std::fprintf(stderr, "the model's flat layout is not the reference's\n");
      std::exit(1);
    }
    program.set_samples(S);
    net.set_data(x.template data<T>(), y.template data<T>(), rows);
    theta.resize(static_cast<size_t>(S * D));
    Philox(7).normal(theta.data(), S * D, 0, 0);
    grad.resize(theta.size());
    ll.resize(static_cast<size_t>(S));
  }

  void engine() {
    program.set_flat_params(theta.data());
    program.forward_backward(seeds);
    program.flat_gradient(grad.data());
    benchmark::DoNotOptimize(program.output_values<T>(0).data());
  }
  void reference() {
    for (int64_t s = 0; s < S; ++s) ll[s] = net.logp_grad(theta.data() + s * D, grad.data() + s * D);
    benchmark::DoNotOptimize(ll.data());
  }

  std::string name() const {
    return std::string("logp_grad/") + dtype_tag<T>() + "/S:" + std::to_string(S) +
           (rows == 500 ? "" : "/rows:" + std::to_string(rows));
  }

  void check() {
    engine();
    std::vector<T> ge = grad;
    auto le = program.output_values<T>(0);
    reference();
    double dl = 0, dg = 0, sl = 1, sg = 1;
    for (int64_t s = 0; s < S; ++s) {
      dl = std::max(dl, std::abs(double(le[s]) - double(ll[s])));
      sl = std::max(sl, std::abs(double(ll[s])));
    }
    for (size_t i = 0; i < ge.size(); ++i) {
      dg = std::max(dg, std::abs(double(ge[i]) - double(grad[i])));
      sg = std::max(sg, std::abs(double(grad[i])));
    }
    std::string tag = name();
    check_close(tag + " log-likelihood", dl, rel_tolerance<T>() * sl);
    check_close(tag + " gradient", dg, rel_tolerance<T>() * sg);
  }
};

// The whole ADVI step: elbo::ADVI on the tutorial model (total_size = 500) and FusedAdvi.
template <class T>
struct AdviFit {
  TutorialData data = tutorial_data(dtype_of<T>());
  TutorialModel tm = tutorial_model(data.x_train, data.y_train, 500);
  TutorialNet<T> net;

  AdviFit() {
    net.set_data(data.x_train.template data<T>(), data.y_train.template data<T>(), data.x_train.shape()[0]);
  }
  std::unique_ptr<ADVI> engine_fit() const { return std::make_unique<ADVI>(*tm.model, InferenceOptions{.seed = 1}); }
  std::unique_ptr<FusedAdvi<T>> reference_fit() const {
    return std::make_unique<FusedAdvi<T>>(tm.model->initial_point().to_vector(), 1);
  }

  // The same loss history and the same variational parameters after 200 steps.
  void check() {
    constexpr int64_t n = 200;
    auto e = engine_fit();
    e->fit(n, {.progressbar = false});
    auto r = reference_fit();
    double dl = 0, dp = 0, sl = 1, sp = 1;
    for (int64_t i = 0; i < n; ++i) {
      double lr = r->step(net, 500);
      dl = std::max(dl, std::abs(e->hist()[i] - lr));
      sl = std::max(sl, std::abs(lr));
    }
    auto pe = e->approximation().params();
    for (size_t i = 0; i < pe.size(); ++i) {
      dp = std::max(dp, std::abs(pe[i] - r->params()[i]));
      sp = std::max(sp, std::abs(r->params()[i]));
    }
    const double tol = rel_tolerance<T>();
    std::string tag = std::string("advi_fit/") + dtype_tag<T>();
    check_close(tag + " loss history (200 steps)", dl, tol * sl);
    check_close(tag + " variational parameters", dp, tol * sp);
  }
};

template <class T>
void register_type() {
  for (auto [S, rows] : {std::pair<int64_t, int64_t>{1, 500}, {100, 500}, {1, 50}}) {
    auto c = std::make_shared<LogpGrad<T>>(S, rows);
    std::string work = c->name();
    benchmark::RegisterBenchmark(("engine/" + work).c_str(), [c](benchmark::State& st) {
      for (auto _ : st) c->engine();
      st.SetItemsProcessed(st.iterations() * c->S);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("reference/" + work).c_str(), [c](benchmark::State& st) {
      for (auto _ : st) c->reference();
      st.SetItemsProcessed(st.iterations() * c->S);
    })->Unit(benchmark::kMicrosecond);
  }
  auto a = std::make_shared<AdviFit<T>>();
  std::string work = std::string("advi_fit/") + dtype_tag<T>();
  benchmark::RegisterBenchmark(("engine/" + work).c_str(), [a](benchmark::State& st) {
    auto e = a->engine_fit();
    for (auto _ : st) e->fit(kFitSteps, {.progressbar = false});
    st.SetItemsProcessed(st.iterations() * kFitSteps);
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("reference/" + work).c_str(), [a](benchmark::State& st) {
    auto r = a->reference_fit();
    for (auto _ : st)
      for (int64_t i = 0; i < kFitSteps; ++i) benchmark::DoNotOptimize(r->step(a->net, 500));
    st.SetItemsProcessed(st.iterations() * kFitSteps);
  })->Unit(benchmark::kMillisecond);
}

template <class T>
void check_type() {
  for (auto [S, rows] : {std::pair<int64_t, int64_t>{1, 500}, {100, 500}, {1, 50}}) LogpGrad<T>(S, rows).check();
  AdviFit<T>().check();
}

}  // namespace
}  // namespace elbo::bench

int main(int argc, char** argv) {
  using namespace elbo::bench;
  register_type<float>();
  register_type<double>();
  return bench_main(argc, argv, [] {
    check_type<float>();
    check_type<double>();
  });
}
