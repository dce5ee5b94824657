#include "elbo/plot/reliability_diagram.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "elbo/plot/gnuplot.hpp"
#include "plot/gnuplot_impl.hpp"

namespace elbo::plot {

namespace {
constexpr const char* kWhere = "plot::reliability_diagram";
}

void reliability_diagram(const std::string& stem, std::span<const double> predicted_prob,
                         std::span<const double> label, const ReliabilityOptions& options) {
  detail::check_stem(kWhere, stem);
  detail::check_size(kWhere, options.width, options.height);
  reliability_diagram(stem, calibration_bins(predicted_prob, label, options.bins, kWhere), options);
}

void reliability_diagram(const std::string& stem, std::span<const CalibrationBin> bins,
                         const ReliabilityOptions& options) {
  constexpr const char* where = kWhere;
  detail::check_stem(where, stem);
  detail::check_size(where, options.width, options.height);
  if (bins.empty()) throw InvalidArgument(std::string(where) + ": argument 'bins' is empty");
  const double ece = expected_calibration_error(bins);

  // Columns: bin centre, bin width, count, mean predicted, observed frequency. Empty bins are
  // left out of $curve but kept (count 0) in $counts.
  std::string data = "$curve << EOD\n";
  std::string counts = "$counts << EOD\n";
  for (const CalibrationBin& b : bins) {
    detail::append_number(counts, 0.5 * (b.lower + b.upper));
    counts += ' ';
    detail::append_number(counts, b.upper - b.lower);
    counts += ' ';
    counts += std::to_string(b.count);
    counts += '\n';
    if (b.count == 0) continue;
    detail::append_number(data, b.mean_predicted);
    data += ' ';
    detail::append_number(data, b.observed_frequency);
    data += '\n';
  }
  data += "EOD\n" + counts + "EOD\n";

  char ece_text[64];
  std::snprintf(ece_text, sizeof ece_text, " (ECE = %.3f)", ece);
  std::string commands = "set multiplot\n";
  commands += "set lmargin at screen 0.12\nset rmargin at screen 0.95\n";
  // Upper panel: the calibration curve.
  commands += "set tmargin at screen 0.92\nset bmargin at screen 0.38\n";
  if (!options.title.empty()) commands += "set title " + detail::gnuplot_quoted(options.title) + "\n";
  if (!options.ylabel.empty()) commands += "set ylabel " + detail::gnuplot_quoted(options.ylabel) + "\n";
  commands += "set xrange [0:1]\nset yrange [0:1]\nset format x ''\n";
  commands += "set border 3\nset tics nomirror\nset grid lc rgb '#e5e5e5'\n";
  commands += "set key top left box opaque\n";
  commands += "plot x with lines dt 2 lw 1.5 lc rgb '#7f7f7f' title 'Perfectly calibrated', \\\n"
              "  $curve using 1:2 with linespoints pt 7 ps 1 lw 2 lc rgb '#1f77b4' title " +
              detail::gnuplot_quoted(options.name + ece_text) + "\n";
  // Lower panel: predictions per bin.
  commands += "unset title\nunset key\n";
  commands += "set tmargin at screen 0.30\nset bmargin at screen 0.09\n";
  commands += "set format x '% h'\nset ylabel 'Count'\nset yrange [0:*]\n";
  if (!options.xlabel.empty()) commands += "set xlabel " + detail::gnuplot_quoted(options.xlabel) + "\n";
  commands += "set style fill solid 0.7 border rgb '#1f77b4'\n";
  commands += "plot $counts using 1:3:2 with boxes lc rgb '#1f77b4' notitle\n";
  commands += "unset multiplot\n";
  detail::render(where, stem, options.width, options.height, data, commands);
}

}  // namespace elbo::plot
