#include "elbo/bnn/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "elbo/graph/error.hpp"

namespace elbo {

namespace {

std::string number_text(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

}  // namespace

CalibrationBinSums::CalibrationBinSums(int bins, const char* caller) : caller_(caller) {
  if (bins < 1 || bins > 1000)
    throw InvalidArgument(std::string(caller) + ": argument 'bins' is " + std::to_string(bins) +
                          ", but must be in [1, 1000]");
  bins_.resize(static_cast<std::size_t>(bins));
  sum_p_.assign(bins_.size(), 0.0);
  sum_y_.assign(bins_.size(), 0.0);
  for (std::size_t b = 0; b < bins_.size(); ++b) {
    bins_[b].lower = static_cast<double>(b) / bins;
    bins_[b].upper = static_cast<double>(b + 1) / bins;
  }
}

void CalibrationBinSums::add(std::span<const double> predicted_prob, std::span<const double> label,
                             std::size_t first_index) {
  const std::string& where = caller_;
  if (label.size() != predicted_prob.size())
    throw InvalidArgument(where + ": argument 'label' has " + std::to_string(label.size()) +
                          " elements, but 'predicted_prob' has " + std::to_string(predicted_prob.size()));
  for (std::size_t i = 0; i < predicted_prob.size(); ++i)
    if (!(predicted_prob[i] >= 0 && predicted_prob[i] <= 1))
      throw InvalidArgument(where + ": argument 'predicted_prob' is " + number_text(predicted_prob[i]) + " at index " +
                            std::to_string(first_index + i) + ", but must be a probability in [0, 1]");
  for (std::size_t i = 0; i < label.size(); ++i)
    if (label[i] != 0 && label[i] != 1)
      throw InvalidArgument(where + ": argument 'label' is " + number_text(label[i]) + " at index " +
                            std::to_string(first_index + i) + ", but must be 0 or 1");
  const double n = static_cast<double>(bins_.size());
  for (std::size_t i = 0; i < predicted_prob.size(); ++i) {
    const std::size_t b = std::min(bins_.size() - 1, static_cast<std::size_t>(predicted_prob[i] * n));
    ++bins_[b].count;
    sum_p_[b] += predicted_prob[i];
    sum_y_[b] += label[i];
  }
  rows_ += predicted_prob.size();
}

std::vector<CalibrationBin> CalibrationBinSums::bins() const {
  std::vector<CalibrationBin> out = bins_;
  for (std::size_t b = 0; b < out.size(); ++b) {
    if (out[b].count == 0) continue;
    out[b].mean_predicted = sum_p_[b] / static_cast<double>(out[b].count);
    out[b].observed_frequency = sum_y_[b] / static_cast<double>(out[b].count);
  }
  return out;
}

std::vector<CalibrationBin> calibration_bins(std::span<const double> predicted_prob, std::span<const double> label,
                                             int bins, const char* caller) {
  CalibrationBinSums sums(bins, caller);
  if (predicted_prob.empty()) throw InvalidArgument(std::string(caller) + ": argument 'predicted_prob' is empty");
  sums.add(predicted_prob, label);
  return sums.bins();
}

double expected_calibration_error(std::span<const CalibrationBin> bins) {
  std::size_t total = 0;
  for (const CalibrationBin& b : bins) total += b.count;
  if (total == 0) return 0;
  double ece = 0;
  for (const CalibrationBin& b : bins)
    ece += static_cast<double>(b.count) / static_cast<double>(total) * std::abs(b.observed_frequency - b.mean_predicted);
  return ece;
}

}  // namespace elbo
