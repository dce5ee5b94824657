// `elbo plot`: figures of a fitted network on a data file. For 2-feature data: the data,
// the predicted labels, and the posterior predictive mean and sd over the data's range;
// for a classifier with known targets: a reliability diagram. Without gnuplot the command
// still succeeds and says which figures it skipped.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>

#include "commands.hpp"
#include "data_loading.hpp"
#include "elbo/plot/contour_surface.hpp"
#include "elbo/plot/gnuplot.hpp"
#include "elbo/plot/reliability_diagram.hpp"
#include "elbo/plot/scatter_classes.hpp"
#include "likelihood_choice.hpp"
#include "network_file.hpp"
#include "network_inputs.hpp"
#include "option_checks.hpp"
#include "predictive.hpp"

namespace elbo::cli {

namespace {

struct PlotFlags {
  std::string model, data, out;
  int64_t draws = 500, grid = 100;
  uint64_t seed = 0;
  int threads = 1;
};

struct Figures {
  std::string dir;
  std::vector<std::string> written, skipped;
  std::string stem(const std::string& name) const { return (std::filesystem::path(dir) / name).string(); }
  void draw(const std::string& name, const std::function<void(const std::string&)>& fn) {
    try {
      fn(stem(name));
      written.push_back(name);
      std::printf("wrote %s.png and %s.svg\n", stem(name).c_str(), name.c_str());
    } catch (const plot::GnuplotMissing&) {
      skipped.push_back(name);
    }
  }
};

std::vector<double> column(const Tensor& x, int64_t c) {
  const int64_t rows = x.dim(0), cols = x.dim(1);
  std::vector<double> v(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) v[r] = x[r * cols + c];
  return v;
}

std::vector<std::string> class_names(int64_t K) {
  std::vector<std::string> names;
  for (int64_t k = 0; k < K; ++k) names.push_back("Class " + std::to_string(k));
  return names;
}

void run_plot(const PlotFlags& f) {
  check_output_directory("--out", f.out);
  LoadedNetwork n = load_network(f.model);
  data::Table table = read_table(f.data);
  NetworkInputs in = network_inputs(n.spec, table, f.data, false);
  const std::string& likelihood = n.spec.mlp.likelihood;
  const bool classifier = likelihood != "normal";
  if (in.target && classifier) {
    std::string problem = check_targets(likelihood, n.spec.mlp.classes, *in.target);
    if (!problem.empty()) throw FormatError(f.data + ": target '" + n.spec.target + "': " + problem);
  }
  Figures figs{f.out, {}, {}};
  const int64_t rows = in.features.dim(0), F = n.spec.feature_count();
  PredictiveDraws d = predictive_draws(n, in.features, f.draws, f.seed, f.threads);
  std::vector<double> predicted(static_cast<size_t>(rows), 0.0);
  ClassPrediction c;
  if (classifier) {
    c = classify(d);
    for (int64_t r = 0; r < rows; ++r) predicted[r] = static_cast<double>(c.label[r]);
  }
  const int64_t K = classifier ? c.classes : 1;
  const std::string xlabel = n.spec.features[0], ylabel = F > 1 ? n.spec.features[1] : "";

  if (F == 2) {
    std::vector<double> x0 = column(in.features, 0), x1 = column(in.features, 1);
    // Points on the surfaces: coloured by the true class when known, else the predicted one.
    std::vector<double> point_label = classifier ? (in.target ? *in.target : predicted) : std::vector<double>(x0.size(), 0.0);
    std::vector<std::string> names = classifier ? class_names(K) : std::vector<std::string>{"data"};
    if (classifier && in.target)
      figs.draw("data", [&](const std::string& stem) {
        plot::scatter_classes(stem, x0, x1, *in.target,
                              {.title = "Data: " + f.data, .xlabel = xlabel, .ylabel = ylabel, .class_names = names});
      });
    if (classifier)
      figs.draw("predicted_labels", [&](const std::string& stem) {
        plot::scatter_classes(stem, x0, x1, predicted,
                              {.title = "Predicted labels (posterior predictive mean, " + std::to_string(f.draws) +
                                        " draws)",
                               .xlabel = xlabel,
                               .ylabel = ylabel,
                               .class_names = names});
      });
    // The grid over the data's range with a 5 % margin.
    auto [min0, max0] = std::minmax_element(x0.begin(), x0.end());
    auto [min1, max1] = std::minmax_element(x1.begin(), x1.end());
    auto axis = [&](double lo, double hi) {
      double pad = 0.05 * (hi - lo);
      if (!(hi - lo > 0)) pad = std::max(1.0, std::abs(lo)) * 0.5;
      std::vector<double> v(static_cast<size_t>(f.grid));
      for (int64_t i = 0; i < f.grid; ++i)
        v[i] = lo - pad + (hi - lo + 2 * pad) * static_cast<double>(i) / static_cast<double>(f.grid - 1);
      return v;
    };
    plot::Grid grid{axis(*min0, *max0), axis(*min1, *max1), {}};
    Tensor g(DType::f64, {f.grid * f.grid, 2});
    for (int64_t j = 0; j < f.grid; ++j)
      for (int64_t i = 0; i < f.grid; ++i) {
        g.set((j * f.grid + i) * 2, grid.xs[i]);
        g.set((j * f.grid + i) * 2 + 1, grid.ys[j]);
      }
    PredictiveDraws gd = predictive_draws(n, g, f.draws, f.seed, f.threads);
    std::vector<double> mean(static_cast<size_t>(f.grid * f.grid)), sd(mean.size());
    std::string mean_title, mean_bar, sd_bar;
    if (classifier) {
      ClassPrediction gc = classify(gd);
      for (size_t p = 0; p < mean.size(); ++p) {
        int64_t k = K == 2 ? 1 : gc.label[p];  // bernoulli: p(y = 1); categorical: the predicted class
        mean[p] = gc.prob[p * K + k];
        sd[p] = gc.sd[p * K + k];
      }
      mean_title = K == 2 ? "Posterior predictive mean probability of class 1"
                          : "Posterior predictive mean probability of the predicted class";
      mean_bar = "Posterior predictive mean probability";
      sd_bar = "Posterior predictive standard deviation of that probability";
    } else {
      Regression r = regress(gd, 0.94);
      mean = r.mean;
      sd = r.sd;
      mean_title = "Posterior predictive mean of " + n.spec.target;
      mean_bar = "Posterior predictive mean";
      sd_bar = "Posterior predictive standard deviation (with noise)";
    }
    figs.draw("posterior_mean", [&](const std::string& stem) {
      grid.values = mean;
      plot::contour_surface(stem, grid, x0, x1, point_label,
                            {.title = mean_title,
                             .xlabel = xlabel,
                             .ylabel = ylabel,
                             .colorbar_label = mean_bar,
                             .palette = plot::Palette::diverging,
                             .class_names = names});
    });
    figs.draw("uncertainty", [&](const std::string& stem) {
      grid.values = sd;
      plot::contour_surface(stem, grid, x0, x1, point_label,
                            {.title = "Uncertainty (posterior predictive standard deviation)",
                             .xlabel = xlabel,
                             .ylabel = ylabel,
                             .colorbar_label = sd_bar,
                             .palette = plot::Palette::cubehelix,
                             .class_names = names});
    });
  } else {
    std::printf("the data has %ld features: the data and surface figures need exactly 2\n", static_cast<long>(F));
  }

  if (classifier && in.target) {
    std::vector<double> p(static_cast<size_t>(rows)), y(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
      auto label = static_cast<int64_t>((*in.target)[r]);
      if (K == 2) {
        p[r] = std::clamp(c.prob[r * K + 1], 0.0, 1.0);
        y[r] = static_cast<double>(label);
      } else {
        p[r] = std::clamp(c.prob[r * K + c.label[r]], 0.0, 1.0);
        y[r] = c.label[r] == label ? 1.0 : 0.0;
      }
    }
    figs.draw("reliability", [&](const std::string& stem) {
      plot::reliability_diagram(
          stem, p, y,
          {.title = K == 2 ? "Reliability diagram (probability of class 1)"
                           : "Reliability diagram (confidence of the predicted class)",
           .xlabel = K == 2 ? "Mean predicted probability of class 1" : "Mean confidence",
           .ylabel = K == 2 ? "Observed frequency of class 1" : "Observed accuracy"});
    });
  } else if (classifier) {
    std::printf("no target column '%s' in %s: no data figure and no reliability diagram\n", n.spec.target.c_str(),
                f.data.c_str());
  }
  if (!figs.skipped.empty()) {
    std::string list;
    for (const std::string& s : figs.skipped) list += (list.empty() ? "" : ", ") + s;
    std::printf("skipped %zu figure%s (gnuplot is not installed): %s\n", figs.skipped.size(),
                figs.skipped.size() == 1 ? "" : "s", list.c_str());
  }
  std::printf("%zu figure%s written to %s\n", figs.written.size(), figs.written.size() == 1 ? "" : "s", f.out.c_str());
}

}  // namespace

Command add_plot_command(CLI::App& app) {
  auto f = std::make_shared<PlotFlags>();
  CLI::App* sub = app.add_subcommand("plot", "Figures of a fitted network on a data file (PNG and SVG)");
  sub->add_option("--model", f->model, "Model file written by 'elbo fit'")->required();
  sub->add_option("--data", f->data, "CSV or NPY with the features (and the target, for the data and reliability figures)")
      ->required();
  sub->add_option("--out", f->out, "Existing directory for the figures")->required();
  sub->add_option("--draws", f->draws, "Posterior draws")->capture_default_str()->check(positive_integer());
  sub->add_option("--grid", f->grid, "Grid points per axis of the surfaces")->capture_default_str()
      ->check(CLI::Range(int64_t{2}, int64_t{1000}));
  sub->add_option("--seed", f->seed, "Random seed of the draws")->capture_default_str()->check(non_negative_integer());
  sub->add_option("--threads", f->threads, "Threads")->capture_default_str()->check(positive_integer());
  return {sub, [f] { run_plot(*f); }};
}

}  // namespace elbo::cli
