// PyMC3's "Variational Inference: Bayesian Neural Networks" (Wiecki & Kochurov, 2017),
// in C++ with elbo. Each section names the tutorial's cell it mirrors; read the two side by
// side (docs/tutorial.md walks through it).
#include "demo_tutorial.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <tuple>

#include <elbo/elbo.hpp>

namespace elbo::cli::tutorial {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<double> column(const Tensor& x, int64_t c) {
  int64_t rows = x.dim(0), cols = x.dim(1);
  std::vector<double> v(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) v[r] = x[r * cols + c];
  return v;
}

double variance_of_last(const std::vector<double>& h, size_t n) {
  size_t start = h.size() > n ? h.size() - n : 0;
  double s = 0, s2 = 0, k = 0;
  for (size_t i = start; i < h.size(); ++i) s += h[i], s2 += h[i] * h[i], ++k;
  double m = s / k;
  return s2 / k - m * m;
}

// The tutorial's construct_nn: 2 -> 5 -> 5 -> 1, tanh, no biases, N(0, 1) priors, weights'
// means starting at standard-normal draws (testval=init_*), a Bernoulli likelihood with
// total_size for minibatches.
struct Network {
  Expr x, y, p;
};
Network construct_nn(Model& m, Expr x, Expr y, int64_t total_size, uint64_t seed) {
  Philox rng(seed);
  Tensor init_1 = rng.normal(DType::f64, {2, 5}, 0, 0);
  Tensor init_2 = rng.normal(DType::f64, {5, 5}, 1, 0);
  Tensor init_out = rng.normal(DType::f64, {5}, 2, 0);
  Expr w_in_1 = m.normal("w_in_1", 0, 1, {2, 5}, {.initial = init_1});
  Expr w_1_2 = m.normal("w_1_2", 0, 1, {5, 5}, {.initial = init_2});
  Expr w_2_out = m.normal("w_2_out", 0, 1, {5}, {.initial = init_out});
  Expr act_1 = tanh(matmul(x, w_in_1));
  Expr act_2 = tanh(matmul(act_1, w_1_2));
  Expr act_out = m.deterministic("p", sigmoid(matmul(act_2, w_2_out)));
  m.bernoulli("out", act_out, y, {.total_size = static_cast<double>(total_size)});  // IMPORTANT for minibatches
  return {x, y, act_out};
}

// Predicted class: posterior predictive mean probability > 0.5, over `draws` draws.
std::vector<double> predict_labels(Predictor& predict, const Tensor& x, int64_t draws, std::vector<double>* mean,
                                   std::vector<double>* sd) {
  Tensor probs = predict({x}, draws);  // [draws, rows]
  int64_t rows = x.dim(0);
  std::vector<double> labels(static_cast<size_t>(rows));
  if (mean) mean->assign(static_cast<size_t>(rows), 0.0);
  if (sd) sd->assign(static_cast<size_t>(rows), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0, s2 = 0;
    for (int64_t d = 0; d < draws; ++d) {
      double v = probs[d * rows + r];
      s += v;
      s2 += v * v;
    }
    double mu = s / static_cast<double>(draws);
    labels[r] = mu > 0.5 ? 1.0 : 0.0;
    if (mean) (*mean)[r] = mu;
    if (sd) (*sd)[r] = std::sqrt(std::max(0.0, s2 / static_cast<double>(draws) - mu * mu));
  }
  return labels;
}

std::string percent(double fraction) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * fraction);
  return buf;
}

double accuracy(const std::vector<double>& pred, const Tensor& y) {
  int64_t ok = 0;
  for (int64_t r = 0; r < y.numel(); ++r) ok += pred[r] == (y[r] > 0.5 ? 1.0 : 0.0);
  return static_cast<double>(ok) / static_cast<double>(y.numel());
}

// Draws a figure, or counts it as skipped when gnuplot is missing.
template <class F>
void figure(TutorialResult& r, const std::string& what, F draw) {
  try {
    draw();
    ++r.figures_written;
    std::printf("  wrote %s.png and .svg\n", what.c_str());
  } catch (const plot::GnuplotMissing&) {
    ++r.figures_skipped;
    std::printf("  skipped %s (gnuplot is not installed)\n", what.c_str());
  }
}

}  // namespace

