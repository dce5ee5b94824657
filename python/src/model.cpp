// Model in Python: free and observed random variables from any of the library's
// distributions, deterministics, data containers (swappable, and minibatches) and the
// model's introspection. The PyMC-style API (elbo.Normal(...) inside `with elbo.Model()`)
// is python/elbo/model.py over these.
#include <functional>
#include <map>

#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/vector.h>

#include <elbo/distributions.hpp>
#include <elbo/graph/error.hpp>
#include <elbo/model/model.hpp>

#include "arrays.hpp"
#include "bindings.hpp"
#include "expressions.hpp"

namespace elbo::python {

namespace {

/// A distribution with its parameters bound (the library's shared_ptr<const Distribution>).
struct DistributionHandle {
  std::shared_ptr<const Distribution> distribution;
};

using Factory = std::function<std::shared_ptr<const Distribution>(const std::vector<Expr>&)>;

// Every distribution of the library, by PyMC's class name, with its parameter names.
struct FactoryEntry {
  std::vector<std::string> params;
  Factory make;
};

const std::map<std::string, FactoryEntry>& factories() {
  static const std::map<std::string, FactoryEntry> table = {
      {"Normal", {{"mu", "sigma"}, [](auto& p) { return normal(p[0], p[1]); }}},
      {"HalfNormal", {{"sigma"}, [](auto& p) { return half_normal(p[0]); }}},
      {"LogNormal", {{"mu", "sigma"}, [](auto& p) { return log_normal(p[0], p[1]); }}},
      {"StudentT", {{"nu", "mu", "sigma"}, [](auto& p) { return student_t(p[0], p[1], p[2]); }}},
      {"Cauchy", {{"alpha", "beta"}, [](auto& p) { return cauchy(p[0], p[1]); }}},
      {"HalfCauchy", {{"beta"}, [](auto& p) { return half_cauchy(p[0]); }}},
      {"Laplace", {{"mu", "b"}, [](auto& p) { return laplace(p[0], p[1]); }}},
      {"Exponential", {{"lam"}, [](auto& p) { return exponential(p[0]); }}},
      {"Gamma", {{"alpha", "beta"}, [](auto& p) { return gamma(p[0], p[1]); }}},
      {"InverseGamma", {{"alpha", "beta"}, [](auto& p) { return inverse_gamma(p[0], p[1]); }}},
      {"Beta", {{"alpha", "beta"}, [](auto& p) { return elbo::beta(p[0], p[1]); }}},
      {"Uniform", {{"lower", "upper"}, [](auto& p) { return uniform(p[0], p[1]); }}},
      {"Bernoulli", {{"p"}, [](auto& p) { return bernoulli(p[0]); }}},
      {"BernoulliLogit", {{"logit_p"}, [](auto& p) { return bernoulli_logit(p[0]); }}},
      {"Categorical", {{"p"}, [](auto& p) { return categorical(p[0]); }}},
      {"CategoricalLogits", {{"logit_p"}, [](auto& p) { return categorical_logits(p[0]); }}},
      {"Binomial", {{"n", "p"}, [](auto& p) { return binomial(p[0], p[1]); }}},
      {"Poisson", {{"mu"}, [](auto& p) { return poisson(p[0]); }}},
  };
  return table;
}

nb::dict free_variable_info(const FreeVariable& v) {
  nb::dict d;
  d["name"] = v.name;
  d["value_name"] = v.value_name;
  nb::list shape;
  for (int64_t s : v.shape) shape.append(s);
  d["shape"] = nb::tuple(shape);
  d["offset"] = v.offset;
  d["size"] = v.size;
  d["distribution"] = v.distribution->name();
  d["transformed"] = v.transform != nullptr;
  return d;
}

}  // namespace

void bind_model(nb::module_& m) {
  nb::class_<DistributionHandle>(m, "Distribution", "A distribution with its parameters bound to expressions.")
      .def_prop_ro("name", [](const DistributionHandle& d) { return d.distribution->name(); });

  nb::dict params;
  for (const auto& [name, entry] : factories()) {
    nb::list names;
    for (const auto& p : entry.params) names.append(p);
    params[name.c_str()] = nb::tuple(names);
  }
  m.attr("DISTRIBUTION_PARAMETERS") = params;

  nb::class_<Model>(m, "Model", "A Bayesian model: the graph of its variables (use elbo.Model).")
      .def("__init__",
           [](Model* self, const std::string& dtype) { new (self) Model(to_dtype(dtype, "Model: dtype")); },
           nb::arg("dtype") = "float64")
      .def_prop_ro("dtype", [](const Model& model) { return std::string(dtype_name(model.dtype())); })
      .def(
          "distribution",
          [](Model& model, const std::string& kind, const std::string& var, nb::list args) {
            auto it = factories().find(kind);
            if (it == factories().end()) throw nb::value_error(("unknown distribution '" + kind + "'").c_str());
            const auto& names = it->second.params;
            if (nb::len(args) != names.size())
              throw nb::value_error((var + ": " + kind + " takes " + std::to_string(names.size()) + " parameters").c_str());
            std::vector<Expr> exprs;
            for (size_t i = 0; i < names.size(); ++i) {
              nb::handle a = args[i];
              if (nb::isinstance<Expr>(a))
                exprs.push_back(model.as_expr(Param(nb::cast<Expr>(a)), var, names[i]));
              else if (nb::isinstance<nb::float_>(a) || nb::isinstance<nb::int_>(a))
                exprs.push_back(model.as_expr(Param(nb::cast<double>(a)), var, names[i]));
              else
                exprs.push_back(model.as_expr(Param(to_tensor(a, var + ": argument '" + names[i] + "'")), var, names[i]));
            }
            return DistributionHandle{it->second.make(exprs)};
          },
          nb::arg("kind"), nb::arg("var"), nb::arg("args"),
          "The distribution `kind` (a key of DISTRIBUTION_PARAMETERS) with the given parameters.")
      .def(
          "free",
          [](Model& model, const std::string& name, const DistributionHandle& dist, nb::handle shape,
             nb::handle initial, bool transform) {
            FreeOptions options;
            options.transform = transform;
            if (!initial.is_none()) options.initial = to_tensor(initial, name + ": initval", model.dtype());
            return model.free(name, dist.distribution, to_shape(shape, name + ": shape"), options);
          },
          nb::arg("name"), nb::arg("dist"), nb::arg("shape") = nb::none(), nb::arg("initial") = nb::none(),
          nb::arg("transform") = true)
      .def(
          "observed",
          [](Model& model, const std::string& name, const DistributionHandle& dist, const Expr& data,
             std::optional<double> total_size) {
            ObservedOptions options;
            if (total_size) options.total_size = *total_size;
            return model.observed(name, dist.distribution, data, options);
          },
          nb::arg("name"), nb::arg("dist"), nb::arg("data"), nb::arg("total_size") = nb::none())
      .def("deterministic", &Model::deterministic, nb::arg("name"), nb::arg("value"))
      .def(
          "data",
          [](Model& model, const std::string& name, nb::handle value) {
            return model.data(name, to_tensor(value, name, model.dtype()));
          },
          nb::arg("name"), nb::arg("value"))
      .def(
          "set_data",
          [](Model& model, const std::string& name, nb::handle value) {
            model.set_data(name, to_tensor(value, name, model.dtype()));
          },
          nb::arg("name"), nb::arg("value"))
      .def(
          "minibatch",
          [](Model& model, const std::vector<std::string>& names, nb::list arrays, int64_t batch_size, uint64_t seed) {
            std::vector<Tensor> tensors;
            for (size_t i = 0; i < nb::len(arrays); ++i)
              tensors.push_back(to_tensor(arrays[i], i < names.size() ? names[i] : "Minibatch", model.dtype()));
            MinibatchOptions options;
            options.batch_size = batch_size;
            options.seed = seed;
            return model.minibatch(names, tensors, options);
          },
          nb::arg("names"), nb::arg("arrays"), nb::arg("batch_size"), nb::arg("seed"))
      .def("as_operand", [](Model& model, nb::handle value, const std::string& what) {
        return as_operand(model.graph(), value, what);
      })
      .def("__getitem__", &Model::operator[], nb::arg("name"))
      .def_prop_ro("flat_size", &Model::flat_size)
      .def_prop_ro("free_variables",
                   [](const Model& model) {
                     nb::list out;
                     for (const auto& v : model.free_variables()) out.append(free_variable_info(v));
                     return out;
                   })
      .def_prop_ro("observed_variables",
                   [](const Model& model) {
                     nb::list out;
                     for (const auto& v : model.observed_variables()) out.append(v.name);
                     return out;
                   })
      .def_prop_ro("deterministics",
                   [](const Model& model) {
                     nb::list out;
                     for (const auto& v : model.deterministics()) out.append(v.name);
                     return out;
                   })
      .def_prop_ro("varlogp", &Model::varlogp)
      .def_prop_ro("datalogp", &Model::datalogp)
      .def_prop_ro("logp", &Model::logp)
      .def("initial_point", [](const Model& model) { return to_numpy(model.initial_point()); })
      .def(
          "evaluate",
          [](const Model& model, const std::vector<Expr>& exprs, nb::handle theta) {
            std::vector<Tensor> values = model.evaluate(exprs, to_tensor(theta, "theta"));
            nb::list out;
            for (auto& v : values) out.append(to_numpy(std::move(v)));
            return out;
          },
          nb::arg("exprs"), nb::arg("theta"))
      .def(
          "sample_prior_predictive",
          [](const Model& model, int64_t draws, uint64_t seed) {
            nb::dict out;
            for (auto& [name, value] : model.sample_prior_predictive(draws, seed))
              out[name.c_str()] = to_numpy(std::move(value));
            return out;
          },
          nb::arg("draws"), nb::arg("seed"))
      .def("describe_flat_index", &Model::describe_flat_index);
}

}  // namespace elbo::python
