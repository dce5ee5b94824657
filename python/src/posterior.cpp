// A fitted approximation's results in Python: draws of every variable (PyMC's
// approx.sample), posterior predictive draws of the observed variables at swapped data
// (sample_posterior_predictive), and compiled predictors (approx.sample_node), all as
// NumPy arrays that own the library's buffers.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <elbo/graph/error.hpp>
#include <elbo/predict/posterior.hpp>
#include <elbo/predict/predictor.hpp>
#include <elbo/vi/inference.hpp>
#include <elbo/vi/mean_field.hpp>

#include "arrays.hpp"
#include "bindings.hpp"

namespace elbo::python {

namespace {

std::vector<Tensor> data_tensors(const Model& model, nb::list data, const std::vector<std::string>& names) {
  std::vector<Tensor> tensors;
  for (size_t i = 0; i < nb::len(data); ++i)
    tensors.push_back(to_tensor(data[i], i < names.size() ? names[i] : "data", model.dtype()));
  return tensors;
}

// A Predictor with the names of its replaceable inputs, for messages.
struct NamedPredictor {
  Predictor predictor;
  std::vector<std::string> names;
  const Model* model;
};

}  // namespace

void bind_posterior(nb::module_& m) {
  m.def(
      "sample",
      [](const Model& model, const Approximation& q, int64_t draws, uint64_t seed, bool psis, int64_t candidates) {
        if (draws < 1) throw nb::value_error(("sample: draws must be >= 1, got " + std::to_string(draws)).c_str());
        Trace trace;
        {
          nb::gil_scoped_release release;
          trace = Posterior(model, q).sample(draws, seed, {.psis = psis, .candidates = candidates});
        }
        nb::dict values;
        for (const auto& name : trace.names()) values[name.c_str()] = to_numpy(trace[name]);
        return nb::make_tuple(values, to_numpy(trace.unconstrained()));
      },
      nb::arg("model"), nb::arg("q"), nb::arg("draws"), nb::arg("seed"), nb::arg("psis") = false,
      nb::arg("candidates") = 0,
      "Draws of every free variable (constrained) and deterministic, and the flat unconstrained draws.");

  m.def(
      "sample_posterior_predictive",
      [](const Model& model, nb::handle theta, nb::dict replacements, uint64_t seed,
         const std::vector<std::string>& var_names) {
        // The draws come from the trace: the posterior's approximation is not used, so any
        // of the model's dimension stands in for it.
        const std::vector<double> zeros(static_cast<size_t>(model.flat_size()), 0.0);
        const MeanField unused(zeros);
        Trace trace;
        trace.set_unconstrained(to_tensor(theta, "the trace's unconstrained draws"));
        std::vector<std::pair<Expr, Tensor>> swaps;
        for (auto [key, value] : replacements) {
          std::string name = nb::cast<std::string>(key);
          swaps.emplace_back(model[name], to_tensor(value, name, model.dtype()));
        }
        std::map<std::string, Tensor> draws;
        {
          nb::gil_scoped_release release;
          draws = Posterior(model, unused).sample_posterior_predictive(trace, swaps, seed, var_names);
        }
        nb::dict out;
        for (auto& [name, value] : draws) out[name.c_str()] = to_numpy(std::move(value));
        return out;
      },
      nb::arg("model"), nb::arg("theta"), nb::arg("replacements"), nb::arg("seed"),
      nb::arg("var_names") = std::vector<std::string>{});

  nb::class_<NamedPredictor>(m, "Predictor", "A compiled predictor of one expression (approx.sample_node).")
      .def(
          "__init__",
          [](NamedPredictor* self, const Model& model, const Approximation& q, const Expr& expr,
             const std::vector<Expr>& replaceable, uint64_t seed, int threads) {
            std::vector<std::string> names;
            for (const Expr& e : replaceable) names.push_back(e.name());
            new (self) NamedPredictor{Predictor(model, q, expr, replaceable, {.threads = threads, .seed = seed}),
                                      std::move(names), &model};
          },
          nb::arg("model"), nb::arg("q"), nb::arg("expr"), nb::arg("replaceable"), nb::arg("seed"),
          nb::arg("threads") = 1, nb::keep_alive<1, 2>(), nb::keep_alive<1, 3>())
      .def(
          "__call__",
          [](NamedPredictor& p, nb::list data, int64_t draws) {
            if (draws < 1) throw nb::value_error(("sample_node: size must be >= 1, got " + std::to_string(draws)).c_str());
            std::vector<Tensor> tensors = data_tensors(*p.model, data, p.names);
            Tensor out;
            {
              nb::gil_scoped_release release;
              out = p.predictor(tensors, draws);
            }
            return to_numpy(std::move(out));
          },
          nb::arg("data"), nb::arg("draws"))
      .def("mean", [](NamedPredictor& p, nb::list data) {
        std::vector<Tensor> tensors = data_tensors(*p.model, data, p.names);
        return to_numpy(p.predictor.mean(tensors));
      });
}

}  // namespace elbo::python
