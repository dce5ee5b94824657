// Posterior predictive probabilities of the tutorial network on the 500 test rows for 500
// draws of q (the tutorial's sample_node over 500 draws), timed in the same run:
//   engine/predict_500x500/<dtype>     Predictor::run: one program batched over the draws;
//   reference/predict_500x500/<dtype>  a hand-written loop: eps, z, TutorialNet::predict
//                                      per draw;
//   naive/predict_per_draw/<dtype>     the slow path: Predictor::run with one draw, 500
//                                      times (one forward per draw).
// q is the initial mean-field approximation (the cost does not depend on its values). The
// binary first checks that engine and reference give the same probabilities.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "elbo/graph/random.hpp"
#include "elbo/predict.hpp"
#include "elbo/vi.hpp"
#include "ratio_reporter.hpp"
#include "reference/tutorial_net.hpp"
#include "tutorial_problem.hpp"

namespace elbo::bench {
namespace {

constexpr int64_t kDraws = 500;
constexpr uint64_t kPredictStream = 0x707265;  // Predictor's Philox stream

template <class T>
struct Predict {
  static constexpr int64_t D = TutorialNet<T>::kDim;
  TutorialData data = tutorial_data(dtype_of<T>());
  TutorialModel tm = tutorial_model(data.x_train, data.y_train, 500);
  MeanField q{tm.model->initial_point().to_vector()};
  const Tensor* test[1] = {&data.x_test};

  std::unique_ptr<Predictor> engine() const {
    return std::make_unique<Predictor>(*tm.model, q, tm.net.output, std::vector<Expr>{tm.net.x});
  }

  // The hand-written loop, with the same inputs as Predictor::run: new data each call
  // (made feature-major), fresh Philox draws, z = mu + softplus(rho) eps in double.
  struct Reference {
    TutorialNet<T> net;
    std::vector<double> eps = std::vector<double>(static_cast<size_t>(kDraws * D));
    std::vector<T> out;
    uint64_t calls = 0;
  };
  void reference(Reference& r) const {
    const int64_t n = data.x_test.shape()[0];
    r.net.set_data(data.x_test.template data<T>(), data.y_test.template data<T>(), n);
    r.out.resize(static_cast<size_t>(kDraws * n));
    Philox(0).normal(r.eps.data(), kDraws * D, kPredictStream, r.calls++);
    auto p = q.params();
    double sigma[D];
    for (int64_t i = 0; i < D; ++i) sigma[i] = std::max(p[D + i], 0.0) + std::log1p(std::exp(-std::abs(p[D + i])));
    T z[D];
    for (int64_t d = 0; d < kDraws; ++d) {
      for (int64_t i = 0; i < D; ++i) z[i] = static_cast<T>(p[i] + sigma[i] * r.eps[d * D + i]);
      r.net.predict(z, r.out.data() + d * n);
    }
  }

  void check() {
    auto e = engine();
    e->run(test, kDraws);
    Reference r;
    reference(r);
    auto v = e->template values<T>();
    double diff = 0;
    for (size_t i = 0; i < r.out.size(); ++i) diff = std::max(diff, std::abs(double(v[i]) - double(r.out[i])));
    check_close(std::string("predict_500x500/") + (std::is_same_v<T, float> ? "f32" : "f64") + " probabilities", diff,
                std::is_same_v<T, float> ? 1e-5 : 1e-12);
  }
};

template <class T>
void register_type() {
  auto c = std::make_shared<Predict<T>>();
  const std::string tag = std::is_same_v<T, float> ? "f32" : "f64";
  benchmark::RegisterBenchmark(("engine/predict_500x500/" + tag).c_str(), [c](benchmark::State& st) {
    auto e = c->engine();
    for (auto _ : st) e->run(c->test, kDraws);
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("reference/predict_500x500/" + tag).c_str(), [c](benchmark::State& st) {
    typename Predict<T>::Reference r;
    for (auto _ : st) c->reference(r);
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("naive/predict_per_draw/" + tag).c_str(), [c](benchmark::State& st) {
    auto e = c->engine();
    for (auto _ : st)
      for (int64_t d = 0; d < kDraws; ++d) e->run(c->test, 1);
  })->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace elbo::bench

int main(int argc, char** argv) {
  using namespace elbo::bench;
  register_type<float>();
  register_type<double>();
  return bench_main(argc, argv, [] {
    Predict<float>().check();
    Predict<double>().check();
  });
}
