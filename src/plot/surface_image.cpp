#include "plot/surface_image.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "elbo/plot/gnuplot.hpp"

namespace elbo::plot::detail {

namespace {

// `set palette defined (...)` for each palette. The seaborn maps were sampled from seaborn's
// own formulas: diverging_palette(250, 12, s=85, l=25) runs from husl(250, 85, 25) through
// (.95, .95, .95) to husl(12, 85, 25); cubehelix_palette(light=1) is cubehelix(start=0,
// rot=.4, hue=.8, gamma=1) from lightness 1 down to .15.
const char* palette_definition(Palette palette) {
  switch (palette) {
    case Palette::diverging:
      return "(0 '#173d65', 0.5 '#f2f2f2', 1 '#771213')";
    case Palette::cubehelix:
      return "(0 '#ffffff', 0.125 '#f2dfd8', 0.25 '#e6bdbb', 0.375 '#d59ba8', 0.5 '#be7b99', "
             "0.625 '#a05f8b', 0.75 '#7b4779', 0.875 '#543260', 1 '#2d1e3e')";
    case Palette::viridis:
      return "(0 '#440154', 0.125 '#472d7b', 0.25 '#3b528b', 0.375 '#2c728e', 0.5 '#21918c', "
             "0.625 '#28ae80', 0.75 '#5ec962', 0.875 '#addc30', 1 '#fde725')";
    case Palette::gray:
      return "(0 '#ffffff', 1 '#000000')";
  }
  // Unreachable: check_palette() ran first.
  throw InvalidArgument("plot: palette " + std::to_string(static_cast<int>(palette)) + " is not a Palette");
}

void check_axis(const char* where, const char* name, const std::vector<double>& axis) {
  if (axis.size() < 2)
    throw InvalidArgument(std::string(where) + ": argument '" + name + "' has " +
                          std::to_string(axis.size()) + " elements, but needs at least 2");
  detail::check_finite(where, name, axis);
  for (std::size_t i = 1; i < axis.size(); ++i)
    if (!(axis[i] > axis[i - 1]))
      throw InvalidArgument(std::string(where) + ": argument '" + name + "' is " +
                            detail::number_text(axis[i]) + " at index " + std::to_string(i) +
                            " after " + detail::number_text(axis[i - 1]) +
                            ", but must be strictly increasing");
}


// Values of the grid at fine_nx x fine_ny evenly spaced points spanning the same rectangle,
// by bilinear interpolation; row-major, y the slow index, like Grid::values.
std::vector<double> resample_bilinear(const std::vector<double>& xs, const std::vector<double>& ys,
                                      const std::vector<double>& values, std::size_t fine_nx,
                                      std::size_t fine_ny) {
  struct Weight {
    std::size_t cell;  // interpolate between cell and cell + 1
    double t;          // weight of cell + 1
  };
  const auto weights = [](const std::vector<double>& axis, std::size_t n) {
    std::vector<Weight> w(n);
    std::size_t cell = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const double at = k + 1 == n ? axis.back()
                                   : axis.front() + (axis.back() - axis.front()) *
                                                        static_cast<double>(k) /
                                                        static_cast<double>(n - 1);
      while (cell + 2 < axis.size() && at > axis[cell + 1]) ++cell;
      const double t = (at - axis[cell]) / (axis[cell + 1] - axis[cell]);
      w[k] = {cell, std::clamp(t, 0.0, 1.0)};
    }
    return w;
  };
  const std::vector<Weight> wx = weights(xs, fine_nx), wy = weights(ys, fine_ny);
  const std::size_t nx = xs.size();
  std::vector<double> fine(fine_nx * fine_ny);
  for (std::size_t j = 0; j < fine_ny; ++j) {
    const double* row0 = values.data() + wy[j].cell * nx;
    const double* row1 = row0 + nx;
    const double u = wy[j].t;
    for (std::size_t i = 0; i < fine_nx; ++i) {
      const std::size_t c = wx[i].cell;
      const double t = wx[i].t;
      const double bottom = (1 - t) * row0[c] + t * row0[c + 1];
      const double top = (1 - t) * row1[c] + t * row1[c + 1];
      fine[j * fine_nx + i] = (1 - u) * bottom + u * top;
    }
  }
  return fine;
}

}  // namespace

void check_grid(const char* where, const std::string& name, const Grid& grid) {
  check_axis(where, (name + ".xs").c_str(), grid.xs);
  check_axis(where, (name + ".ys").c_str(), grid.ys);
  const std::size_t nx = grid.xs.size(), ny = grid.ys.size();
  if (grid.values.size() != nx * ny)
    throw InvalidArgument(std::string(where) + ": argument '" + name + ".values' has " +
                          std::to_string(grid.values.size()) + " elements, but must have " + name +
                          ".xs.size() * " + name + ".ys.size() = " + std::to_string(nx) + " * " +
                          std::to_string(ny) + " = " + std::to_string(nx * ny));
  check_finite(where, name + ".values", grid.values);
}

