#include "elbo/plot/contour_surface.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "plot_test_util.hpp"

namespace elbo::plot {
namespace {

using testing::ScratchDir;

// The tutorial's grid: n x n points on [-3, 3]^2, with a smooth decision surface.
Grid surface(std::size_t n) {
  Grid g;
  for (std::size_t i = 0; i < n; ++i) {
    g.xs.push_back(-3 + 6.0 * static_cast<double>(i) / static_cast<double>(n - 1));
    g.ys.push_back(g.xs.back());
  }
  for (const double y : g.ys)
    for (const double x : g.xs) g.values.push_back(1 / (1 + std::exp(-3 * (y - std::sin(x)))));
  return g;
}

TEST(contour_surface, writes_png_and_svg_with_colour_bar_and_points) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  const std::vector<double> x0 = {-1, 0, 1, 2.5}, x1 = {1, -1, 0.5, -2}, label = {1, 0, 1, 0};
  contour_surface(dir.stem("mean"), surface(100), x0, x1, label,
                  {.xlabel = "X",
                   .ylabel = "Y",
                   .colorbar_label = "Posterior predictive mean probability of class label = 0",
                   .value_range = std::pair{0.0, 1.0}});
  testing::expect_png_and_svg(dir.stem("mean"));
  const std::string svg = testing::read_file(dir.stem("mean") + ".svg");
  EXPECT_NE(svg.find("Posterior predictive mean probability of class label = 0"),
            std::string::npos);
  EXPECT_NE(svg.find("Class 1"), std::string::npos);
}

TEST(contour_surface, draws_every_palette_without_points) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  for (const Palette palette :
       {Palette::diverging, Palette::cubehelix, Palette::viridis, Palette::gray}) {
    const std::string stem = dir.stem("sd" + std::to_string(static_cast<int>(palette)));
    contour_surface(stem, surface(20), {}, {}, {}, {.palette = palette, .levels = 0});
    testing::expect_png_and_svg(stem);
  }
}

TEST(contour_surface, draws_a_non_uniform_grid) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  Grid g{.xs = {-3, -1, -0.5, 0, 0.25, 3}, .ys = {-2, 0, 0.1, 2}, .values = {}};
  for (const double y : g.ys)
    for (const double x : g.xs) g.values.push_back(x * y);
  contour_surface(dir.stem("uneven"), g, {}, {}, {}, {.width = 400, .height = 300});
  testing::expect_png_and_svg(dir.stem("uneven"));
}

TEST(contour_surface, draws_a_constant_surface) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  contour_surface(dir.stem("flat"), {.xs = {0, 1}, .ys = {0, 1}, .values = {2, 2, 2, 2}}, {}, {},
                  {});
  testing::expect_png_and_svg(dir.stem("flat"));
}

TEST(contour_surface, rejects_bad_grids_naming_the_argument) {
  ScratchDir dir;
  const std::string stem = dir.stem("s");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW_MSG(contour_surface(stem, {.xs = {0}, .ys = {0, 1}, .values = {0, 0}}, {}, {}, {}),
                   InvalidArgument,
                   "plot::contour_surface: argument 'grid.xs' has 1 elements, but needs at least 2");
  EXPECT_THROW_MSG(
      contour_surface(stem, {.xs = {0, 1}, .ys = {0, 2, 1}, .values = {0, 0, 0, 0, 0, 0}}, {}, {},
                      {}),
      InvalidArgument, "argument 'grid.ys' is 1 at index 2 after 2, but must be strictly increasing");
  EXPECT_THROW_MSG(contour_surface(stem, {.xs = {0, 1, 2}, .ys = {0, 1}, .values = {0, 0, 0}}, {},
                                   {}, {}),
                   InvalidArgument,
                   "argument 'grid.values' has 3 elements, but must have grid.xs.size() * "
                   "grid.ys.size() = 3 * 2 = 6");
  EXPECT_THROW_MSG(contour_surface(stem, {.xs = {0, 1}, .ys = {0, 1}, .values = {0, 0, nan, 0}},
                                   {}, {}, {}),
                   InvalidArgument, "argument 'grid.values' is nan at index 2, but must be finite");
}

TEST(contour_surface, rejects_bad_points_and_options) {
  ScratchDir dir;
  const std::string stem = dir.stem("s");
  const Grid g = surface(5);
  const std::vector<double> two = {0, 1}, three = {0, 1, 1}, bad_label = {0, 1, 7.5};
  EXPECT_THROW_MSG(contour_surface(stem, g, three, two, three), InvalidArgument,
                   "argument 'x1' has 2 elements, but 'x0' has 3");
  EXPECT_THROW_MSG(contour_surface(stem, g, three, three, bad_label), InvalidArgument,
                   "argument 'label' is 7.5 at index 2");
  EXPECT_THROW_MSG(contour_surface(stem, g, {}, {}, {}, {.levels = -1}), InvalidArgument,
                   "option 'levels' is -1, but must be 0 (continuous) or in [2, 256]");
  EXPECT_THROW_MSG(contour_surface(stem, g, {}, {}, {}, {.levels = 1}), InvalidArgument,
                   "option 'levels' is 1, but must be 0 (continuous) or in [2, 256]");
  EXPECT_THROW_MSG(contour_surface(stem, g, {}, {}, {}, {.value_range = std::pair{1.0, 0.0}}),
                   InvalidArgument, "option 'value_range' is [1, 0], but must be finite with first < second");
  EXPECT_THROW_MSG(contour_surface(stem, g, {}, {}, {}, {.palette = static_cast<Palette>(42)}),
                   InvalidArgument, "option 'palette' is 42");
  EXPECT_TRUE(dir.files().empty());
}

}  // namespace
}  // namespace elbo::plot