TutorialResult run(const TutorialOptions& o) {
  TutorialResult result;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // interleave with the progress lines on stderr
  const bool quick = o.quick;
  const int64_t steps_1 = quick ? 2000 : 20000, steps_2 = quick ? 1000 : 10000, steps_no_s = quick ? 3000 : 30000;
  const int64_t steps_mb = quick ? 4000 : 40000, draws = quick ? 500 : 5000, grid_n = quick ? 50 : 100;
  std::filesystem::create_directories(o.out_dir);
  auto out = [&](const std::string& stem) { return (std::filesystem::path(o.out_dir) / stem).string(); };
  std::printf("elbo %s: PyMC3's \"Variational Inference: Bayesian Neural Networks\"%s\n", "demo",
              quick ? " (quick)" : "");

  // --- Generating data (In [2]) -----------------------------------------------------------
  auto moons = data::make_moons({.n_samples = 1000, .noise = 0.2, .seed = o.seed, .dtype = DType::f32});
  moons = data::standardize(moons);
  // Named variables, not a structured binding: lambdas below capture them (clang before 16
  // cannot capture a structured binding).
  const auto halves = data::train_test_split(moons, {.test_size = 0.5, .seed = o.seed});
  const data::Dataset& train = halves.first;
  const data::Dataset& test = halves.second;
  std::printf("\n[data] make_moons: %ld points, noise 0.2, standardised; %ld train / %ld test\n",
              static_cast<long>(moons.rows()), static_cast<long>(train.rows()), static_cast<long>(test.rows()));
  figure(result, out("data"), [&] {  // In [3]
    plot::scatter_classes(out("data"), column(moons.x, 0), column(moons.x, 1), moons.y.to_vector(),
                          {.title = "Toy binary classification data set", .xlabel = "X", .ylabel = "Y"});
  });

  // --- Model specification (In [4]) --------------------------------------------------------
  Model nn(DType::f32);
  Expr ann_input = nn.data("ann_input", train.x);    // theano.shared(X_train)
  Expr ann_output = nn.data("ann_output", train.y);  // theano.shared(Y_train)
  Network net = construct_nn(nn, ann_input, ann_output, train.rows(), o.seed + 2);
  std::printf("[model] 2 -> 5 -> 5 -> 1 tanh network, no biases, N(0, 1) priors: %ld weights\n",
              static_cast<long>(nn.flat_size()));

  // --- ADVI with cost_part_grad_scale (In [6]) -------------------------------------------
  std::printf("\n[advi] cost_part_grad_scale = 1 for %ld steps, then 0 for %ld\n", static_cast<long>(steps_1),
              static_cast<long>(steps_2));
  ADVI inference(nn, {.seed = o.seed + 2, .threads = o.threads});
  auto t0 = Clock::now();
  inference.fit(steps_1, {.cost_part_grad_scale = 1});
  result.steps_per_second = static_cast<double>(steps_1) / seconds_since(t0);
  inference.fit(steps_2, {.cost_part_grad_scale = 0});  // same optimizer state, same history

  // --- ADVI without grad scaling (In [8]) ---------------------------------------------------
  std::printf("\n[advi] no scaling, %ld steps\n", static_cast<long>(steps_no_s));
  ADVI inference_no_s(nn, {.seed = o.seed + 3, .threads = o.threads});
  inference_no_s.fit(steps_no_s);

  // --- ELBO history and its variance at the end (In [11], In [12]) ---------------------------
  size_t last = quick ? 500 : 5000;
  result.var_last_scaled = variance_of_last(inference.hist(), last);
  result.var_last_unscaled = variance_of_last(inference_no_s.hist(), last);
  std::printf("\n[loss] variance of the last %zu losses: %.3f with cost_part_grad_scale, %.3f without\n", last,
              result.var_last_scaled, result.var_last_unscaled);
  figure(result, out("loss_histories"), [&] {
    std::vector<double> a(inference.hist().begin(), inference.hist().end());
    std::vector<double> b(inference_no_s.hist().begin(), inference_no_s.hist().end());
    for (double& v : a) v = -v;
    for (double& v : b) v = -v;
    plot::line_series(out("loss_histories"), {{"new ADVI", a}, {"new ADVI no scaling", b}},
                      {.title = "ELBO during optimisation", .ylabel = "ELBO"});
  });

  // --- Sampling the approximation (In [10]) ---------------------------------------------------
  Posterior posterior(inference);
  t0 = Clock::now();
  Trace trace = posterior.sample(draws, o.seed + 4);
  std::printf("\n[sample] %ld draws from the approximation in %.3f s\n", static_cast<long>(draws),
              seconds_since(t0));
  std::printf("%s", trace.summary_table(0.94, {"w_2_out"}).c_str());

  // --- Prediction, slow and fast (In [13] - In [16]) ------------------------------------------
  const int64_t pred_draws = 500;
  t0 = Clock::now();
  Trace ppc_trace = posterior.sample(pred_draws, o.seed + 5);
  auto ppc = posterior.sample_posterior_predictive(ppc_trace, {{ann_input, test.x}, {ann_output, test.y}}, o.seed + 6);
  std::vector<double> slow_pred(static_cast<size_t>(test.rows()));
  for (int64_t r = 0; r < test.rows(); ++r) {
    double s = 0;
    for (int64_t d = 0; d < pred_draws; ++d) s += ppc.at("out")[d * test.rows() + r];
    slow_pred[r] = s / pred_draws > 0.5 ? 1.0 : 0.0;
  }
  result.slow_seconds = seconds_since(t0);
  Predictor sample_proba = posterior.predictor(net.p, {ann_input}, {.threads = o.threads, .seed = o.seed + 7});
  sample_proba({test.x}, pred_draws);  // the first call at a size allocates; time the steady state
  t0 = Clock::now();
  std::vector<double> pred = predict_labels(sample_proba, test.x, pred_draws, nullptr, nullptr);
  result.fast_seconds = seconds_since(t0);
  std::printf("\n[predict] %ld draws on the test half: per-draw posterior predictive %.4f s, compiled predictor "
              "%.4f s (%.0fx)\n",
              static_cast<long>(pred_draws), result.slow_seconds, result.fast_seconds,
              result.slow_seconds / result.fast_seconds);
  result.accuracy = accuracy(pred, test.y);
  std::printf("[predict] Accuracy = %.1f%% (per-draw path: %.1f%%)\n", 100 * result.accuracy,
              100 * accuracy(slow_pred, test.y));
  figure(result, out("predicted_labels"), [&] {  // In [18]
    plot::scatter_classes(out("predicted_labels"), column(test.x, 0), column(test.x, 1), pred,
                          {.title = "Predicted labels in testing set", .xlabel = "X", .ylabel = "Y"});
  });

  // --- The classifier over the input space (In [20] - In [23]) ---------------------------------
  plot::Grid grid;
  Tensor grid_2d(DType::f32, {grid_n * grid_n, 2});
  for (int64_t i = 0; i < grid_n; ++i) {
    double v = -3.0 + 6.0 * static_cast<double>(i) / static_cast<double>(grid_n - 1);
    grid.xs.push_back(v);
    grid.ys.push_back(v);
  }
  for (int64_t j = 0; j < grid_n; ++j)
    for (int64_t i = 0; i < grid_n; ++i) {
      grid_2d.set((j * grid_n + i) * 2, grid.xs[i]);
      grid_2d.set((j * grid_n + i) * 2 + 1, grid.ys[j]);
    }
  std::vector<double> grid_mean, grid_sd;
  predict_labels(sample_proba, grid_2d, pred_draws, &grid_mean, &grid_sd);
  std::printf("\n[grid] posterior predictive over a %ldx%ld grid on [-3, 3]^2: max sd %.3f\n",
              static_cast<long>(grid_n), static_cast<long>(grid_n),
              *std::max_element(grid_sd.begin(), grid_sd.end()));
  figure(result, out("posterior_mean"), [&] {
    grid.values = grid_mean;
    plot::contour_surface(out("posterior_mean"), grid, column(test.x, 0), column(test.x, 1), pred,
                          {.title = "Posterior predictive mean probability of class label = 0",
                           .xlabel = "X",
                           .ylabel = "Y",
                           .colorbar_label = "Posterior predictive mean probability",
                           .palette = plot::Palette::diverging});
  });
  figure(result, out("uncertainty"), [&] {
    grid.values = grid_sd;
    plot::contour_surface(out("uncertainty"), grid, column(test.x, 0), column(test.x, 1), pred,
                          {.title = "Uncertainty (posterior predictive standard deviation)",
                           .xlabel = "X",
                           .ylabel = "Y",
                           .colorbar_label = "Posterior predictive standard deviation",
                           .palette = plot::Palette::cubehelix});
  });

  // --- Mini-batch ADVI (In [24] - In [25]) -----------------------------------------------------
  std::printf("\n[minibatch] batches of 50 rows drawn with replacement, %ld steps\n", static_cast<long>(steps_mb));
  Model nn_mb(DType::f32);
  auto batch = nn_mb.minibatch({"minibatch_x", "minibatch_y"}, {train.x, train.y},
                               {.batch_size = 50, .seed = o.seed + 8});
  Network net_mb = construct_nn(nn_mb, batch[0], batch[1], train.rows(), o.seed + 2);
  ADVI inference_mb(nn_mb, {.seed = o.seed + 9, .threads = o.threads});
  inference_mb.fit(steps_mb);
  Predictor proba_mb = Posterior(inference_mb).predictor(net_mb.p, {batch[0]}, {.seed = o.seed + 10});
  result.minibatch_accuracy = accuracy(predict_labels(proba_mb, test.x, pred_draws, nullptr, nullptr), test.y);
  std::printf("[minibatch] Accuracy = %.1f%%\n", 100 * result.minibatch_accuracy);
  figure(result, out("loss_minibatch"), [&] {
    std::vector<double> h(inference_mb.hist().begin(), inference_mb.hist().end());
    for (double& v : h) v = -v;
    plot::line_series(out("loss_minibatch"), {{"minibatch ADVI", h}},
                      {.title = "ELBO of minibatch ADVI (batches of 50)", .ylabel = "ELBO"});
  });

  // --- Further: a normalizing flow and SVGD next to mean-field (PyMC's OPVI) -------------------
  // The same network and data fitted with NFVI (PyMC's formula scale-planar*8-loc) and with
  // SVGD (100 particles), beside the mean-field fit above: one figure with the three
  // posterior predictive means over the input space (top row) and their uncertainties
  // (bottom row), each titled with its test accuracy.
  const int64_t steps_flow = quick ? 2000 : 20000, steps_svgd = quick ? 500 : 5000;
  const OptimizerOptions adam{.name = "adam", .learning_rate = 0.01};
  std::printf("\n[families] NFVI (flow scale-planar*8-loc, %ld steps) and SVGD (100 particles, %ld steps), "
              "Adam(0.01)\n",
              static_cast<long>(steps_flow), static_cast<long>(steps_svgd));
  NFVI nfvi(nn, {.seed = o.seed + 11, .optimizer = adam, .threads = o.threads, .flow = "scale-planar*8-loc"});
  nfvi.fit(steps_flow);
  SVGD svgd(nn, {.seed = o.seed + 12, .optimizer = adam, .threads = o.threads, .particles = 100});
  svgd.fit(steps_svgd);
  // Mean-field: the fit, predictions and surfaces above; the other two predicted alike.
  struct FamilySurfaces {
    std::string name;
    double accuracy;
    std::vector<double> mean, sd;
  };
  std::vector<FamilySurfaces> families = {{"mean-field ADVI", result.accuracy, grid_mean, grid_sd}};
  using Fitted = std::tuple<const char*, const Inference*, double*>;
  for (auto [name, fitted, accuracy_out] : {Fitted{"NFVI (scale-planar*8-loc)", &nfvi, &result.flow_accuracy},
                                            Fitted{"SVGD (100 particles)", &svgd, &result.svgd_accuracy}}) {
    Predictor proba = Posterior(*fitted).predictor(net.p, {ann_input}, {.threads = o.threads, .seed = o.seed + 13});
    *accuracy_out = accuracy(predict_labels(proba, test.x, pred_draws, nullptr, nullptr), test.y);
    FamilySurfaces f{name, *accuracy_out, {}, {}};
    predict_labels(proba, grid_2d, pred_draws, &f.mean, &f.sd);
    families.push_back(std::move(f));
  }
  std::vector<plot::SurfacePanel> means, sds;
  double max_sd = 0;
  for (const FamilySurfaces& f : families) {
    max_sd = std::max(max_sd, *std::max_element(f.sd.begin(), f.sd.end()));
    const std::string title = f.name + ", accuracy " + percent(f.accuracy);
    std::printf("[families] %-26s test accuracy %s\n", f.name.c_str(), percent(f.accuracy).c_str());
    means.push_back({.title = title + ": mean",
                     .grid = {grid.xs, grid.ys, f.mean},
                     .colorbar_label = "Posterior predictive mean probability",
                     .palette = plot::Palette::diverging,
                     .value_range = std::pair{0.0, 1.0}});
    sds.push_back({.title = title + ": uncertainty",
                   .grid = {grid.xs, grid.ys, f.sd},
                   .colorbar_label = "Posterior predictive standard deviation",
                   .palette = plot::Palette::cubehelix});
  }
  for (plot::SurfacePanel& panel : sds) panel.value_range = std::pair{0.0, std::max(max_sd, 1e-6)};  // one scale
  means.insert(means.end(), sds.begin(), sds.end());
  figure(result, out("families"), [&] {
    plot::contour_panels(out("families"), means, column(test.x, 0), column(test.x, 1), test.y.to_vector(),
                         {.title = "Mean-field, a normalizing flow and SVGD on the tutorial's network (test points "
                                   "by their true class)",
                          .xlabel = "X",
                          .ylabel = "Y",
                          .columns = 3});
  });

  std::printf("\n[done] %d figures in %s/%s\n", result.figures_written, o.out_dir.c_str(),
              result.figures_skipped ? (" (" + std::to_string(result.figures_skipped) + " skipped: no gnuplot)").c_str()
                                     : "");
  return result;
}

}  // namespace elbo::cli::tutorial
