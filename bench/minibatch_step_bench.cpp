// The tutorial's minibatch ADVI (batches of 50 of the 500 training rows, drawn with
// replacement, total_size = 500) through elbo::ADVI against FusedAdvi on the same rows,
// timed in the same run: 2000 steps per iteration (it/s = steps/s). The binary first checks
// that both compute the same loss history.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "elbo/vi.hpp"
#include "ratio_reporter.hpp"
#include "reference/fused_advi.hpp"
#include "reference/tutorial_net.hpp"
#include "tutorial_problem.hpp"

namespace elbo::bench {
namespace {

constexpr int64_t kFitSteps = 2000, kBatch = 50;

template <class T>
struct MinibatchFit {
  TutorialData data = tutorial_data(dtype_of<T>());
  TutorialModel tm = tutorial_minibatch_model(data.x_train, data.y_train, kBatch, 0);
  TutorialNet<T> net;

  std::unique_ptr<ADVI> engine_fit() const { return std::make_unique<ADVI>(*tm.model, InferenceOptions{.seed = 1}); }

  // The reference draws its rows with the same public ArrayMinibatch (Philox words per
  // step), so both sides see the same batches and do the same row-drawing work.
  struct Reference {
    FusedAdvi<T> advi;
    ArrayMinibatch batches;
  };
  std::unique_ptr<Reference> reference_fit() const {
    return std::make_unique<Reference>(Reference{
        FusedAdvi<T>(tm.model->initial_point().to_vector(), 1),
        ArrayMinibatch({data.x_train, data.y_train}, {tm.net.x, tm.net.y}, {.batch_size = kBatch, .seed = 0})});
  }
  double reference_step(Reference& r) {
    auto rows = r.batches.rows_of_step(r.advi.steps());
    net.set_data_rows(data.x_train.template data<T>(), data.y_train.template data<T>(), rows.data(), kBatch);
    return r.advi.step(net, 500);
  }

  void check() {
    constexpr int64_t n = 200;
    auto e = engine_fit();
    e->fit(n, {.progressbar = false});
    auto r = reference_fit();
    double dl = 0, sl = 1;
    for (int64_t i = 0; i < n; ++i) {
      double lr = reference_step(*r);
      dl = std::max(dl, std::abs(e->hist()[i] - lr));
      sl = std::max(sl, std::abs(lr));
    }
    double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    check_close(std::string("minibatch_advi_fit/") + (std::is_same_v<T, float> ? "f32" : "f64") +
                    " loss history (200 steps)",
                dl, tol * sl);
  }
};

template <class T>
void register_type() {
  auto a = std::make_shared<MinibatchFit<T>>();
  std::string work = std::string("minibatch_advi_fit/") + (std::is_same_v<T, float> ? "f32" : "f64");
  benchmark::RegisterBenchmark(("engine/" + work).c_str(), [a](benchmark::State& st) {
    auto e = a->engine_fit();
    for (auto _ : st) e->fit(kFitSteps, {.progressbar = false});
    st.SetItemsProcessed(st.iterations() * kFitSteps);
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("reference/" + work).c_str(), [a](benchmark::State& st) {
    auto r = a->reference_fit();
    for (auto _ : st)
      for (int64_t i = 0; i < kFitSteps; ++i) benchmark::DoNotOptimize(a->reference_step(*r));
    st.SetItemsProcessed(st.iterations() * kFitSteps);
  })->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace elbo::bench

int main(int argc, char** argv) {
  using namespace elbo::bench;
  register_type<float>();
  register_type<double>();
  return bench_main(argc, argv, [] {
    MinibatchFit<float>().check();
    MinibatchFit<double>().check();
  });
}
