#include "elbo/plot/contour_panels.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "plot_test_util.hpp"

namespace elbo::plot {
namespace {

using testing::ScratchDir;

// n x n points on [-3, 3]^2 with a smooth field whose boundary is shifted by `shift`.
Grid field(std::size_t n, double shift) {
  Grid g;
  for (std::size_t i = 0; i < n; ++i) {
    g.xs.push_back(-3 + 6.0 * static_cast<double>(i) / static_cast<double>(n - 1));
    g.ys.push_back(g.xs.back());
  }
  for (const double y : g.ys)
    for (const double x : g.xs) g.values.push_back(1 / (1 + std::exp(-3 * (y - std::sin(x) - shift))));
  return g;
}

TEST(contour_panels, draws_two_rows_of_three_panels_with_their_titles) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  std::vector<SurfacePanel> panels;
  for (int k = 0; k < 6; ++k)
    panels.push_back({.title = "panel " + std::to_string(k) + " title",
                      .grid = field(40, 0.2 * k),
                      .colorbar_label = k < 3 ? "mean" : "sd",
                      .palette = k < 3 ? Palette::diverging : Palette::cubehelix,
                      .value_range = k < 3 ? std::optional(std::pair{0.0, 1.0}) : std::nullopt});
  const std::vector<double> x0 = {-1, 0, 1}, x1 = {1, -1, 0.5}, label = {1, 0, 1};
  contour_panels(dir.stem("families"), panels, x0, x1, label,
                 {.title = "Three families", .xlabel = "X", .ylabel = "Y", .width = 1200, .height = 700});
  testing::expect_png_and_svg(dir.stem("families"));
  const std::string svg = testing::read_file(dir.stem("families") + ".svg");
  for (int k = 0; k < 6; ++k) EXPECT_NE(svg.find("panel " + std::to_string(k) + " title"), std::string::npos) << k;
  EXPECT_NE(svg.find("Three families"), std::string::npos);
  // Six surface images, each embedded once.
  size_t images = 0;
  for (size_t at = svg.find("<image"); at != std::string::npos; at = svg.find("<image", at + 1)) ++images;
  EXPECT_EQ(images, 6u);
}

TEST(contour_panels, refuses_bad_panels_and_options_naming_them_and_writes_nothing) {
  ScratchDir dir;
  const std::string stem = dir.stem("s");
  std::vector<SurfacePanel> panels = {{.grid = field(5, 0)}, {.grid = field(5, 0)}};
  EXPECT_THROW_MSG(contour_panels(stem, {}, {}, {}, {}), InvalidArgument,
                   "plot::contour_panels: argument 'panels' is empty");
  EXPECT_THROW_MSG(contour_panels(stem, panels, {}, {}, {}, {.columns = 0}), InvalidArgument,
                   "option 'columns' is 0, but must be in [1, 16]");
  panels[1].grid.values.pop_back();
  EXPECT_THROW_MSG(contour_panels(stem, panels, {}, {}, {}), InvalidArgument,
                   "argument 'panels[1].grid.values' has 24 elements, but must have panels[1].grid.xs.size() * "
                   "panels[1].grid.ys.size() = 5 * 5 = 25");
  panels[1].grid = field(5, 0);
  panels[0].value_range = std::pair{1.0, 1.0};
  EXPECT_THROW_MSG(contour_panels(stem, panels, {}, {}, {}), InvalidArgument,
                   "option 'panels[0].value_range' is [1, 1], but must be finite with first < second");
  panels[0].value_range.reset();
  panels[1].palette = static_cast<Palette>(9);
  EXPECT_THROW_MSG(contour_panels(stem, panels, {}, {}, {}), InvalidArgument,
                   "plot::contour_panels: option 'panels[1].palette' is 9, which is not a Palette");
  panels[1].palette = Palette::gray;
  panels[0].grid.values[3] = std::numeric_limits<double>::infinity();
  EXPECT_THROW_MSG(contour_panels(stem, panels, {}, {}, {}), InvalidArgument,
                   "argument 'panels[0].grid.values' is inf at index 3, but must be finite");
  EXPECT_TRUE(dir.files().empty());
}

}  // namespace
}  // namespace elbo::plot
