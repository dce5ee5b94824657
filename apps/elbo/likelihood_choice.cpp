#include "likelihood_choice.hpp"

#include <cmath>
#include <set>
#include <sstream>

namespace elbo::cli {

namespace {

std::string number(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

// Rows are reported 1-based, counting data rows (not the header).
std::string at_row(double v, size_t i) { return "value " + number(v) + " in data row " + std::to_string(i + 1); }

bool is_class_index(double v) { return v >= 0 && v == std::floor(v) && v < 1e6; }

}  // namespace

LikelihoodChoice infer_likelihood(std::span<const double> y) {
  std::set<double> distinct;
  bool all_classes = true;
  for (double v : y) {
    if (!is_class_index(v)) {
      all_classes = false;
      break;
    }
    distinct.insert(v);
    if (distinct.size() > 1000) {
      all_classes = false;
      break;
    }
  }
  if (all_classes && !distinct.empty()) {
    auto k = static_cast<int64_t>(*distinct.rbegin()) + 1;
    bool dense = static_cast<int64_t>(distinct.size()) == k;
    if (k <= 2 && dense)
      return {"bernoulli", 2, "the target holds only the labels 0 and 1"};
    if (k > 2 && dense)
      return {"categorical", k, "the target holds the class labels 0.." + std::to_string(k - 1)};
  }
  return {"normal", 0, "the target is not a set of class labels 0..K-1"};
}

std::optional<LikelihoodChoice> choose_likelihood(const std::string& likelihood, std::span<const double> y,
                                                  std::string& problem) {
  if (likelihood == "normal") return LikelihoodChoice{"normal", 0, "as asked with --likelihood"};
  double top = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    double v = y[i];
    if (likelihood == "bernoulli" && v != 0 && v != 1) {
      problem = at_row(v, i) + " is not 0 or 1";
      return std::nullopt;
    }
    if (likelihood == "categorical" && !is_class_index(v)) {
      problem = at_row(v, i) + " is not a class label (a whole number >= 0)";
      return std::nullopt;
    }
    top = std::max(top, v);
  }
  if (likelihood == "bernoulli") return LikelihoodChoice{"bernoulli", 2, "as asked with --likelihood"};
  auto k = std::max<int64_t>(2, static_cast<int64_t>(top) + 1);
  if (k > 1000) {
    problem = "the largest label is " + number(top) + ", more than 1000 classes";
    return std::nullopt;
  }
  return LikelihoodChoice{"categorical", k, "as asked with --likelihood"};
}

std::string check_targets(const std::string& likelihood, int64_t classes, std::span<const double> y) {
  for (size_t i = 0; i < y.size(); ++i) {
    double v = y[i];
    if (likelihood == "bernoulli" && v != 0 && v != 1) return at_row(v, i) + " is not 0 or 1";
    if (likelihood == "categorical" && (!is_class_index(v) || v >= static_cast<double>(classes)))
      return at_row(v, i) + " is not a class of this " + std::to_string(classes) + "-class network (0.." +
             std::to_string(classes - 1) + ")";
  }
  return {};
}

}  // namespace elbo::cli
