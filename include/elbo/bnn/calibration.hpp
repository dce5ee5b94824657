#pragma once
// Calibration of predicted probabilities of a binary label: the bins of a reliability
// diagram and the expected calibration error.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// One bin of predicted probability, [lower, upper) (the last bin includes 1).
struct CalibrationBin {
  double lower = 0;
  double upper = 0;
  std::size_t count = 0;          ///< predictions in the bin
  double mean_predicted = 0;      ///< mean predicted probability in the bin (0 if empty)
  double observed_frequency = 0;  ///< fraction of labels equal to 1 in the bin (0 if empty)
};

/// The bins of calibration_bins built from rows given in blocks (a data file read a block
/// at a time): add() the blocks in row order and bins() equals calibration_bins over all
/// of them, to the last bit.
class CalibrationBinSums {
 public:
  /// @throws InvalidArgument for `bins` outside [1, 1000], naming `caller`
  explicit CalibrationBinSums(int bins = 10, const char* caller = "calibration_bins");
  /// Adds a block of rows; `first_index` is the index of its first row among all rows
  /// (named in the errors). Throws InvalidArgument as calibration_bins does, adding nothing.
  void add(std::span<const double> predicted_prob, std::span<const double> label, std::size_t first_index = 0);
  /// Rows added so far.
  std::size_t rows() const { return rows_; }
  /// The bins of the rows added so far.
  std::vector<CalibrationBin> bins() const;

 private:
  std::string caller_;
  std::vector<CalibrationBin> bins_;
  std::vector<double> sum_p_, sum_y_;
  std::size_t rows_ = 0;
};

/// Splits [0, 1] into `bins` bins of equal width and reports, per bin, how many predictions
/// fall in it, their mean and the observed frequency of label 1.
///
/// @param predicted_prob predicted probability of label 1, each in [0, 1]
/// @param label observed label, each 0 or 1, as many as predicted_prob (> 0)
/// @param bins number of bins, in [1, 1000]
/// @param caller the function named in error messages (a plot that bins for its caller)
/// @throws InvalidArgument naming the caller, argument, index and value
std::vector<CalibrationBin> calibration_bins(std::span<const double> predicted_prob, std::span<const double> label,
                                             int bins = 10, const char* caller = "calibration_bins");

/// Expected calibration error: sum over bins of count / total * |observed_frequency -
/// mean_predicted|. 0 for a perfectly calibrated predictor; 0 if every bin is empty.
double expected_calibration_error(std::span<const CalibrationBin> bins);

}  // namespace elbo
ELBO_API_END
