#include "elbo/plot/scatter_classes.hpp"

#include "elbo/plot/gnuplot.hpp"
#include "plot/gnuplot_impl.hpp"

namespace elbo::plot {

void scatter_classes(const std::string& stem, std::span<const double> x0,
                     std::span<const double> x1, std::span<const double> label,
                     const ScatterOptions& options) {
  constexpr const char* where = "plot::scatter_classes";
  detail::check_stem(where, stem);
  detail::check_size(where, options.width, options.height);
  detail::check_point_size(where, options.point_size);
  detail::check_not_empty(where, "x0", x0.size());
  detail::check_same_length(where, "x1", x1.size(), "x0", x0.size());
  detail::check_same_length(where, "label", label.size(), "x0", x0.size());
  detail::check_finite(where, "x0", x0);
  detail::check_finite(where, "x1", x1);
  const std::vector<int> classes = detail::class_indices(where, "label", label);

  const detail::ClassPoints points =
      detail::class_points(x0, x1, classes, options.class_names, options.point_size, false, false);
  std::string commands;
  detail::append_labels(commands, options.title, options.xlabel, options.ylabel);
  commands += "set border 3\nset tics nomirror\nset grid lc rgb '#e5e5e5'\n";
  commands += options.show_legend ? "set key top right box opaque\n" : "unset key\n";
  commands += "set offsets graph 0.03, graph 0.03, graph 0.03, graph 0.03\n";
  commands += "plot ";
  for (std::size_t i = 0; i < points.clauses.size(); ++i)
    commands += (i ? ", \\\n  " : "") + points.clauses[i];
  commands += "\n";
  detail::render(where, stem, options.width, options.height, points.data, commands);
}

}  // namespace elbo::plot
