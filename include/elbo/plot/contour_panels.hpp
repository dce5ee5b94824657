#pragma once
// Several scalar fields over the same inputs side by side in one figure, each as
// contour_surface() draws it (filled bands, a colour bar, the labelled points on top):
// e.g. the posterior predictive mean and uncertainty of several approximating families.
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/plot/contour_surface.hpp"

ELBO_API_BEGIN
namespace elbo::plot {

/// One panel: a field and how to colour it.
struct SurfacePanel {
  std::string title{};
  Grid grid{};
  std::string colorbar_label{};
  Palette palette = Palette::diverging;
  /// Values mapped to the palette's ends; by default the panel's minimum and maximum. Give
  /// panels that are to be compared the same range.
  std::optional<std::pair<double, double>> value_range{};
};

struct PanelsOptions {
  std::string title{};  ///< over the whole figure
  std::string xlabel{};
  std::string ylabel{};
  int columns = 3;  ///< panels fill rows of this many, left to right
  int levels = 10;  ///< colour bands per panel, as SurfaceOptions::levels
  std::vector<std::string> class_names{};
  bool show_legend = true;  ///< on the first panel only
  double point_size = 0.5;
  int width = 1920;   ///< pixels, the whole figure
  int height = 1080;  ///< pixels, the whole figure
};

/// Draws the panels in a grid of `columns` columns (rows as needed) with the points
/// (x0[i], x1[i]) coloured by class label[i] on each, and writes `<stem>.png` and
/// `<stem>.svg`.
///
/// @throws InvalidArgument naming the argument: no panels, a bad grid or value_range in
///         panels[k] (named so), columns outside [1, 16], and everything contour_surface()
///         refuses
/// @throws GnuplotMissing when gnuplot cannot be found; Error with gnuplot's message when it
///         fails
void contour_panels(const std::string& stem, std::span<const SurfacePanel> panels, std::span<const double> x0,
                    std::span<const double> x1, std::span<const double> label, const PanelsOptions& options = {});

}  // namespace elbo::plot
ELBO_API_END
