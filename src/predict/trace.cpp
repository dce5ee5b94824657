#include "elbo/predict/trace.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "elbo/data/atomic_file.hpp"
#include "elbo/data/npy.hpp"

namespace elbo {

void Trace::add(const std::string& name, Tensor values) {
  if (name.empty()) throw InvalidArgument("Trace::add: the name is empty");
  if (contains(name)) throw InvalidArgument("Trace::add: the trace already has a variable '" + name + "'");
  if (values.rank() < 1) throw ShapeError("Trace::add('" + name + "'): values need a leading draws dimension");
  if (draws_ >= 0 && values.shape()[0] != draws_)
    throw ShapeError("Trace::add('" + name + "'): " + std::to_string(values.shape()[0]) + " draws, but the trace has " +
                     std::to_string(draws_));
  draws_ = values.shape()[0];
  names_.push_back(name);
  values_.push_back(std::move(values));
}

bool Trace::contains(const std::string& name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

const Tensor& Trace::operator[](const std::string& name) const {
  auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) {
    std::string all;
    for (const auto& n : names_) all += (all.empty() ? "" : ", ") + n;
    throw InvalidArgument("Trace: no variable named '" + name + "'; the trace has: " + all);
  }
  return values_[static_cast<size_t>(it - names_.begin())];
}

std::pair<double, double> hdi(std::vector<double> v, double prob) {
  if (v.empty()) return {NAN, NAN};
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  size_t k = static_cast<size_t>(std::ceil(prob * static_cast<double>(n)));
  k = std::clamp<size_t>(k, 1, n);
  size_t best = 0;
  double width = INFINITY;
  for (size_t i = 0; i + k - 1 < n; ++i) {
    double w = v[i + k - 1] - v[i];
    if (w < width) width = w, best = i;
  }
  return {v[best], v[best + k - 1]};
}

std::string element_name(const std::string& name, const Shape& shape, int64_t flat) {
  if (shape.empty()) return name;
  std::vector<int64_t> idx(shape.size());
  for (size_t a = shape.size(); a-- > 0;) {
    idx[a] = flat % shape[a];
    flat /= shape[a];
  }
  std::string r = name + "[";
  for (size_t a = 0; a < idx.size(); ++a) r += (a ? "," : "") + std::to_string(idx[a]);
  return r + "]";
}

std::vector<SummaryRow> Trace::summary(double prob, const std::vector<std::string>& var_names) const {
  if (!(prob > 0 && prob < 1))
    throw InvalidArgument("Trace::summary: argument 'hdi_prob' is " + std::to_string(prob) + ", but must be in (0, 1)");
  std::vector<SummaryRow> rows;
  std::vector<std::string> names = var_names.empty() ? names_ : var_names;
  for (const auto& name : names) {
    const Tensor& t = (*this)[name];
    Shape shape(t.shape().begin() + 1, t.shape().end());
    int64_t n = numel(shape);
    std::vector<double> col(static_cast<size_t>(draws_));
    for (int64_t k = 0; k < n; ++k) {
      double s = 0;
      for (int64_t d = 0; d < draws_; ++d) s += (col[d] = t[d * n + k]);
      double mean = s / static_cast<double>(draws_), ss = 0;
      for (double v : col) ss += (v - mean) * (v - mean);
      auto [lo, hi] = hdi(col, prob);
      rows.push_back({element_name(name, shape, k), mean,
                      draws_ > 1 ? std::sqrt(ss / static_cast<double>(draws_ - 1)) : 0.0, lo, hi});
    }
  }
  return rows;
}

namespace {
std::string pct(double p, bool low) {
  double v = low ? (1 - p) / 2 * 100 : (1 + p) / 2 * 100;
  std::ostringstream os;
  os << "hdi_" << std::round(v * 10) / 10 << "%";
  return os.str();
}
std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", v);
  return b;
}
std::string json_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    r += c;
  }
  return r;
}
std::string json_num(double v) {
  if (!std::isfinite(v)) return "null";
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}
}  // namespace

std::string Trace::summary_table(double prob, const std::vector<std::string>& var_names) const {
  auto rows = summary(prob, var_names);
  size_t w = 4;
  for (const auto& r : rows) w = std::max(w, r.name.size());
  std::ostringstream os;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-*s %9s %9s %9s %9s\n", static_cast<int>(w), "", "mean", "sd",
                pct(prob, true).c_str(), pct(prob, false).c_str());
  os << buf;
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "%-*s %9s %9s %9s %9s\n", static_cast<int>(w), r.name.c_str(), fmt(r.mean).c_str(),
                  fmt(r.sd).c_str(), fmt(r.hdi_low).c_str(), fmt(r.hdi_high).c_str());
    os << buf;
  }
  return os.str();
}

std::string Trace::summary_csv(double prob, const std::vector<std::string>& var_names) const {
  std::ostringstream os;
  os << "name,mean,sd," << pct(prob, true) << "," << pct(prob, false) << "\n";
  for (const auto& r : summary(prob, var_names))
    os << '"' << r.name << "\"," << json_num(r.mean) << "," << json_num(r.sd) << "," << json_num(r.hdi_low) << ","
       << json_num(r.hdi_high) << "\n";
  return os.str();
}

std::string Trace::summary_json(double prob, const std::vector<std::string>& var_names) const {
  std::ostringstream os;
  os << "[";
  bool first = true;
  for (const auto& r : summary(prob, var_names)) {
    os << (first ? "" : ",") << "\n  {\"name\": \"" << json_escape(r.name) << "\", \"mean\": " << json_num(r.mean)
       << ", \"sd\": " << json_num(r.sd) << ", \"" << pct(prob, true) << "\": " << json_num(r.hdi_low) << ", \""
       << pct(prob, false) << "\": " << json_num(r.hdi_high) << "}";
    first = false;
  }
  os << "\n]\n";
  return os.str();
}

void Trace::to_csv(const std::string& path) const {
  std::ostringstream os;
  std::vector<std::pair<const Tensor*, int64_t>> cols;
  bool first = true;
  for (size_t v = 0; v < names_.size(); ++v) {
    Shape shape(values_[v].shape().begin() + 1, values_[v].shape().end());
    int64_t n = numel(shape);
    for (int64_t k = 0; k < n; ++k) {
      os << (first ? "" : ",") << '"' << element_name(names_[v], shape, k) << '"';
      first = false;
      cols.emplace_back(&values_[v], n);
    }
  }
  os << "\n";
  for (int64_t d = 0; d < std::max<int64_t>(draws_, 0); ++d) {
    size_t c = 0;
    for (size_t v = 0; v < names_.size(); ++v) {
      int64_t n = cols[c].second;
      for (int64_t k = 0; k < n; ++k, ++c) os << (c ? "," : "") << json_num((*cols[c].first)[d * n + k]);
    }
    os << "\n";
  }
  data::write_file_atomically(path, os.str());
}

void Trace::to_npy(const std::string& dir) const {
  for (size_t v = 0; v < names_.size(); ++v) data::write_npy(dir + "/" + names_[v] + ".npy", values_[v]);
}

}  // namespace elbo
