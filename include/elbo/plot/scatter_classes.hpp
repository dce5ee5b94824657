#pragma once
// Two-dimensional points coloured by class: the tutorial's data set and predicted labels.
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo::plot {

struct ScatterOptions {
  std::string title{};
  std::string xlabel{};
  std::string ylabel{};
  /// Legend entries by class index; classes without a name are called "Class <k>".
  std::vector<std::string> class_names{};
  bool show_legend = true;
  /// Marker size, in gnuplot's point-size units (1 is the terminal's default).
  double point_size = 0.8;
  int width = 800;   ///< pixels
  int height = 600;  ///< pixels
};

/// Draws the points (x0[i], x1[i]) coloured by class label[i] and writes `<stem>.png` and
/// `<stem>.svg` (the stem may include a directory, which must exist).
///
/// Class 0 is blue and class 1 red, as in the tutorial; further classes follow matplotlib's
/// tab10 cycle. A class with no points gets no legend entry.
///
/// @param x0, x1 coordinates, finite, of equal length > 0
/// @param label class of each point: a whole number 0, 1, ..., K-1 with K <= 256
/// @throws InvalidArgument naming the argument for empty, unequal or non-finite inputs, labels
///         that are not class indices, a bad stem, size or missing directory
/// @throws GnuplotMissing when gnuplot cannot be found; Error with gnuplot's message when it
///         fails
void scatter_classes(const std::string& stem, std::span<const double> x0,
                     std::span<const double> x1, std::span<const double> label,
                     const ScatterOptions& options = {});

}  // namespace elbo::plot
ELBO_API_END
