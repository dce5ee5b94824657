// `elbo plot`: figures of a fitted network on a data file. For 2-feature data: the data,
// the predicted labels, and the posterior predictive mean and sd over the data's range;
// for a classifier with known targets: a reliability diagram. Without gnuplot the command
// still succeeds and says which figures it skipped. The data file is read a block of rows
// at a time (TableBlocks), as `predict` and `evaluate` read it: the figures keep the bins of
// the reliability diagram (from every row), the features' range and at most
// PointSample::kDefaultCap points, so memory does not grow with the file.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "commands.hpp"
#include "core_count.hpp"
#include "data_loading.hpp"
#include "elbo/bnn/calibration.hpp"
#include "elbo/plot/contour_surface.hpp"
#include "elbo/plot/gnuplot.hpp"
#include "elbo/plot/reliability_diagram.hpp"
#include "elbo/plot/scatter_classes.hpp"
#include "network_file.hpp"
#include "network_inputs.hpp"
#include "option_checks.hpp"
#include "point_sample.hpp"
#include "predictive_blocks.hpp"
#include "table_blocks.hpp"

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

// What the figures read off the predictive at the rows of `x` (a grid), block by block of
// rows (predictive_blocks.hpp), so that only these per-row values are kept.
PredictionSurface grid_surface(const LoadedNetwork& n, const Tensor& x, const PlotFlags& f) {
  const Likelihood& likelihood = *n.spec.likelihood;
  const int64_t rows = x.dim(0), block = predictive_block_rows(n, x.dim(1), f.draws);
  PredictionSurface all;
  auto append = [](std::vector<double>& to, const std::vector<double>& more) {
    to.insert(to.end(), more.begin(), more.end());
  };
  for (int64_t begin = 0; begin < rows; begin += block) {
    const int64_t end = std::min(rows, begin + block);
    for (PredictionSurface& part :
         summarize_predictive(n, x.rows(begin, end), f.draws, f.seed, f.threads,
                              [&](int64_t, const PredictiveDraws& d) { return likelihood.surface(d, n.spec.target); })) {
      if (all.mean.empty()) {
        all = std::move(part);
        continue;
      }
      append(all.mean, part.mean);
      append(all.sd, part.sd);
      append(all.label, part.label);
    }
  }
  return all;
}

// One pass over the data file, a block of rows at a time: the points, the range of the
// two features, the reliability diagram's bins.
struct DataPass {
  explicit DataPass(uint64_t seed) : points(seed) {}
  int64_t rows = 0, features = 0;
  bool has_target = false;
  PointSample points;
  double min0 = INFINITY, max0 = -INFINITY, min1 = INFINITY, max1 = -INFINITY;
  std::optional<CalibrationBinSums> bins;
  std::string calibration_title, calibration_xlabel, calibration_ylabel;
};

DataPass read_data(const LoadedNetwork& n, const PlotFlags& f) {
  const Likelihood& likelihood = *n.spec.likelihood;
  const bool classes = !likelihood.class_names().empty();
  DataPass pass(f.seed);
  pass.features = n.spec.feature_count();
  TableBlocks blocks(f.data);
  const int64_t block_rows = predictive_block_rows(n, static_cast<int64_t>(blocks.columns().size()), f.draws);
  data::Table table;
  while (blocks.next(block_rows, table)) {
    NetworkInputs in = network_inputs(n.spec, table, f.data, false);
    check_network_targets(n.spec, in, f.data, blocks.first_row());
    pass.has_target = in.target.has_value();
    const std::vector<double>* y = in.target ? &*in.target : nullptr;
    struct Part {
      std::vector<double> label;
      std::optional<CalibrationPoints> calibration;
    };
    auto summarize = [&](int64_t first, const PredictiveDraws& d) {
      Part part;
      if (pass.features == 2 && classes) part.label = likelihood.surface(d, n.spec.target).label;
      if (y) part.calibration = likelihood.calibration(d, std::span<const double>(*y).subspan(first, d.rows));
      return part;
    };
    const std::vector<Part> parts = summarize_predictive(n, in.features, f.draws, f.seed, f.threads, summarize);
    for (const Part& part : parts)
      if (part.calibration) {
        const CalibrationPoints& c = *part.calibration;
        if (!pass.bins) {
          pass.bins.emplace(10, "elbo plot");
          pass.calibration_title = c.title;
          pass.calibration_xlabel = c.xlabel;
          pass.calibration_ylabel = c.ylabel;
        }
        pass.bins->add(c.probability, c.outcome, pass.bins->rows());
      }
    if (pass.features == 2) {
      const int64_t rows = in.features.dim(0);
      size_t p = 0, k = 0;  // the part and the row within it of row i's predicted label
      for (int64_t i = 0; i < rows; ++i) {
        const double a = in.features[i * 2], b = in.features[i * 2 + 1];
        pass.min0 = std::min(pass.min0, a);
        pass.max0 = std::max(pass.max0, a);
        pass.min1 = std::min(pass.min1, b);
        pass.max1 = std::max(pass.max1, b);
        double predicted = 0;
        if (classes) {
          while (k >= parts[p].label.size()) ++p, k = 0;
          predicted = parts[p].label[k++];
        }
        pass.points.offer(a, b, y ? (*y)[static_cast<size_t>(i)] : 0.0, predicted);
      }
    }
    pass.rows += in.features.dim(0);
  }
  return pass;
}

