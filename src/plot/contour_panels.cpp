#include "elbo/plot/contour_panels.hpp"

#include <algorithm>
#include <string>

#include "elbo/plot/gnuplot.hpp"
#include "plot/gnuplot_impl.hpp"
#include "plot/surface_image.hpp"

namespace elbo::plot {

void contour_panels(const std::string& stem, std::span<const SurfacePanel> panels, std::span<const double> x0,
                    std::span<const double> x1, std::span<const double> label, const PanelsOptions& options) {
  constexpr const char* where = "plot::contour_panels";
  detail::check_stem(where, stem);
  detail::check_size(where, options.width, options.height);
  detail::check_point_size(where, options.point_size);
  detail::check_levels(where, options.levels);
  if (panels.empty()) throw InvalidArgument(std::string(where) + ": argument 'panels' is empty");
  if (options.columns < 1 || options.columns > 16)
    throw InvalidArgument(std::string(where) + ": option 'columns' is " + std::to_string(options.columns) +
                          ", but must be in [1, 16]");
  std::vector<std::pair<double, double>> ranges;
  for (size_t k = 0; k < panels.size(); ++k) {
    const std::string name = "panels[" + std::to_string(k) + "]";
    detail::check_grid(where, name + ".grid", panels[k].grid);
    detail::check_palette(where, name + ".palette", panels[k].palette);
    ranges.push_back(detail::colour_range(where, name + ".value_range", panels[k].value_range, panels[k].grid.values));
  }
  detail::check_same_length(where, "x1", x1.size(), "x0", x0.size());
  detail::check_same_length(where, "label", label.size(), "x0", x0.size());
  detail::check_finite(where, "x0", x0);
  detail::check_finite(where, "x1", x1);
  const std::vector<int> classes = detail::class_indices(where, "label", label);
  const detail::ClassPoints points = detail::class_points(
      x0, x1, classes, options.class_names, options.point_size, /*z_column=*/false, /*outline=*/true);

  const int n = static_cast<int>(panels.size());
  const int columns = std::min(options.columns, n), rows = (n + columns - 1) / columns;
  std::string commands = "set multiplot layout " + std::to_string(rows) + "," + std::to_string(columns);
  if (!options.title.empty()) commands += " title " + detail::gnuplot_quoted(options.title);
  commands += "\n";
  std::vector<detail::DataFile> files;
  for (int k = 0; k < n; ++k) {
    const SurfacePanel& panel = panels[static_cast<size_t>(k)];
    detail::append_labels(commands, panel.title, options.xlabel, options.ylabel);
    if (panel.title.empty()) commands += "unset title\n";
    const detail::SurfaceStyle style{
        .colorbar_label = panel.colorbar_label,
        .palette = panel.palette,
        .levels = options.levels,
        .range = ranges[static_cast<size_t>(k)],
        .width = options.width / columns,
        .height = options.height / rows,
        .show_legend = options.show_legend && k == 0,
    };
    detail::append_surface_plot(commands, files, "surface" + std::to_string(k) + ".bin", panel.grid, style,
                                points.clauses);
  }
  commands += "unset multiplot\n";
  detail::render(where, stem, options.width, options.height, points.data, commands, files);
}

}  // namespace elbo::plot
