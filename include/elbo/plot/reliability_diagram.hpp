#pragma once
// Calibration of predicted probabilities of a binary label: the reliability diagram (the
// bins and the expected calibration error are elbo::calibration_bins, bnn/calibration.hpp).
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "elbo/bnn/calibration.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo::plot {

struct ReliabilityOptions {
  int bins = 10;
  std::string title = "Reliability diagram";
  std::string xlabel = "Mean predicted probability";
  std::string ylabel = "Observed frequency";
  /// Legend entry of the model's curve; the expected calibration error is appended.
  std::string name = "Model";
  int width = 800;   ///< pixels
  int height = 700;  ///< pixels
};

/// Draws the calibration curve (per non-empty bin: mean predicted probability against
/// observed frequency of label 1) with the diagonal of perfect calibration, and below it the
/// number of predictions per bin; writes `<stem>.png` and `<stem>.svg`.
///
/// @throws InvalidArgument as calibration_bins(), or for a bad stem, size or missing
///         directory
/// @throws GnuplotMissing when gnuplot cannot be found; Error with gnuplot's message when it
///         fails
void reliability_diagram(const std::string& stem, std::span<const double> predicted_prob,
                         std::span<const double> label, const ReliabilityOptions& options = {});

/// The same figure from bins made already (CalibrationBinSums over a file read in blocks;
/// options.bins is not used). Throws InvalidArgument for no bins.
void reliability_diagram(const std::string& stem, std::span<const CalibrationBin> bins,
                         const ReliabilityOptions& options = {});

}  // namespace elbo::plot
ELBO_API_END
