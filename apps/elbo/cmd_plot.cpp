// `elbo plot`: figures of a fitted network on a data file. For 2-feature data: the data,
// the predicted labels, and the posterior predictive mean and sd over the data's range;
// for a classifier with known targets: a reliability diagram. Without gnuplot the command
// still succeeds and says which figures it skipped.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "commands.hpp"
#include "core_count.hpp"
#include "data_loading.hpp"
#include "elbo/plot/contour_surface.hpp"
#include "elbo/plot/gnuplot.hpp"
#include "elbo/plot/reliability_diagram.hpp"
#include "elbo/plot/scatter_classes.hpp"
#include "network_file.hpp"
#include "network_inputs.hpp"
#include "option_checks.hpp"
#include "predictive_blocks.hpp"

namespace elbo::cli {

namespace {

struct PlotFlags {
  std::string model, data, out;
  int64_t draws = 500, grid = 100;
  uint64_t seed = 0;
  int threads = core_count();
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

// What the figures read off the predictive at the rows of `x` (with targets `y`, when
// given, the reliability diagram's points too), block by block of rows
// (predictive_blocks.hpp), so that only these per-row values are kept.
struct PlotRows {
  PredictionSurface surface;
  std::optional<CalibrationPoints> calibration;
};

PlotRows plot_rows(const LoadedNetwork& n, const Tensor& x, const std::vector<double>* y, const PlotFlags& f) {
  const Likelihood& likelihood = *n.spec.likelihood;
  const int64_t rows = x.dim(0), block = predictive_block_rows(n, x.dim(1), f.draws);
  PlotRows all;
  auto append = [](std::vector<double>& to, const std::vector<double>& more) {
    to.insert(to.end(), more.begin(), more.end());
  };
  for (int64_t begin = 0; begin < rows; begin += block) {
    const int64_t end = std::min(rows, begin + block);
    auto summarize = [&](int64_t first, const PredictiveDraws& d) {
      PlotRows part{likelihood.surface(d, n.spec.target), std::nullopt};
      if (y) part.calibration = likelihood.calibration(d, std::span<const double>(*y).subspan(begin + first, d.rows));
      return part;
    };
    for (PlotRows& part : summarize_predictive(n, x.rows(begin, end), f.draws, f.seed, f.threads, summarize)) {
      if (all.surface.mean.empty() && !all.calibration) {
        all = std::move(part);
        continue;
      }
      append(all.surface.mean, part.surface.mean);
      append(all.surface.sd, part.surface.sd);
      append(all.surface.label, part.surface.label);
      if (all.calibration) {
        append(all.calibration->probability, part.calibration->probability);
        append(all.calibration->outcome, part.calibration->outcome);
      }
    }
  }
  return all;
}

void run_plot(const PlotFlags& f) {
  check_output_directory("--out", f.out);
  LoadedNetwork n = load_network(f.model);
  data::Table table = read_table(f.data);
  NetworkInputs in = network_inputs(n.spec, table, f.data, false);
  check_network_targets(n.spec, in, f.data);
  const Likelihood& likelihood = *n.spec.likelihood;
  // A likelihood of class labels colours points by class and has a reliability diagram.
  const std::vector<std::string> class_names = likelihood.class_names();
  const bool classes = !class_names.empty();
  Figures figs{f.out, {}, {}};
  const int64_t F = n.spec.feature_count();
  const PlotRows at_data = plot_rows(n, in.features, in.target ? &*in.target : nullptr, f);
  const std::string xlabel = n.spec.features[0], ylabel = F > 1 ? n.spec.features[1] : "";

  if (F == 2) {
    std::vector<double> x0 = column(in.features, 0), x1 = column(in.features, 1);
    const std::vector<double> predicted = classes ? at_data.surface.label : std::vector<double>{};
    // Points on the surfaces: coloured by the true class when known, else the predicted one.
    std::vector<double> point_label = classes ? (in.target ? *in.target : predicted) : std::vector<double>(x0.size(), 0.0);
    std::vector<std::string> names = classes ? class_names : std::vector<std::string>{"data"};
    if (classes && in.target)
      figs.draw("data", [&](const std::string& stem) {
        plot::scatter_classes(stem, x0, x1, *in.target,
                              {.title = "Data: " + f.data, .xlabel = xlabel, .ylabel = ylabel, .class_names = names});
      });
    if (classes)
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
    const PredictionSurface surface = plot_rows(n, g, nullptr, f).surface;
    figs.draw("posterior_mean", [&](const std::string& stem) {
      grid.values = surface.mean;
      plot::contour_surface(stem, grid, x0, x1, point_label,
                            {.title = surface.mean_title,
                             .xlabel = xlabel,
                             .ylabel = ylabel,
                             .colorbar_label = surface.mean_label,
                             .palette = plot::Palette::diverging,
                             .class_names = names});
    });
    figs.draw("uncertainty", [&](const std::string& stem) {
      grid.values = surface.sd;
      plot::contour_surface(stem, grid, x0, x1, point_label,
                            {.title = "Uncertainty (posterior predictive standard deviation)",
                             .xlabel = xlabel,
                             .ylabel = ylabel,
                             .colorbar_label = surface.sd_label,
                             .palette = plot::Palette::cubehelix,
                             .class_names = names});
    });
  } else {
    std::printf("the data has %ld features: the data and surface figures need exactly 2\n", static_cast<long>(F));
  }

  const std::optional<CalibrationPoints>& calibration = at_data.calibration;
  if (calibration) {
    figs.draw("reliability", [&](const std::string& stem) {
      plot::reliability_diagram(stem, calibration->probability, calibration->outcome,
                                {.title = calibration->title, .xlabel = calibration->xlabel, .ylabel = calibration->ylabel});
    });
  } else if (classes) {
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
  sub->add_option("--threads", f->threads, "Threads (default: every core; the results do not depend on them)")->check(positive_integer());
  return {sub, [f] { run_plot(*f); }};
}

}  // namespace elbo::cli
