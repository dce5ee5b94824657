#pragma once
// A metric's value as the CLI prints it (MetricFormat).
#include <cstdio>
#include <string>

#include "elbo/bnn/metric.hpp"

namespace elbo::cli {

/// "0.1234" (fixed), "0.1234" (general, 4 significant digits), "95.00%" (percent).
inline std::string format_metric(double v, MetricFormat format) {
  char buf[64];
  switch (format) {
    case MetricFormat::fixed:
      std::snprintf(buf, sizeof buf, "%.4f", v);
      break;
    case MetricFormat::general:
      std::snprintf(buf, sizeof buf, "%.4g", v);
      break;
    case MetricFormat::percent:
      std::snprintf(buf, sizeof buf, "%.2f%%", 100 * v);
      break;
  }
  return buf;
}

}  // namespace elbo::cli
