#pragma once
// Private helpers of the plot layer: argument checks, gnuplot script text, and rendering a
// script to `<stem>.png` and `<stem>.svg`.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace elbo::plot::detail {

// ---- argument checks; `where` is the public function, e.g. "plot::scatter_classes" ----

/// The stem is non-empty, does not end in a separator, and its directory exists.
void check_stem(const char* where, const std::string& stem);
/// A figure size in pixels within [100, 10000].
void check_size(const char* where, int width, int height);
/// Option 'point_size' in (0, 20].
void check_point_size(const char* where, double point_size);
void check_not_empty(const char* where, const char* name, std::size_t size);
void check_same_length(const char* where, const char* name, std::size_t size,
                       const char* reference_name, std::size_t reference_size);
/// Every value finite; the message names the argument, index and value.
void check_finite(const char* where, std::string_view name, std::span<const double> values);
/// Whole numbers in [0, 256); returns them as ints.
std::vector<int> class_indices(const char* where, const char* name,
                               std::span<const double> label);

// ---- script text ----

/// `text` as a gnuplot single-quoted string: quotes doubled, control characters as spaces.
std::string gnuplot_quoted(std::string_view text);
/// Appends the shortest decimal form that reads back as `value`.
void append_number(std::string& out, double value);
/// The same as a string ("nan", "inf" for those), for messages.
std::string number_text(double value);
/// Colour of class / series k: matplotlib's tab10 cycle, with red second as in the tutorial.
std::string_view class_color(int k);
/// `set title/xlabel/ylabel`, skipping empty ones.
void append_labels(std::string& commands, const std::string& title, const std::string& xlabel,
                   const std::string& ylabel);
/// Datablocks `$<prefix><k>` with the points of each class k and the plot clauses that draw
/// them ("$c0 using 1:2 ... title 'Class 0'", no separating commas). `z_column` adds
/// ":(0)" for splot; `outline` draws each point over a slightly larger white one, so that
/// points stay visible on dark colours.
struct ClassPoints {
  std::string data;
  std::vector<std::string> clauses;
};
ClassPoints class_points(std::span<const double> x0, std::span<const double> x1,
                         const std::vector<int>& classes,
                         const std::vector<std::string>& class_names, double point_size,
                         bool z_column, bool outline);

/// A file the script reads, written to the script's temporary directory; the script names
/// it as `data_dir.'<name>'`.
struct DataFile {
  std::string name;
  std::string bytes;
};

/// Runs gnuplot on `data` (datablock definitions, run once) followed, for each of PNG and
/// SVG, by `commands` (settings and plot commands, run after `reset` with the terminal and
/// output set; the variable `is_svg` is 0 or 1). Writes `<stem>.png` and `<stem>.svg`
/// atomically: both are rendered to temporary files in the target directory and renamed
/// only when gnuplot succeeded and both are non-empty.
/// @throws GnuplotMissing, or Error with gnuplot's stderr
void render(const char* where, const std::string& stem, int width, int height,
            const std::string& data, const std::string& commands,
            const std::vector<DataFile>& files = {});

}  // namespace elbo::plot::detail
