#pragma once
// A scalar field over a rectangular grid as filled contours with a colour bar, with labelled
// points on top: the tutorial's posterior predictive mean and uncertainty surfaces.
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo::plot {

/// Values on a rectangular grid: values[j * xs.size() + i] is the value at (xs[i], ys[j]),
/// that is row-major [ys.size()][xs.size()], y the slow index.
struct Grid {
  std::vector<double> xs{};  ///< strictly increasing, at least 2
  std::vector<double> ys{};  ///< strictly increasing, at least 2
  std::vector<double> values{};
};

/// Colour maps, low value first.
enum class Palette {
  /// Dark blue through light grey to dark red: seaborn's diverging_palette(250, 12, s=85,
  /// l=25), the tutorial's map for the predictive mean.
  diverging,
  /// White to dark purple: seaborn's cubehelix_palette(light=1), the tutorial's map for the
  /// predictive standard deviation.
  cubehelix,
  /// matplotlib's viridis (dark purple to yellow).
  viridis,
  /// White to black.
  gray,
};

struct SurfaceOptions {
  std::string title{};
  std::string xlabel{};
  std::string ylabel{};
  /// Label of the colour bar, e.g. "Uncertainty (posterior predictive standard deviation)".
  std::string colorbar_label{};
  Palette palette = Palette::diverging;
  /// Number of colour bands of equal width over the value range, as in matplotlib's contourf;
  /// 0 draws a continuous colour gradient.
  int levels = 10;
  /// Values mapped to the two ends of the palette; by default the values' minimum and
  /// maximum. Values outside it take the end colours.
  std::optional<std::pair<double, double>> value_range{};
  /// Legend entries of the overlaid points' classes; unnamed ones are "Class <k>".
  std::vector<std::string> class_names{};
  bool show_legend = true;
  double point_size = 0.8;
  int width = 1280;  ///< pixels; 16:9 like the tutorial's figsize=(16, 9)
  int height = 720;  ///< pixels
};

/// Draws grid.values as filled contours over the grid's rectangle with a colour bar, puts the
/// points (x0[i], x1[i]) coloured by class label[i] on top (as scatter_classes() does, with a
/// white rim so that they show on dark colours), and writes `<stem>.png` and `<stem>.svg`.
/// The points may be empty (all three spans); points outside the grid's rectangle are
/// clipped.
///
/// The surface is drawn as an image: the values are resampled bilinearly to about one sample
/// per pixel and coloured by band, which gives the smooth band edges of matplotlib's contourf
/// for uniform and non-uniform grids alike. The SVG embeds that image as a PNG (vector axes,
/// text and points around it), so it stays small.
///
/// @throws InvalidArgument naming the argument: grid axes not strictly increasing or shorter
///         than 2, values.size() != xs.size() * ys.size(), non-finite numbers, unequal point
///         spans, labels that are not class indices, levels neither 0 nor in [2, 256], an empty or
///         reversed value_range, a bad stem, size or missing directory
/// @throws GnuplotMissing when gnuplot cannot be found; Error with gnuplot's message when it
///         fails
void contour_surface(const std::string& stem, const Grid& grid, std::span<const double> x0,
                     std::span<const double> x1, std::span<const double> label,
                     const SurfaceOptions& options = {});

}  // namespace elbo::plot
ELBO_API_END
