#include "elbo/plot/reliability_diagram.hpp"

#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "plot_test_util.hpp"

namespace elbo::plot {
namespace {

using testing::ScratchDir;

TEST(reliability_diagram, writes_png_and_svg_with_the_calibration_error) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  std::vector<double> prob, label;
  for (int i = 0; i < 400; ++i) {
    const double p = (i + 0.5) / 400;
    prob.push_back(p);
    label.push_back(std::fmod(i * 0.618034, 1.0) < p * p ? 1 : 0);  // over-confident model
  }
  reliability_diagram(dir.stem("reliability"), prob, label, {.bins = 8, .name = "BNN"});
  testing::expect_png_and_svg(dir.stem("reliability"));
  const std::string svg = testing::read_file(dir.stem("reliability") + ".svg");
  for (const char* text : {"Reliability diagram", "Perfectly calibrated", "BNN (ECE = ",
                           "Mean predicted probability", "Observed frequency", "Count"})
    EXPECT_NE(svg.find(text), std::string::npos) << text;
}

TEST(reliability_diagram, rejects_bad_input_with_its_own_name) {
  ScratchDir dir;
  const std::vector<double> prob = {0.1, 0.9}, label = {0, 1};
  EXPECT_THROW_MSG(reliability_diagram(dir.stem("r"), prob, label, {.bins = -2}), InvalidArgument,
                   "plot::reliability_diagram: argument 'bins' is -2");
  EXPECT_TRUE(dir.files().empty());
}

TEST(reliability_diagram, from_bins_draws_those_bins_and_their_calibration_error) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  // Ten bins, two of them filled: 30 predictions at mean 0.25 with frequency 0.1, 70 at
  // 0.8 with 0.95. ECE = 0.3 * 0.15 + 0.7 * 0.15 = 0.150.
  std::vector<CalibrationBin> bins(10);
  for (size_t b = 0; b < bins.size(); ++b) {
    bins[b].lower = b / 10.0;
    bins[b].upper = (b + 1) / 10.0;
  }
  bins[2] = {.lower = 0.2, .upper = 0.3, .count = 30, .mean_predicted = 0.25, .observed_frequency = 0.1};
  bins[8] = {.lower = 0.8, .upper = 0.9, .count = 70, .mean_predicted = 0.8, .observed_frequency = 0.95};
  reliability_diagram(dir.stem("bins"), bins, {.title = "From bins", .name = "BNN"});
  testing::expect_png_and_svg(dir.stem("bins"));
  const std::string svg = testing::read_file(dir.stem("bins") + ".svg");
  for (const char* text : {"From bins", "BNN (ECE = 0.150)", "Count"}) EXPECT_NE(svg.find(text), std::string::npos) << text;
  EXPECT_THROW_MSG(reliability_diagram(dir.stem("none"), std::span<const CalibrationBin>{}), InvalidArgument,
                   "plot::reliability_diagram: argument 'bins' is empty");
}

}  // namespace
}  // namespace elbo::plot
