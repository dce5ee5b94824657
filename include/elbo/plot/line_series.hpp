#pragma once
// Several series over the same x axis, overlaid: loss (negative ELBO) histories of several
// runs, as in the tutorial's `plt.plot(-inference.hist, alpha=.3)`.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo::plot {

/// One line: values[i] is drawn at x = i (the iteration).
struct Series {
  std::string name{};  ///< legend entry; an empty name gets none
  std::vector<double> values{};
};

struct LineOptions {
  std::string title{};
  std::string xlabel = "Iteration";
  std::string ylabel{};
  /// Opacity of every line, in (0, 1]; 0.3 is the tutorial's alpha.
  double alpha = 0.3;
  /// Logarithmic y axis; every value must then be positive.
  bool log_y = false;
  /// At most this many points are drawn per series (>= 4); longer series are decimated by
  /// decimate_min_max().
  std::size_t max_points = 4000;
  int width = 800;   ///< pixels
  int height = 600;  ///< pixels
};

/// Points of a series after decimation: x is the original index, y its value.
struct DecimatedSeries {
  std::vector<double> x{};
  std::vector<double> y{};
};

/// Reduces a series to at most max_points points for drawing, keeping its look as a line.
///
/// A series of at most max_points values is returned whole (x = 0, 1, ...). A longer one keeps
/// its first and last points; the points between are split into (max_points - 2) / 2
/// consecutive chunks of near-equal length, and each chunk contributes its minimum and its
/// maximum (one point if they are the same element), in the order they occur, at their own
/// indices. Min/max rather than chunk means, so the band a noisy loss draws (and any spike)
/// survives: at figure resolution the line covers the same pixels as the full series.
///
/// @throws InvalidArgument if max_points < 4
DecimatedSeries decimate_min_max(std::span<const double> values, std::size_t max_points);

/// Draws the series overlaid, x = iteration, each in its own colour (matplotlib's tab10 cycle)
/// with opacity options.alpha, and writes `<stem>.png` and `<stem>.svg`.
///
/// @param series at least one; each non-empty and finite (and positive if options.log_y)
/// @throws InvalidArgument naming the series and index of a bad value, or a bad option, stem
///         or missing directory
/// @throws GnuplotMissing when gnuplot cannot be found; Error with gnuplot's message when it
///         fails
void line_series(const std::string& stem, const std::vector<Series>& series,
                 const LineOptions& options = {});

}  // namespace elbo::plot
ELBO_API_END
