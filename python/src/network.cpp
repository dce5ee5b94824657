// The command line and its model files in Python: run_cli is `elbo ARGS...` in-process (the
// package's `elbo` console script, and how the scikit-learn estimators fit, so that they fit
// exactly as `elbo fit` does with the same flags and defaults); FittedNetwork is a model
// file loaded for prediction, giving the table `elbo predict` writes.
#include <cstdio>

#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <elbo/graph/error.hpp>

#include "arrays.hpp"
#include "bindings.hpp"
#include "network_file.hpp"
#include "predictive_blocks.hpp"
#include "run_cli.hpp"

namespace elbo::python {

namespace {

struct FittedNetwork {
  cli::LoadedNetwork network;
};

}  // namespace

void bind_network(nb::module_& m) {
  m.def(
      "run_cli",
      [](const std::vector<std::string>& args) {
        nb::gil_scoped_release release;
        const int code = cli::run_cli(args);
        std::fflush(nullptr);  // its output reaches the files behind stdout and stderr now
        return code;
      },
      nb::arg("args"), "Runs `elbo ARGS...` in this process; returns its exit code (0 ok, 1 error, 2 usage).");

  nb::class_<FittedNetwork>(m, "FittedNetwork", "A network fitted by `elbo fit`, loaded from its model file.")
      .def(
          "__init__",
          [](FittedNetwork* self, const std::string& path) { new (self) FittedNetwork{cli::load_network(path)}; },
          nb::arg("path"))
      .def_prop_ro("likelihood", [](const FittedNetwork& f) { return f.network.spec.likelihood->name(); })
      .def_prop_ro("outputs", [](const FittedNetwork& f) { return f.network.spec.likelihood->outputs(); })
      .def_prop_ro("n_features", [](const FittedNetwork& f) { return f.network.spec.feature_count(); })
      .def_prop_ro("features", [](const FittedNetwork& f) { return f.network.spec.features; })
      .def_prop_ro("layers", [](const FittedNetwork& f) { return f.network.spec.layers(); })
      .def(
          "predict_table",
          [](const FittedNetwork& f, nb::handle x, int64_t draws, uint64_t seed, double interval, int threads) {
            Tensor features = to_tensor(x, "X");
            const int64_t F = f.network.spec.feature_count();
            if (features.rank() != 2)
              throw nb::value_error(("X: expected a 2-D array [rows, features], got " +
                                     std::to_string(features.rank()) + " dimensions")
                                        .c_str());
            if (features.shape()[1] != F)
              throw nb::value_error(("X has " + std::to_string(features.shape()[1]) + " features, but the network is "
                                     "expecting " + std::to_string(F) + " features as input")
                                        .c_str());
            if (draws < 1) throw nb::value_error(("draws: must be >= 1, got " + std::to_string(draws)).c_str());
            if (!(interval > 0 && interval < 1))
              throw nb::value_error(("interval: must be in (0, 1), got " + std::to_string(interval)).c_str());
            PredictionTable table;
            {
              nb::gil_scoped_release release;
              table = cli::prediction_table(f.network, features, draws, seed, interval, threads);
            }
            const int64_t cols = static_cast<int64_t>(table.columns.size());
            const int64_t rows = cols ? static_cast<int64_t>(table.values.size()) / cols : 0;
            Tensor values(DType::f64, {rows, cols}, std::span<const double>(table.values));
            return nb::make_tuple(table.columns, to_numpy(std::move(values)));
          },
          nb::arg("x"), nb::arg("draws") = 500, nb::arg("seed") = 0, nb::arg("interval") = 0.94,
          nb::arg("threads") = 1,
          "The posterior predictive table of `elbo predict` at raw inputs X: (column names, values [rows, columns]).");
}

}  // namespace elbo::python
