// The bins of a reliability diagram and the expected calibration error.
#include "elbo/bnn/calibration.hpp"

#include <cmath>
#include <span>
#include <vector>

#include "support/expect_throw_msg.hpp"
#include "elbo/graph/error.hpp"

namespace elbo {
namespace {

TEST(calibration_bins, counts_means_and_frequencies_per_bin) {
  const std::vector<double> prob = {0.05, 0.15, 0.12, 0.95, 1.0, 0.5, 0.0};
  const std::vector<double> label = {0, 1, 0, 1, 1, 0, 0};
  const std::vector<CalibrationBin> bins = calibration_bins(prob, label, 10);
  ASSERT_EQ(bins.size(), 10u);
  EXPECT_DOUBLE_EQ(bins[0].lower, 0.0);
  EXPECT_DOUBLE_EQ(bins[0].upper, 0.1);
  EXPECT_DOUBLE_EQ(bins[9].upper, 1.0);
  EXPECT_EQ(bins[0].count, 2u);  // 0.05 and 0.0
  EXPECT_DOUBLE_EQ(bins[0].mean_predicted, 0.025);
  EXPECT_DOUBLE_EQ(bins[0].observed_frequency, 0.0);
  EXPECT_EQ(bins[1].count, 2u);  // 0.15 and 0.12
  EXPECT_DOUBLE_EQ(bins[1].mean_predicted, 0.135);
  EXPECT_DOUBLE_EQ(bins[1].observed_frequency, 0.5);
  EXPECT_EQ(bins[5].count, 1u);  // 0.5 opens the bin [0.5, 0.6)
  EXPECT_EQ(bins[9].count, 2u);  // 0.95 and 1.0: the last bin includes 1
  EXPECT_DOUBLE_EQ(bins[9].mean_predicted, 0.975);
  EXPECT_DOUBLE_EQ(bins[9].observed_frequency, 1.0);
  EXPECT_EQ(bins[3].count, 0u);
  EXPECT_EQ(bins[3].mean_predicted, 0.0);
}

TEST(expected_calibration_error, weighs_gaps_by_bin_share) {
  const std::vector<double> prob = {0.05, 0.15, 0.12, 0.95, 1.0, 0.5, 0.0};
  const std::vector<double> label = {0, 1, 0, 1, 1, 0, 0};
  const std::vector<CalibrationBin> bins = calibration_bins(prob, label, 10);
  // (2 |0 - 0.025| + 2 |0.5 - 0.135| + 1 |0 - 0.5| + 2 |1 - 0.975|) / 7
  EXPECT_NEAR(expected_calibration_error(bins), (0.05 + 0.73 + 0.5 + 0.05) / 7, 1e-12);
  EXPECT_EQ(expected_calibration_error(std::vector<CalibrationBin>(3)), 0.0);
}

TEST(expected_calibration_error, is_zero_when_frequencies_match) {
  // In each of two bins, the predicted 0.25 and 0.75 come true a quarter and three quarters
  // of the time.
  const std::vector<double> prob = {0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75};
  const std::vector<double> label = {1, 0, 0, 0, 1, 1, 1, 0};
  EXPECT_NEAR(expected_calibration_error(calibration_bins(prob, label, 2)), 0.0, 1e-15);
}

TEST(calibration_bins, rejects_bad_input_naming_the_argument) {
  const std::vector<double> prob = {0.1, 0.9}, label = {0, 1};
  const std::vector<double> over = {0.1, 1.5}, nan = {std::nan(""), 0.5}, bad_label = {0, 2};
  EXPECT_THROW_MSG(calibration_bins(over, label), InvalidArgument,
                   "calibration_bins: argument 'predicted_prob' is 1.5 at index 1, but must "
                   "be a probability in [0, 1]");
  EXPECT_THROW_MSG(calibration_bins(nan, label), InvalidArgument,
                   "argument 'predicted_prob' is nan at index 0");
  EXPECT_THROW_MSG(calibration_bins(prob, bad_label), InvalidArgument,
                   "argument 'label' is 2 at index 1, but must be 0 or 1");
  EXPECT_THROW_MSG(calibration_bins(prob, std::vector<double>{0}), InvalidArgument,
                   "argument 'label' has 1 elements, but 'predicted_prob' has 2");
  EXPECT_THROW_MSG(calibration_bins({}, {}), InvalidArgument, "argument 'predicted_prob' is empty");
  EXPECT_THROW_MSG(calibration_bins(prob, label, 0), InvalidArgument,
                   "argument 'bins' is 0, but must be in [1, 1000]");
}

TEST(calibration_bin_sums, blocks_in_row_order_give_calibration_bins_bits) {
  // 1,000 rows in blocks of 1, 7 and the rest: every bin's count, mean and frequency
  // equal calibration_bins over all rows bit for bit (the same sums in the same order).
  std::vector<double> prob, label;
  for (int i = 0; i < 1000; ++i) {
    prob.push_back(std::fmod(i * 0.7548776662, 1.0));
    label.push_back(std::fmod(i * 0.5698402910, 1.0) < prob.back() ? 1 : 0);
  }
  const std::vector<CalibrationBin> whole = calibration_bins(prob, label, 10);
  CalibrationBinSums sums(10);
  const std::span<const double> p(prob), y(label);
  sums.add(p.subspan(0, 1), y.subspan(0, 1));
  sums.add(p.subspan(1, 7), y.subspan(1, 7), 1);
  sums.add(p.subspan(8), y.subspan(8), 8);
  EXPECT_EQ(sums.rows(), 1000u);
  const std::vector<CalibrationBin> blocks = sums.bins();
  ASSERT_EQ(blocks.size(), whole.size());
  for (size_t b = 0; b < whole.size(); ++b) {
    EXPECT_EQ(blocks[b].count, whole[b].count) << b;
    EXPECT_EQ(blocks[b].mean_predicted, whole[b].mean_predicted) << b;
    EXPECT_EQ(blocks[b].observed_frequency, whole[b].observed_frequency) << b;
    EXPECT_EQ(blocks[b].lower, whole[b].lower) << b;
  }
  EXPECT_EQ(expected_calibration_error(blocks), expected_calibration_error(whole));
}

TEST(calibration_bin_sums, a_bad_row_is_named_by_its_index_among_all_rows_and_adds_nothing) {
  CalibrationBinSums sums(10, "elbo plot");
  const std::vector<double> prob = {0.2, 0.4}, label = {0, 1}, bad = {0.3, 1.5};
  sums.add(prob, label);
  EXPECT_THROW_MSG(sums.add(bad, label, 2), InvalidArgument,
                   "elbo plot: argument 'predicted_prob' is 1.5 at index 3, but must be a probability in [0, 1]");
  EXPECT_EQ(sums.rows(), 2u);
  size_t counted = 0;
  for (const CalibrationBin& b : sums.bins()) counted += b.count;
  EXPECT_EQ(counted, 2u);
  EXPECT_THROW_MSG(CalibrationBinSums(0, "elbo plot"), InvalidArgument, "elbo plot: argument 'bins' is 0");
}

}  // namespace
}  // namespace elbo
