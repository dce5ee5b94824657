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

TEST(reliability_diagram, from_bins_draws_the_same_figure_as_from_its_points) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  std::vector<double> prob, label;
  for (int i = 0; i < 300; ++i) {
    prob.push_back((i + 0.5) / 300);
    label.push_back(std::fmod(i * 0.618034, 1.0) < prob.back() ? 1 : 0);
  }
  reliability_diagram(dir.stem("points"), prob, label);
  reliability_diagram(dir.stem("bins"), calibration_bins(prob, label));
  EXPECT_EQ(testing::read_file(dir.stem("points") + ".svg"), testing::read_file(dir.stem("bins") + ".svg"));
  EXPECT_THROW_MSG(reliability_diagram(dir.stem("none"), std::span<const CalibrationBin>{}), InvalidArgument,
                   "plot::reliability_diagram: argument 'bins' is empty");
}

}  // namespace
}  // namespace elbo::plot
