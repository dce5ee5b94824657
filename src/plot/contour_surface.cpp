#include "elbo/plot/contour_surface.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>

#include "elbo/plot/gnuplot.hpp"
#include "plot/gnuplot_impl.hpp"
#include "plot/surface_image.hpp"

namespace elbo::plot {

void contour_surface(const std::string& stem, const Grid& grid, std::span<const double> x0,
                     std::span<const double> x1, std::span<const double> label,
                     const SurfaceOptions& options) {
  constexpr const char* where = "plot::contour_surface";
  detail::check_stem(where, stem);
  detail::check_size(where, options.width, options.height);
  detail::check_point_size(where, options.point_size);
  detail::check_levels(where, options.levels);
  detail::check_palette(where, "palette", options.palette);
  detail::check_grid(where, "grid", grid);
  detail::check_same_length(where, "x1", x1.size(), "x0", x0.size());
  detail::check_same_length(where, "label", label.size(), "x0", x0.size());
  detail::check_finite(where, "x0", x0);
  detail::check_finite(where, "x1", x1);
  const std::vector<int> classes = detail::class_indices(where, "label", label);
  const detail::SurfaceStyle style{
      .colorbar_label = options.colorbar_label,
      .palette = options.palette,
      .levels = options.levels,
      .range = detail::colour_range(where, "value_range", options.value_range, grid.values),
      .width = options.width,
      .height = options.height,
      .show_legend = options.show_legend,
  };
  const detail::ClassPoints points = detail::class_points(
      x0, x1, classes, options.class_names, options.point_size, /*z_column=*/false,
      /*outline=*/true);

  std::string commands;
  detail::append_labels(commands, options.title, options.xlabel, options.ylabel);
  if (options.title.empty()) commands += "set tmargin 1.5\n";
  std::vector<detail::DataFile> files;
  detail::append_surface_plot(commands, files, "surface.bin", grid, style, points.clauses);
  detail::render(where, stem, options.width, options.height, points.data, commands, files);
}

}  // namespace elbo::plot
