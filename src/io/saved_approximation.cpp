#include "elbo/io/saved_approximation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <span>

#include "elbo/graph/error.hpp"
#include "elbo/vi/family_registry.hpp"
#include "saved_approximation_impl.hpp"

namespace elbo {

namespace {

constexpr const char* kKinds =
    "meanfield, fullrank, lowrank:RANK, flow:FORMULA, mixture:K:KIND, empirical:PARTICLES or kron:BLOCKS";

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// The variable holding flat coordinate c (variables tile [0, dim) in order), or null.
const SavedVariable* variable_at(const std::vector<SavedVariable>& vars, int64_t c) {
  auto it = std::upper_bound(vars.begin(), vars.end(), c,
                             [](int64_t x, const SavedVariable& v) { return x < v.offset; });
  if (it == vars.begin()) return nullptr;
  return &*std::prev(it);
}

// The flat coordinate variational parameter i belongs to (its row for L).
int64_t coordinate_of(const std::string& kind, int64_t dim, int64_t i) {
  if (i < dim) return i;
  int64_t k = i - dim;
  if (kind == "meanfield") return k;
  auto r = static_cast<int64_t>((std::sqrt(8.0 * static_cast<double>(k) + 1.0) - 1.0) / 2.0);
  while (r > 0 && r * (r + 1) / 2 > k) --r;
  while ((r + 1) * (r + 2) / 2 <= k) ++r;
  return r;
}

std::string location_label(const SavedApproximation& saved) {
  return saved.source.empty() ? "the saved approximation" : "model file '" + saved.source + "'";
}

}  // namespace

int64_t approximation_param_count(const std::string& kind, int64_t dim) { return family_param_count(kind, dim); }

namespace {
// A family of another kind than meanfield and fullrank, built to ask it about its
// parameters (names, coordinates); only once the parameter count fits, so its size is
// bounded by what was read.
std::unique_ptr<Approximation> probe(const std::string& kind, int64_t dim) {
  return make_family(kind, std::vector<double>(static_cast<size_t>(dim), 0.0));
}
}  // namespace

std::string approximation_param_name(const std::string& kind, int64_t dim, int64_t i) {
  if (kind != "meanfield" && kind != "fullrank") {
    const int64_t n = approximation_param_count(kind, dim);
    if (n < 0 || i < 0 || i >= n)
      throw InvalidArgument("approximation_param_name: no parameter " + std::to_string(i) + " in a " + kind +
                            " approximation of dimension " + std::to_string(dim));
    // It builds the family to ask it: refused where that would take gigabytes.
    if (n > (int64_t{1} << 28))
      throw InvalidArgument("approximation_param_name: a " + kind + " approximation of dimension " +
                            std::to_string(dim) + " has " + std::to_string(n) + " parameters, too many to name");
    return probe(kind, dim)->param_name(i);
  }
  if (i < dim) return "mu[" + std::to_string(i) + "]";
  if (kind == "meanfield") return "rho[" + std::to_string(i - dim) + "]";
  const int64_t k = i - dim;
  const int64_t r = coordinate_of(kind, dim, i);
  return "L[" + std::to_string(r) + "," + std::to_string(k - r * (r + 1) / 2) + "]";
}

namespace detail {

std::optional<std::string> find_problem(const SavedApproximation& s) {
  if (!is_family_kind(s.kind)) return "unknown approximation kind " + quoted(s.kind) + " (expected " + kKinds + ")";
  if (s.dim < 0) return "the dimension is " + std::to_string(s.dim) + ", but must be non-negative";

  std::set<std::string> names;
  int64_t end = 0;  // where the variables so far end
  for (size_t i = 0; i < s.variables.size(); ++i) {
    const SavedVariable& v = s.variables[i];
    if (v.name.empty()) return "variable " + std::to_string(i) + " has an empty name";
    if (v.value_name.empty()) return "variable " + quoted(v.name) + " has an empty unconstrained name";
    if (!names.insert(v.name).second) return "variable " + quoted(v.name) + " appears twice";
    if (v.value_name != v.name && !names.insert(v.value_name).second)
      return "the unconstrained name " + quoted(v.value_name) + " of variable " + quoted(v.name) +
             " is used twice";
    if (v.shape.size() > max_saved_rank)
      return "variable " + quoted(v.name) + " has rank " + std::to_string(v.shape.size()) + ", more than " +
             std::to_string(max_saved_rank);
    int64_t size = 1;
    for (int64_t d : v.shape) {
      if (d < 0) return "variable " + quoted(v.name) + " has a negative extent in shape " + shape_str(v.shape);
      if (d != 0 && size > (s.dim - end) / d) {
        size = -1;
        break;
      }
      size *= d;
    }
    if (v.offset != end)
      return "variable " + quoted(v.name) + " starts at offset " + std::to_string(v.offset) +
             ", but the variables before it end at " + std::to_string(end);
    if (size < 0 || size > s.dim - end)
      return "variable " + quoted(v.name) + " of shape " + shape_str(v.shape) + " at offset " +
             std::to_string(v.offset) + " runs past the dimension " + std::to_string(s.dim);
    end += size;
  }
  if (end != s.dim)
    return "the variables cover " + std::to_string(end) + " coordinates, but the dimension is " +
           std::to_string(s.dim);

  const int64_t expected = approximation_param_count(s.kind, s.dim);
  if (expected < 0 && s.kind.rfind("lowrank:", 0) == 0)
    return "the approximation kind " + quoted(s.kind) + " does not fit the dimension " + std::to_string(s.dim) +
           " (the rank must be at most the dimension)";
  if (expected < 0 || static_cast<uint64_t>(expected) != s.params.size())
    return "there are " + std::to_string(s.params.size()) + " parameters, but a " + s.kind +
           " approximation of dimension " + std::to_string(s.dim) + " has " +
           (expected < 0 ? std::string("more than 2^63") : std::to_string(expected));

  for (size_t i = 0; i < s.params.size(); ++i) {
    const double p = s.params[i];
    if (std::isfinite(p)) continue;
    const auto idx = static_cast<int64_t>(i);
    std::string where;
    const int64_t c = s.kind == "meanfield" || s.kind == "fullrank" ? coordinate_of(s.kind, s.dim, idx)
                                                                    : probe(s.kind, s.dim)->coordinate(idx);
    if (const SavedVariable* v = c < 0 ? nullptr : variable_at(s.variables, c))
      where = " (of variable " + quoted(v->value_name) + ")";
    return "parameter " + approximation_param_name(s.kind, s.dim, idx) + where + " is " +
           (std::isnan(p) ? "NaN" : p > 0 ? "inf" : "-inf") + ", but must be finite";
  }
  return std::nullopt;
}

SavedApproximation snapshot(const Model& model, const Approximation& q,
                            const std::map<std::string, std::string>& metadata, const std::string& where) {
  if (q.dim() != model.flat_size())
    throw InvalidArgument(where + ": the approximation has dimension " + std::to_string(q.dim()) +
                          ", but the model's flat size is " + std::to_string(model.flat_size()));
  SavedApproximation s;
  s.kind = q.kind();
  s.dim = q.dim();
  s.dtype = model.dtype();
  const auto params = q.params();
  s.params.assign(params.begin(), params.end());
  s.variables.reserve(model.free_variables().size());
  for (const FreeVariable& v : model.free_variables())
    s.variables.push_back({v.name, v.value_name, v.shape, v.offset,
                           v.transform ? std::string(v.transform->name()) : std::string()});
  s.metadata = metadata;
  if (auto problem = find_problem(s)) throw InvalidArgument(where + ": " + *problem);
  return s;
}

}  // namespace detail

SavedApproximation to_saved_approximation(const Model& model, const Approximation& q,
                                          const std::map<std::string, std::string>& metadata) {
  return detail::snapshot(model, q, metadata, "to_saved_approximation");
}

std::unique_ptr<Approximation> make_approximation(const SavedApproximation& saved) {
  const int64_t expected = approximation_param_count(saved.kind, saved.dim);
  if (!is_family_kind(saved.kind))
    throw InvalidArgument("make_approximation: unknown approximation kind " + quoted(saved.kind) + " (expected " +
                          kKinds + ")");
  if (expected < 0 && saved.kind.rfind("lowrank:", 0) == 0)
    throw InvalidArgument("make_approximation: the approximation kind " + quoted(saved.kind) +
                          " does not fit the dimension " + std::to_string(saved.dim) +
                          " (the rank must be at most the dimension)");
  if (expected < 0 || static_cast<uint64_t>(expected) != saved.params.size())
    throw InvalidArgument("make_approximation: there are " + std::to_string(saved.params.size()) +
                          " parameters, but a " + saved.kind + " approximation of dimension " +
                          std::to_string(saved.dim) + " has " +
                          (expected < 0 ? std::string("more than 2^63") : std::to_string(expected)));
  std::unique_ptr<Approximation> q = probe(saved.kind, saved.dim);
  std::copy(saved.params.begin(), saved.params.end(), q->params().begin());
  return q;
}

void check_compatible(const SavedApproximation& saved, const Model& model) {
  const std::string label = location_label(saved);
  const auto& mine = model.free_variables();
  const size_t n = std::min(saved.variables.size(), mine.size());
  for (size_t i = 0; i < n; ++i) {
    const SavedVariable& s = saved.variables[i];
    const FreeVariable& m = mine[i];
    const std::string transform = m.transform ? std::string(m.transform->name()) : std::string();
    if (s.name != m.name)
      throw InvalidArgument(label + " has variable " + quoted(s.name) + " at position " + std::to_string(i) +
                            ", but the model has " + quoted(m.name) + " there");
    if (s.shape != m.shape)
      throw InvalidArgument(label + " has variable " + quoted(s.name) + " of shape " + shape_str(s.shape) +
                            ", but the model has shape " + shape_str(m.shape));
    if (s.transform != transform) {
      auto describe = [](const std::string& t) { return t.empty() ? std::string("no transform") : "transform " + quoted(t); };
      throw InvalidArgument(label + " has variable " + quoted(s.name) + " with " + describe(s.transform) +
                            ", but the model's has " + describe(transform));
    }
    if (s.value_name != m.value_name)
      throw InvalidArgument(label + " has variable " + quoted(s.name) + " stored as " + quoted(s.value_name) +
                            ", but the model stores it as " + quoted(m.value_name));
    if (s.offset != m.offset)
      throw InvalidArgument(label + " has variable " + quoted(s.name) + " at offset " + std::to_string(s.offset) +
                            ", but the model has it at offset " + std::to_string(m.offset));
  }
  if (saved.variables.size() > n)
    throw InvalidArgument(label + " has variable " + quoted(saved.variables[n].name) +
                          ", which the model does not have");
  if (mine.size() > n)
    throw InvalidArgument("the model has variable " + quoted(mine[n].name) + ", which " + label +
                          " does not have");
  if (saved.dim != model.flat_size())
    throw InvalidArgument(label + " has dimension " + std::to_string(saved.dim) +
                          ", but the model's flat size is " + std::to_string(model.flat_size()));
}

}  // namespace elbo
