#pragma once
// Private helpers of the plot layer for a scalar field drawn as an image of coloured bands
// (contour_surface.cpp, contour_panels.cpp): the checks of a grid, its colour range, and
// the gnuplot commands that draw it with labelled points on top.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "elbo/plot/contour_surface.hpp"
#include "plot/gnuplot_impl.hpp"

namespace elbo::plot::detail {

/// Axes strictly increasing with at least 2 entries, values.size() == xs.size() *
/// ys.size(), everything finite; messages name `name` ("grid", "panels[2].grid").
void check_grid(const char* where, const std::string& name, const Grid& grid);

/// Option 'levels': 0 (a continuous map) or within [2, 256].
void check_levels(const char* where, int levels);

/// A Palette that exists; the message names `option` ("palette", "panels[1].palette").
void check_palette(const char* where, const std::string& option, Palette palette);

/// The values mapped to the palette's two ends: `range` when set (checked: finite and
/// first < second; the message names `option`), else the values' minimum and maximum,
/// widened around a constant surface.
std::pair<double, double> colour_range(const char* where, const std::string& option,
                                       const std::optional<std::pair<double, double>>& range,
                                       const std::vector<double>& values);

/// What one surface's plot looks like.
struct SurfaceStyle {
  std::string colorbar_label;
  Palette palette = Palette::diverging;
  int levels = 10;
  std::pair<double, double> range{0, 1};
  int width = 1280, height = 720;  ///< pixels of the surface's own plot: the resampling
  bool show_legend = true;
};

/// Appends the commands that draw `grid` as an image (resampled bilinearly to about a
/// sample per pixel, coloured in `levels` bands) with a colour bar, and `point_clauses` on
/// top; the image is the file `file_name`, appended to `files`.
void append_surface_plot(std::string& commands, std::vector<DataFile>& files, const std::string& file_name,
                         const Grid& grid, const SurfaceStyle& style, const std::vector<std::string>& point_clauses);

}  // namespace elbo::plot::detail
