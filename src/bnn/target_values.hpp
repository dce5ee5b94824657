#pragma once
// Shared by the likelihoods: naming a target value and its row in messages, log-mean-exp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace elbo::bnn_detail {

inline std::string number_text(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

/// printf's %g: "1.46732".
inline std::string general_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

/// "value 2.5 in data row 7": rows are 1-based, counting data rows (not a header).
inline std::string at_row(double v, size_t i) {
  return "value " + number_text(v) + " in data row " + std::to_string(i + 1);
}

/// A whole number >= 0 that is a plausible class label or count.
inline bool is_whole_non_negative(double v) { return v >= 0 && v == std::floor(v) && v < 1e15; }

inline double log_mean_exp(const std::vector<double>& v) {
  double top = *std::max_element(v.begin(), v.end());
  if (!std::isfinite(top)) return top;
  double s = 0;
  for (double x : v) s += std::exp(x - top);
  return top + std::log(s / static_cast<double>(v.size()));
}

}  // namespace elbo::bnn_detail
