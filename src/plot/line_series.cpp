#include "elbo/plot/line_series.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "elbo/plot/gnuplot.hpp"
#include "plot/gnuplot_impl.hpp"

namespace elbo::plot {

namespace {

// matplotlib's default colour cycle (tab10), in its own order: blue, orange, green, ...
std::string_view series_color(std::size_t k) {
  static constexpr std::string_view colors[] = {"1f77b4", "ff7f0e", "2ca02c", "d62728",
                                                "9467bd", "8c564b", "e377c2", "7f7f7f",
                                                "bcbd22", "17becf"};
  return colors[k % std::size(colors)];
}

}  // namespace

DecimatedSeries decimate_min_max(std::span<const double> values, std::size_t max_points) {
  if (max_points < 4)
    throw InvalidArgument("plot::decimate_min_max: argument 'max_points' is " +
                          std::to_string(max_points) + ", but must be at least 4");
  DecimatedSeries out;
  const std::size_t n = values.size();
  if (n <= max_points) {
    out.x.resize(n);
    for (std::size_t i = 0; i < n; ++i) out.x[i] = static_cast<double>(i);
    out.y.assign(values.begin(), values.end());
    return out;
  }
  const auto keep = [&](std::size_t i) {
    out.x.push_back(static_cast<double>(i));
    out.y.push_back(values[i]);
  };
  // Interior points 1 .. n-2 in `chunks` near-equal runs; n > max_points >= 2 * chunks + 2,
  // so every run holds at least two points.
  const std::size_t interior = n - 2;
  const std::size_t chunks = (max_points - 2) / 2;
  out.x.reserve(2 * chunks + 2);
  out.y.reserve(2 * chunks + 2);
  keep(0);
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t begin = 1 + static_cast<std::size_t>(
                                      static_cast<std::uint64_t>(c) * interior / chunks);
    const std::size_t end = 1 + static_cast<std::size_t>(
                                    static_cast<std::uint64_t>(c + 1) * interior / chunks);
    std::size_t lo = begin, hi = begin;
    for (std::size_t i = begin + 1; i < end; ++i) {
      if (values[i] < values[lo]) lo = i;
      if (values[i] > values[hi]) hi = i;
    }
    if (lo == hi) {
      keep(lo);
    } else {
      keep(std::min(lo, hi));
      keep(std::max(lo, hi));
    }
  }
  keep(n - 1);
  return out;
}

void line_series(const std::string& stem, const std::vector<Series>& series,
                 const LineOptions& options) {
  constexpr const char* where = "plot::line_series";
  detail::check_stem(where, stem);
  detail::check_size(where, options.width, options.height);
  if (!(options.alpha > 0 && options.alpha <= 1))
    throw InvalidArgument(std::string(where) + ": option 'alpha' is " +
                          detail::number_text(options.alpha) + ", but must be in (0, 1]");
  if (options.max_points < 4)
    throw InvalidArgument(std::string(where) + ": option 'max_points' is " +
                          std::to_string(options.max_points) + ", but must be at least 4");
  detail::check_not_empty(where, "series", series.size());
  for (std::size_t k = 0; k < series.size(); ++k) {
    const std::string name = "series[" + std::to_string(k) + "] ('" + series[k].name + "')";
    if (series[k].values.empty())
      throw InvalidArgument(std::string(where) + ": argument '" + name + "' is empty");
    detail::check_finite(where, name, series[k].values);
    if (options.log_y)
      for (std::size_t i = 0; i < series[k].values.size(); ++i)
        if (series[k].values[i] <= 0)
          throw InvalidArgument(std::string(where) + ": argument '" + name + "' is " +
                                detail::number_text(series[k].values[i]) + " at index " +
                                std::to_string(i) + ", but must be positive with option 'log_y'");
  }

  std::string data;
  std::size_t longest = 0;
  for (std::size_t k = 0; k < series.size(); ++k) {
    const DecimatedSeries points = decimate_min_max(series[k].values, options.max_points);
    longest = std::max(longest, series[k].values.size());
    data += "$s" + std::to_string(k) + " << EOD\n";
    for (std::size_t i = 0; i < points.x.size(); ++i) {
      detail::append_number(data, points.x[i]);
      data += ' ';
      detail::append_number(data, points.y[i]);
      data += '\n';
    }
    data += "EOD\n";
  }

  // gnuplot's colour "#AARRGGBB" takes transparency, 00 opaque.
  const int transparency = static_cast<int>(std::lround((1.0 - options.alpha) * 255.0));
  char alpha_hex[3];
  std::snprintf(alpha_hex, sizeof alpha_hex, "%02x", transparency);

  std::string commands;
  detail::append_labels(commands, options.title, options.xlabel, options.ylabel);
  commands += "set border 3\nset tics nomirror\nset grid lc rgb '#e5e5e5'\n";
  commands += "set key top right box opaque\n";
  if (options.log_y) commands += "set logscale y\n";
  commands += "set xrange [0:";
  detail::append_number(commands, static_cast<double>(longest > 1 ? longest - 1 : 1));
  commands += "]\n";
  commands += "plot ";
  for (std::size_t k = 0; k < series.size(); ++k) {
    if (k) commands += ", \\\n  ";
    commands += "$s" + std::to_string(k) + " using 1:2 with lines lw 1.5 lc rgb '#" +
                std::string(alpha_hex) + std::string(series_color(k)) + "' " +
                (series[k].name.empty() ? std::string("notitle")
                                        : "title " + detail::gnuplot_quoted(series[k].name));
  }
  commands += "\n";
  detail::render(where, stem, options.width, options.height, data, commands);
}

}  // namespace elbo::plot