void check_levels(const char* where, int levels) {
  // One band is no map at all (and gnuplot ignores maxcolors 1, drawing a continuous one).
  if (levels < 0 || levels == 1 || levels > 256)
    throw InvalidArgument(std::string(where) + ": option 'levels' is " + std::to_string(levels) +
                          ", but must be 0 (continuous) or in [2, 256]");
}

void check_palette(const char* where, const std::string& option, Palette palette) {
  switch (palette) {
    case Palette::diverging:
    case Palette::cubehelix:
    case Palette::viridis:
    case Palette::gray: return;
  }
  throw InvalidArgument(std::string(where) + ": option '" + option + "' is " +
                        std::to_string(static_cast<int>(palette)) + ", which is not a Palette");
}

std::pair<double, double> colour_range(const char* where, const std::string& option,
                                       const std::optional<std::pair<double, double>>& range,
                                       const std::vector<double>& values) {
  if (range) {
    const auto [lo, hi] = *range;
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
      throw InvalidArgument(std::string(where) + ": option '" + option + "' is [" + number_text(lo) + ", " +
                            number_text(hi) + "], but must be finite with first < second");
    return *range;
  }
  const auto [min_it, max_it] = std::minmax_element(values.begin(), values.end());
  double lo = *min_it, hi = *max_it;
  if (lo == hi) {  // a constant surface still needs a colour bar with some extent
    const double pad = lo == 0 ? 0.5 : 0.5 * std::abs(lo);
    lo -= pad;
    hi += pad;
  }
  return {lo, hi};
}

void append_surface_plot(std::string& commands, std::vector<DataFile>& files, const std::string& file_name,
                         const Grid& grid, const SurfaceStyle& style, const std::vector<std::string>& point_clauses) {
  // gnuplot draws an image of a uniform grid: resample the values bilinearly onto one with
  // about a sample per pixel, so band edges come out smooth (like matplotlib's contourf,
  // which interpolates linearly along cell edges) for any grid, uniform or not. The SVG
  // embeds the same image as a PNG, which keeps it small.
  const std::size_t nx = grid.xs.size(), ny = grid.ys.size();
  const std::size_t fine_nx = std::max(nx, static_cast<std::size_t>(std::clamp(style.width, 2, 1600)));
  const std::size_t fine_ny = std::max(ny, static_cast<std::size_t>(std::clamp(style.height, 2, 1600)));
  const std::vector<double> fine = resample_bilinear(grid.xs, grid.ys, grid.values, fine_nx, fine_ny);
  files.push_back({file_name, std::string(reinterpret_cast<const char*>(fine.data()), fine.size() * sizeof(double))});
  const double x_first = grid.xs.front(), x_last = grid.xs.back();
  const double y_first = grid.ys.front(), y_last = grid.ys.back();

  if (!style.colorbar_label.empty())
    commands += "set cblabel " + gnuplot_quoted(style.colorbar_label) + " rotate by -90\n";
  else
    commands += "unset cblabel\n";
  commands += std::string("set palette defined ") + palette_definition(style.palette) + "\n";
  commands += "set palette maxcolors " + std::to_string(style.levels) + "\n";  // 0: continuous
  const auto range = [&](const char* axis, double first, double last) {
    commands += std::string("set ") + axis + "range [";
    append_number(commands, first);
    commands += ":";
    append_number(commands, last);
    commands += "]\n";
  };
  range("cb", style.range.first, style.range.second);
  range("x", x_first, x_last);
  range("y", y_first, y_last);
  commands += "set xtics out nomirror\nset ytics out nomirror\nset border 15 front\n";
  commands += style.show_legend && !point_clauses.empty() ? "set key top left box opaque\n" : "unset key\n";
  commands += "plot data_dir.'" + file_name + "' binary array=(" + std::to_string(fine_nx) + "," +
              std::to_string(fine_ny) + ") format='%float64' dx=";
  append_number(commands, (x_last - x_first) / static_cast<double>(fine_nx - 1));
  commands += " dy=";
  append_number(commands, (y_last - y_first) / static_cast<double>(fine_ny - 1));
  commands += " origin=(";
  append_number(commands, x_first);
  commands += ",";
  append_number(commands, y_first);
  commands += ") with image notitle";
  for (const std::string& clause : point_clauses) commands += ", \\\n  " + clause;
  commands += "\n";
}

}  // namespace elbo::plot::detail
