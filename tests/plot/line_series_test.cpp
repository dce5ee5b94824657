#include "elbo/plot/line_series.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "plot_test_util.hpp"

namespace elbo::plot {
namespace {

using testing::ScratchDir;

// A loss history: exponential decay plus deterministic noise.
std::vector<double> loss_history(std::size_t n, double rate, double noise) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = 150 + 3000 * std::exp(-rate * static_cast<double>(i)) +
           noise * std::sin(12.9898 * static_cast<double>(i) + 0.3 * static_cast<double>(i % 7));
  return v;
}

TEST(decimate_min_max, keeps_a_short_series_whole) {
  const std::vector<double> v = {3, 1, 2, 5};
  const DecimatedSeries d = decimate_min_max(v, 4);
  EXPECT_EQ(d.x, (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(d.y, v);
  EXPECT_TRUE(decimate_min_max(std::vector<double>{}, 10).x.empty());
}

TEST(decimate_min_max, bounds_length_and_keeps_ends_and_extremes) {
  for (const std::size_t n : {4001u, 4002u, 9999u, 40000u, 123457u}) {
    for (const std::size_t max_points : {4u, 5u, 100u, 4000u}) {
      std::vector<double> v = loss_history(n, 1e-3, 20);
      v[n / 3] = 1e6;    // a spike that must survive
      v[n / 2] = -1e6;   // and a dip
      const DecimatedSeries d = decimate_min_max(v, max_points);
      SCOPED_TRACE("n = " + std::to_string(n) + ", max_points = " + std::to_string(max_points));
      ASSERT_EQ(d.x.size(), d.y.size());
      EXPECT_LE(d.x.size(), max_points);
      EXPECT_GE(d.x.size(), max_points - 1);  // 2 per chunk, ends kept, one chunk spare if odd
      EXPECT_EQ(d.x.front(), 0);
      EXPECT_EQ(d.y.front(), v.front());
      EXPECT_EQ(d.x.back(), static_cast<double>(n - 1));
      EXPECT_EQ(d.y.back(), v.back());
      EXPECT_TRUE(std::is_sorted(d.x.begin(), d.x.end()));
      EXPECT_EQ(std::adjacent_find(d.x.begin(), d.x.end()), d.x.end());  // strictly increasing
      for (std::size_t i = 0; i < d.x.size(); ++i)
        EXPECT_EQ(d.y[i], v[static_cast<std::size_t>(d.x[i])]);  // points are real samples
      EXPECT_EQ(*std::max_element(d.y.begin(), d.y.end()), 1e6);
      EXPECT_EQ(*std::min_element(d.y.begin(), d.y.end()), -1e6);
    }
  }
}

TEST(decimate_min_max, takes_the_minimum_and_maximum_of_each_chunk) {
  // 10 values, max_points 8: the 8 interior values fall in 3 chunks, [1, 3), [3, 6), [6, 9).
  const std::vector<double> v = {0, 5, 4, 7, 9, 8, 1, 3, 2, 6};
  const DecimatedSeries d = decimate_min_max(v, 8);
  EXPECT_EQ(d.x, (std::vector<double>{0, 1, 2, 3, 4, 6, 7, 9}));
  EXPECT_EQ(d.y, (std::vector<double>{0, 5, 4, 7, 9, 1, 3, 6}));
}

TEST(decimate_min_max, needs_at_least_four_points) {
  EXPECT_THROW_MSG(decimate_min_max(std::vector<double>(10, 1.0), 3), InvalidArgument,
                   "plot::decimate_min_max: argument 'max_points' is 3, but must be at least 4");
}

TEST(line_series, writes_png_and_svg_for_long_overlaid_histories) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  const std::vector<Series> series = {{"new ADVI", loss_history(40000, 5e-4, 20)},
                                      {"new ADVI no scaling", loss_history(30000, 3e-4, 40)},
                                      {"", loss_history(100, 1e-2, 5)}};
  line_series(dir.stem("loss"), series, {.title = "Loss", .ylabel = "-ELBO"});
  testing::expect_png_and_svg(dir.stem("loss"));
  const std::string svg = testing::read_file(dir.stem("loss") + ".svg");
  EXPECT_NE(svg.find("new ADVI no scaling"), std::string::npos);
  EXPECT_NE(svg.find("Iteration"), std::string::npos);
  // Decimated: the SVG holds at most 4000 vertices per series, not 70,000 (about 12 bytes
  // each in gnuplot's path syntax).
  EXPECT_LT(svg.size(), 400'000u);
}

TEST(line_series, draws_a_logarithmic_axis) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  line_series(dir.stem("loss"), {{"run", loss_history(500, 1e-2, 1)}}, {.alpha = 1, .log_y = true});
  testing::expect_png_and_svg(dir.stem("loss"));
}

TEST(line_series, rejects_bad_input_naming_the_series) {
  ScratchDir dir;
  const std::string stem = dir.stem("loss");
  EXPECT_THROW_MSG(line_series(stem, {}), InvalidArgument,
                   "plot::line_series: argument 'series' is empty");
  EXPECT_THROW_MSG(line_series(stem, {{"a", {1, 2}}, {"b", {}}}), InvalidArgument,
                   "argument 'series[1] ('b')' is empty");
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW_MSG(line_series(stem, {{"a", {1, 2}}, {"b", {1, 2, inf}}}), InvalidArgument,
                   "argument 'series[1] ('b')' is inf at index 2, but must be finite");
  EXPECT_THROW_MSG(line_series(stem, {{"a", {1, 0}}}, {.log_y = true}), InvalidArgument,
                   "argument 'series[0] ('a')' is 0 at index 1, but must be positive with "
                   "option 'log_y'");
  EXPECT_THROW_MSG(line_series(stem, {{"a", {1, 2}}}, {.alpha = 0}), InvalidArgument,
                   "option 'alpha' is 0, but must be in (0, 1]");
  EXPECT_THROW_MSG(line_series(stem, {{"a", {1, 2}}}, {.max_points = 2}), InvalidArgument,
                   "option 'max_points' is 2, but must be at least 4");
  EXPECT_TRUE(dir.files().empty());
}

}  // namespace
}  // namespace elbo::plot
