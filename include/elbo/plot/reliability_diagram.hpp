#pragma once
// Calibration of predicted probabilities of a binary label: the reliability diagram.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace elbo::plot {

/// One bin of predicted probability, [lower, upper) (the last bin includes 1).
struct CalibrationBin {
  double lower = 0;
  double upper = 0;
  std::size_t count = 0;            ///< predictions in the bin
  double mean_predicted = 0;        ///< mean predicted probability in the bin (0 if empty)
  double observed_frequency = 0;    ///< fraction of labels equal to 1 in the bin (0 if empty)
};

/// Splits [0, 1] into `bins` bins of equal width and reports, per bin, how many predictions
/// fall in it, their mean and the observed frequency of label 1.
///
/// @param predicted_prob predicted probability of label 1, each in [0, 1]
/// @param label observed label, each 0 or 1, as many as predicted_prob (> 0)
/// @param bins number of bins, >= 1
/// @throws InvalidArgument naming the argument, index and value
std::vector<CalibrationBin> calibration_bins(std::span<const double> predicted_prob,
                                             std::span<const double> label, int bins = 10);

/// Expected calibration error: sum over bins of count / total * |observed_frequency -
/// mean_predicted|. 0 for a perfectly calibrated predictor; 0 if every bin is empty.
double expected_calibration_error(std::span<const CalibrationBin> bins);

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

}  // namespace elbo::plot
