// The two optimisation-based approximations in Python, elbo.fit(method="pathfinder") and
// elbo.fit(method="laplace"): each runs once (no steps, no loss history) and holds its q.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <elbo/vi/laplace.hpp>
#include <elbo/vi/pathfinder.hpp>

#include "arrays.hpp"
#include "bindings.hpp"

namespace elbo::python {

namespace {

std::optional<Tensor> optional_start(nb::handle start) {
  if (start.is_none()) return std::nullopt;
  return to_tensor(start, "start");
}

}  // namespace

void bind_pathfinder_laplace(nb::module_& m) {
  nb::class_<PathfinderFit>(m, "PathfinderFit", "Pathfinder's result (Zhang et al. 2022).")
      .def_prop_ro(
          "approximation", [](PathfinderFit& f) -> Approximation& { return *f.q; }, nb::rv_policy::reference_internal)
      .def_prop_ro("khat",
                   [](const PathfinderFit& f) -> std::optional<double> {
                     if (!f.psis) return std::nullopt;
                     return f.psis->khat;
                   })
      .def_prop_ro("resampled", [](const PathfinderFit& f) { return f.resampled; })
      .def_prop_ro("paths", [](const PathfinderFit& f) {
        nb::list out;
        for (const auto& p : f.paths) {
          nb::dict d;
          d["iterations"] = p.iterations;
          d["best_iteration"] = p.best_iteration;
          d["best_elbo"] = p.best_elbo;
          d["evaluations"] = p.evaluations;
          d["stopped"] = p.stopped;
          out.append(d);
        }
        return out;
      });
  m.def(
      "fit_pathfinder",
      [](const Model& model, int paths, uint64_t seed, int threads, int64_t draws, int64_t elbo_draws,
         int64_t max_iters, nb::handle start, const std::string& resampling) {
        PathfinderOptions o;
        o.paths = paths;
        o.resampling = pathfinder_resampling(resampling);
        o.seed = seed;
        o.threads = threads;
        o.draws = draws;
        o.draws_per_path = draws;
        o.elbo_draws = elbo_draws;
        o.lbfgs.max_iters = max_iters;
        if (std::optional<Tensor> s = optional_start(start)) o.starts = {*s};
        nb::gil_scoped_release release;
        return fit_pathfinder(model, o);
      },
      nb::arg("model"), nb::arg("paths") = 4, nb::arg("seed") = 0, nb::arg("threads") = 1, nb::arg("draws") = 1000,
      nb::arg("elbo_draws") = 25, nb::arg("max_iters") = 1000, nb::arg("start") = nb::none(),
      nb::arg("resampling") = "auto", nb::keep_alive<0, 1>());

  nb::class_<LaplaceFit>(m, "LaplaceFit", "The Laplace approximation at the mode.")
      .def_prop_ro(
          "approximation", [](LaplaceFit& f) -> Approximation& { return *f.q; }, nb::rv_policy::reference_internal)
      .def_prop_ro("log_evidence", [](const LaplaceFit& f) { return f.log_evidence; })
      .def_prop_ro("prior_precision", [](const LaplaceFit& f) { return f.prior_precision; })
      .def_prop_ro("mode", [](const LaplaceFit& f) {
        return to_numpy(Tensor(DType::f64, {static_cast<int64_t>(f.map.x.size())}, std::span<const double>(f.map.x)));
      })
      .def_prop_ro("map_converged", [](const LaplaceFit& f) { return f.map.converged; });
  m.def(
      "fit_laplace",
      [](const Model& model, const std::string& hessian, const std::vector<std::string>& subset, int threads,
         int64_t max_iters, nb::handle start) {
        LaplaceOptions o;
        o.hessian = hessian;
        o.subset = subset;
        o.threads = threads;
        o.map.max_iters = max_iters;
        o.start = optional_start(start);
        nb::gil_scoped_release release;
        return fit_laplace(model, o);
      },
      nb::arg("model"), nb::arg("hessian") = "full", nb::arg("subset") = std::vector<std::string>{},
      nb::arg("threads") = 1, nb::arg("max_iters") = 2000, nb::arg("start") = nb::none(), nb::keep_alive<0, 1>());
}

}  // namespace elbo::python
