// Finding gnuplot, and what happens when it is missing or fails: a specific exception, its
// message, and no figure or temporary file left behind.
#include <sys/stat.h>

#include <vector>

#include "elbo/plot/gnuplot.hpp"
#include "elbo/plot/scatter_classes.hpp"
#include "plot_test_util.hpp"

namespace elbo::plot {
namespace {

namespace fs = std::filesystem;
using testing::ScopedEnv;
using testing::ScratchDir;

const std::vector<double> x0 = {0.0, 1.0, 2.0};
const std::vector<double> x1 = {1.0, 0.5, 0.0};
const std::vector<double> label = {0, 1, 1};

// A stand-in for gnuplot: a shell script with the given body.
std::string fake_gnuplot(const ScratchDir& dir, const std::string& body) {
  const std::string path = (dir.path() / "fake-gnuplot").string();
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  ::chmod(path.c_str(), 0755);
  return path;
}

TEST(gnuplot, elbo_gnuplot_names_the_executable) {
  ScratchDir dir;
  const std::string fake = fake_gnuplot(dir, "exit 0");
  ScopedEnv env("ELBO_GNUPLOT", fake);
  EXPECT_EQ(gnuplot_executable(), fake);
  EXPECT_TRUE(gnuplot_available());
}

TEST(gnuplot, is_found_on_path) {
  ScratchDir dir;
  fs::create_directory(dir.path() / "bin");
  const std::string fake = (dir.path() / "bin" / "gnuplot").string();
  std::ofstream(fake) << "#!/bin/sh\nexit 0\n";
  ::chmod(fake.c_str(), 0755);
  ScopedEnv unset("ELBO_GNUPLOT", std::nullopt);
  ScopedEnv path("PATH", "/nonexistent-dir:" + (dir.path() / "bin").string());
  EXPECT_EQ(gnuplot_executable(), fake);
}

TEST(gnuplot, missing_executable_throws_gnuplot_missing_and_writes_nothing) {
  ScratchDir dir;
  ScopedEnv env("ELBO_GNUPLOT", "/nonexistent/gnuplot");
  EXPECT_FALSE(gnuplot_available());
  EXPECT_EQ(gnuplot_executable(), "");
  EXPECT_THROW_MSG(scatter_classes(dir.stem("data"), x0, x1, label), GnuplotMissing,
                   "plot::scatter_classes: gnuplot not found");
  EXPECT_TRUE(dir.files().empty());
}

TEST(gnuplot, missing_is_an_elbo_error) {
  ScopedEnv env("ELBO_GNUPLOT", "/nonexistent/gnuplot");
  ScratchDir dir;
  EXPECT_THROW(scatter_classes(dir.stem("data"), x0, x1, label), Error);
}

TEST(gnuplot, bad_input_is_reported_before_looking_for_gnuplot) {
  ScopedEnv env("ELBO_GNUPLOT", "/nonexistent/gnuplot");
  ScratchDir dir;
  const std::vector<double> short_x1 = {1.0};
  EXPECT_THROW_MSG(scatter_classes(dir.stem("data"), x0, short_x1, label), InvalidArgument,
                   "argument 'x1' has 1 elements, but 'x0' has 3");
}

TEST(gnuplot, failure_reports_its_message_and_keeps_the_old_figure) {
  ScratchDir dir;
  const std::string fake =
      fake_gnuplot(dir, "echo 'line 7: unknown terminal type' >&2\nexit 3");
  ScopedEnv env("ELBO_GNUPLOT", fake);
  std::ofstream(dir.stem("data") + ".png") << "old figure";
  EXPECT_THROW_MSG(scatter_classes(dir.stem("data"), x0, x1, label), Error,
                   "(exit status 3): line 7: unknown terminal type");
  EXPECT_EQ(testing::read_file(dir.stem("data") + ".png"), "old figure");
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"data.png", "fake-gnuplot"}));
}

TEST(gnuplot, empty_output_is_a_failure) {
  ScratchDir dir;
  const std::string fake = fake_gnuplot(dir, "exit 0");
  ScopedEnv env("ELBO_GNUPLOT", fake);
  EXPECT_THROW_MSG(scatter_classes(dir.stem("data"), x0, x1, label), Error,
                   "wrote nothing for '" + dir.stem("data") + ".png'");
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"fake-gnuplot"}));
}

TEST(gnuplot, success_leaves_exactly_the_two_figures) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  scatter_classes(dir.stem("data"), x0, x1, label);
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"data.png", "data.svg"}));
  // Figures get ordinary permissions (umask applies), not a temporary file's 0600.
  struct stat st {};
  ASSERT_EQ(::stat((dir.stem("data") + ".png").c_str(), &st), 0);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
}

TEST(gnuplot, replaces_an_existing_figure) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  std::ofstream(dir.stem("data") + ".png") << "old figure";
  scatter_classes(dir.stem("data"), x0, x1, label);
  testing::expect_png_and_svg(dir.stem("data"));
}

TEST(gnuplot, stem_must_be_in_an_existing_directory) {
  ScratchDir dir;
  EXPECT_THROW_MSG(scatter_classes(dir.stem("no/such/dir/data"), x0, x1, label), InvalidArgument,
                   "plot::scatter_classes: argument 'stem' is '" + dir.stem("no/such/dir/data") +
                       "', but its directory '" + dir.stem("no/such/dir") + "' does not exist");
  EXPECT_THROW_MSG(scatter_classes("", x0, x1, label), InvalidArgument,
                   "argument 'stem' is empty");
  EXPECT_THROW_MSG(scatter_classes(dir.stem("data") + "/", x0, x1, label), InvalidArgument,
                   "must not end in '/'");
  EXPECT_THROW_MSG(scatter_classes(dir.stem("da\nta"), x0, x1, label), InvalidArgument,
                   "argument 'stem' contains a control character");
}

TEST(gnuplot, figure_size_is_checked) {
  ScratchDir dir;
  EXPECT_THROW_MSG(scatter_classes(dir.stem("data"), x0, x1, label, {.width = 10}),
                   InvalidArgument, "option 'width' is 10, but must be in [100, 10000] pixels");
  EXPECT_THROW_MSG(scatter_classes(dir.stem("data"), x0, x1, label, {.height = 20000}),
                   InvalidArgument, "option 'height' is 20000");
}

TEST(gnuplot, text_with_quotes_and_underscores_is_drawn_literally) {
  ELBO_SKIP_WITHOUT_GNUPLOT();
  ScratchDir dir;
  scatter_classes(dir.stem("data"), x0, x1, label,
                  {.title = "it's w_in_1 ^2 {x} & \u03c3", .class_names = {"a'b", "c_d"}});
  const std::string svg = testing::read_file(dir.stem("data") + ".svg");
  EXPECT_NE(svg.find("it's w_in_1 ^2 {x} &amp; \u03c3"), std::string::npos);
  EXPECT_NE(svg.find("a'b"), std::string::npos);
  EXPECT_NE(svg.find("c_d"), std::string::npos);
}

}  // namespace
}  // namespace elbo::plot
