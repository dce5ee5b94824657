#include "elbo/plot/scatter_classes.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "plot_test_util.hpp"

namespace elbo::plot {
namespace {

using testing::ScratchDir;

struct Points {
  std::vector<double> x0, x1, label;
};

// Two noisy arcs, like make_moons.
Points moons(int n) {
  Points p;
  for (int i = 0; i < n; ++i) {
    const double t = M_PI * i / (n - 1);
    const int c = i % 2;
    p.x0.push_back(c ? 1 - std::cos(t) : std::cos(t));
    p.x1.push_back((c ? 0.5 - std::sin(t) : std::sin(t)) + 0.05 * std::sin(37.0 * i));
    p.label.push_back(c);
  }
  return p;
}

TEST(scatter_classes, writes_png_and_svg_with_a_legend) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  const Points p = moons(200);
  scatter_classes(dir.stem("data"), p.x0, p.x1, p.label,
                  {.title = "Toy binary classification data set", .xlabel = "X", .ylabel = "Y"});
  testing::expect_png_and_svg(dir.stem("data"));
  const std::string svg = testing::read_file(dir.stem("data") + ".svg");
  for (const char* text : {"Toy binary classification data set", "Class 0", "Class 1"})
    EXPECT_NE(svg.find(text), std::string::npos) << text;
}

TEST(scatter_classes, draws_more_classes_with_their_names) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  const std::vector<double> x0 = {0, 1, 2, 3}, x1 = {0, 1, 0, 1}, label = {0, 2, 2, 3};
  scatter_classes(dir.stem("classes"), x0, x1, label, {.class_names = {"zero", "never drawn", "two"}});
  testing::expect_png_and_svg(dir.stem("classes"));
  const std::string svg = testing::read_file(dir.stem("classes") + ".svg");
  EXPECT_NE(svg.find("zero"), std::string::npos);
  EXPECT_NE(svg.find("two"), std::string::npos);
  EXPECT_NE(svg.find("Class 3"), std::string::npos);  // beyond class_names
  EXPECT_EQ(svg.find("never drawn"), std::string::npos);      // class 1 has no points
}

TEST(scatter_classes, rejects_bad_input_naming_the_argument) {
  ScratchDir dir;
  const std::string stem = dir.stem("data");
  const std::vector<double> empty, two = {0, 1}, three = {0, 1, 1};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW_MSG(scatter_classes(stem, empty, empty, empty), InvalidArgument,
                   "plot::scatter_classes: argument 'x0' is empty");
  EXPECT_THROW_MSG(scatter_classes(stem, three, two, three), InvalidArgument,
                   "argument 'x1' has 2 elements, but 'x0' has 3");
  EXPECT_THROW_MSG(scatter_classes(stem, three, three, two), InvalidArgument,
                   "argument 'label' has 2 elements, but 'x0' has 3");
  const std::vector<double> with_nan = {0, nan, 1};
  EXPECT_THROW_MSG(scatter_classes(stem, three, with_nan, three), InvalidArgument,
                   "argument 'x1' is nan at index 1, but must be finite");
  const std::vector<double> with_inf = {0, 1, -std::numeric_limits<double>::infinity()};
  EXPECT_THROW_MSG(scatter_classes(stem, with_inf, three, three), InvalidArgument,
                   "argument 'x0' is -inf at index 2, but must be finite");
  const std::vector<double> fractional = {0, 1.5, 1}, negative = {0, 1, -1};
  EXPECT_THROW_MSG(scatter_classes(stem, three, three, fractional), InvalidArgument,
                   "argument 'label' is 1.5 at index 1, but must be a class index 0, 1, ..., 255");
  EXPECT_THROW_MSG(scatter_classes(stem, three, three, negative), InvalidArgument,
                   "argument 'label' is -1 at index 2");
  EXPECT_THROW_MSG(scatter_classes(stem, three, three, three, {.point_size = 0}),
                   InvalidArgument, "option 'point_size' is 0, but must be in (0, 20]");
  EXPECT_TRUE(dir.files().empty());
}

}  // namespace
}  // namespace elbo::plot