void run_plot(const PlotFlags& f) {
  check_output_directory("--out", f.out);
  LoadedNetwork n = load_network(f.model);
  const Likelihood& likelihood = *n.spec.likelihood;
  // A likelihood of class labels colours points by class and has a reliability diagram.
  const std::vector<std::string> class_names = likelihood.class_names();
  const bool classes = !class_names.empty();
  Figures figs{f.out, {}, {}};
  const int64_t F = n.spec.feature_count();
  DataPass data = read_data(n, f);
  const std::string xlabel = n.spec.features[0], ylabel = F > 1 ? n.spec.features[1] : "";

  if (F == 2) {
    const PointSample::Points pts = data.points.points();
    const std::string sampled =
        data.rows > static_cast<int64_t>(pts.row.size())
            ? " (" + std::to_string(pts.row.size()) + " of " + std::to_string(data.rows) + " rows, a uniform sample)"
            : "";
    if (!sampled.empty())
      std::printf("the figures show %zu of the %ld data rows (a uniform sample)%s\n", pts.row.size(),
                  static_cast<long>(data.rows), data.bins ? "; the reliability diagram uses all" : "");
    // Points on the surfaces: coloured by the true class when known, else the predicted one.
    const std::vector<double> point_label =
        classes ? (data.has_target ? pts.target : pts.predicted) : std::vector<double>(pts.x0.size(), 0.0);
    std::vector<std::string> names = classes ? class_names : std::vector<std::string>{"data"};
    if (classes && data.has_target)
      figs.draw("data", [&](const std::string& stem) {
        plot::scatter_classes(stem, pts.x0, pts.x1, pts.target,
                              {.title = "Data: " + f.data + sampled, .xlabel = xlabel, .ylabel = ylabel, .class_names = names});
      });
    if (classes)
      figs.draw("predicted_labels", [&](const std::string& stem) {
        plot::scatter_classes(stem, pts.x0, pts.x1, pts.predicted,
                              {.title = "Predicted labels (posterior predictive mean, " + std::to_string(f.draws) +
                                        " draws)" + sampled,
                               .xlabel = xlabel,
                               .ylabel = ylabel,
                               .class_names = names});
      });
    // The grid over the data's range with a 5 % margin.
    auto axis = [&](double lo, double hi) {
      double pad = 0.05 * (hi - lo);
      if (!(hi - lo > 0)) pad = std::max(1.0, std::abs(lo)) * 0.5;
      std::vector<double> v(static_cast<size_t>(f.grid));
      for (int64_t i = 0; i < f.grid; ++i)
        v[i] = lo - pad + (hi - lo + 2 * pad) * static_cast<double>(i) / static_cast<double>(f.grid - 1);
      return v;
    };
    plot::Grid grid{axis(data.min0, data.max0), axis(data.min1, data.max1), {}};
    Tensor g(DType::f64, {f.grid * f.grid, 2});
    for (int64_t j = 0; j < f.grid; ++j)
      for (int64_t i = 0; i < f.grid; ++i) {
        g.set((j * f.grid + i) * 2, grid.xs[i]);
        g.set((j * f.grid + i) * 2 + 1, grid.ys[j]);
      }
    const PredictionSurface surface = grid_surface(n, g, f);
    figs.draw("posterior_mean", [&](const std::string& stem) {
      grid.values = surface.mean;
      plot::contour_surface(stem, grid, pts.x0, pts.x1, point_label,
                            {.title = surface.mean_title + sampled,
                             .xlabel = xlabel,
                             .ylabel = ylabel,
                             .colorbar_label = surface.mean_label,
                             .palette = plot::Palette::diverging,
                             .class_names = names});
    });
    figs.draw("uncertainty", [&](const std::string& stem) {
      grid.values = surface.sd;
      plot::contour_surface(stem, grid, pts.x0, pts.x1, point_label,
                            {.title = "Uncertainty (posterior predictive standard deviation)" + sampled,
                             .xlabel = xlabel,
                             .ylabel = ylabel,
                             .colorbar_label = surface.sd_label,
                             .palette = plot::Palette::cubehelix,
                             .class_names = names});
    });
  } else {
    std::printf("the data has %ld features: the data and surface figures need exactly 2\n", static_cast<long>(F));
  }

  if (data.bins) {
    const std::vector<CalibrationBin> bins = data.bins->bins();
    figs.draw("reliability", [&](const std::string& stem) {
      plot::reliability_diagram(stem, bins,
                                {.title = data.calibration_title,
                                 .xlabel = data.calibration_xlabel,
                                 .ylabel = data.calibration_ylabel});
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
